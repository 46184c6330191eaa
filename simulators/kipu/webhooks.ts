/**
 * KIPU calling its subscribers ("Patient Creation", "Chart Update"): each event is POSTed as
 * signed JSON to every subscribed URL, retried with a doubling wait when a delivery fails.
 * The wire format is our proposal (see inferred.ts); the signature is APIAuth, like a request.
 */
import { randomUUID } from 'node:crypto'
import { signApiAuth } from './apiAuth.js'
import type { Chart } from './charts.js'
import { WEBHOOK_RETRY, type WEBHOOK_EVENTS } from './inferred.js'

export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number]

export interface Delivery {
  eventId: string
  event: WebhookEvent
  url: string
  attempt: number
  httpCode: number | null
  body: string
  at: string
}

export interface WebhookBody {
  event_id: string
  event: WebhookEvent
  occurred_at: string
  casefile_id: string
  patient_id: number
  patient_master_id: string
  app_id: string
}

export class WebhookSender {
  readonly subscribers = new Set<string>()
  readonly deliveries: Delivery[] = []
  private readonly timers = new Set<NodeJS.Timeout>()

  constructor(
    private readonly credentials: { accessId: string; secretKey: string; appId: string },
    private readonly now: () => number,
  ) {}

  /** Sends the event to every subscriber in the background (retrying failures). */
  notify(event: WebhookEvent, chart: Chart): void {
    for (const url of this.subscribers) {
      const body = this.body(event, chart)
      void this.deliverWithRetries(url, body, 1)
    }
  }

  /** One delivery now, answered with what the receiver said (as KIPU's delivery log would show it). */
  async send(url: string, event: WebhookEvent, chart: Chart, eventId?: string): Promise<{ event_id: string; http_code: number | null; body: string }> {
    const body = this.body(event, chart, eventId)
    const outcome = await this.deliver(url, body, 1)
    return { event_id: body.event_id, http_code: outcome.httpCode, body: outcome.body }
  }

  reset(): void {
    this.subscribers.clear()
    this.deliveries.length = 0
    this.close()
  }

  close(): void {
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
  }

  private body(event: WebhookEvent, chart: Chart, eventId?: string): WebhookBody {
    return {
      event_id: eventId ?? randomUUID(),
      event,
      occurred_at: new Date(this.now()).toISOString(),
      casefile_id: chart.casefileId,
      patient_id: chart.id,
      patient_master_id: chart.patientMasterId,
      app_id: this.credentials.appId,
    }
  }

  private async deliverWithRetries(url: string, body: WebhookBody, attempt: number): Promise<void> {
    const outcome = await this.deliver(url, body, attempt)
    const ok = outcome.httpCode !== null && outcome.httpCode >= 200 && outcome.httpCode < 300
    if (ok || attempt >= WEBHOOK_RETRY.attempts) return
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      void this.deliverWithRetries(url, body, attempt + 1)
    }, WEBHOOK_RETRY.firstDelayMs * 2 ** (attempt - 1))
    timer.unref()
    this.timers.add(timer)
  }

  private async deliver(url: string, body: WebhookBody, attempt: number): Promise<Delivery> {
    const text = JSON.stringify(body)
    const target = new URL(url)
    const headers = signApiAuth({
      accessId: this.credentials.accessId,
      secretKey: this.credentials.secretKey,
      requestUri: `${target.pathname}${target.search}`,
      body: text,
      now: this.now(),
    })
    const delivery: Delivery = { eventId: body.event_id, event: body.event, url, attempt, httpCode: null, body: '', at: new Date().toISOString() }
    try {
      const response = await fetch(url, { method: 'POST', headers, body: text, signal: AbortSignal.timeout(10_000) })
      delivery.httpCode = response.status
      delivery.body = await response.text()
    } catch (err) {
      delivery.body = err instanceof Error ? `${err.message}${(err.cause as { code?: string })?.code ? ` (${(err.cause as { code?: string }).code})` : ''}` : String(err)
    }
    this.deliveries.push(delivery)
    return delivery
  }
}
