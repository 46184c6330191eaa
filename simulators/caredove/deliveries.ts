/**
 * Caredove's side of an integration: where events go (integrations, each with its signing
 * secret and integrated service listings), how one is signed and sent, and the integration log
 * of every delivery with the receiver's `http_code` and raw body text, failures flagged until
 * cleared (by a successful resend, or by staff).
 */
import { randomBytes } from 'node:crypto'
import { Webhook } from 'standardwebhooks'
import { DELIVERY_TIMEOUT_MS, type Trigger } from './inferred.js'
import type { CaredoveEvent } from './payload.js'

export interface Integration {
  id: string
  url: string
  signingSecret: string
  /** The service listings whose referrals this integration receives. */
  serviceListingIds: string[]
  created_at: string
}

export interface Delivery {
  id: string
  eventId: string
  trigger: Trigger
  referralId: string
  /** null for an ad-hoc delivery to a `connectionUrl`. */
  integrationId: string | null
  url: string
  /** null when no answer came (refused connection, timeout). */
  http_code: number | null
  /** The answer's body as text, or what went wrong. */
  body: string
  delivered_at: string
  success: boolean
  /** A failure staff have not cleared yet. */
  flagged: boolean
  /** The delivery this one re-sent (Resend, or a save after a 400). */
  resend_of: string | null
  /** The delivery whose success cleared this failure. */
  cleared_by: string | null
}

/** How to sign one delivery; the knobs let tests send a wrong secret or a stale timestamp. */
export interface Signing {
  secret: string
  timestampOffsetSeconds?: number
}

interface Sent {
  event: CaredoveEvent
  signing: Signing
}

/** Sent events kept for Resend (attachments make them large); older ones are dropped unless still flagged. */
const KEPT_EVENTS = 500

export class DeliveryLog {
  readonly integrations: Integration[] = []
  readonly deliveries: Delivery[] = []
  /** What each delivery sent, to resend it. */
  private readonly sent = new Map<string, Sent>()

  constructor(private readonly now: () => number) {}

  addIntegration(input: { url: string; signingSecret: string; serviceListingIds: string[] }): Integration {
    const integration: Integration = { id: `int_${randomBytes(5).toString('hex')}`, ...input, created_at: new Date(this.now()).toISOString() }
    this.integrations.push(integration)
    return integration
  }

  removeIntegration(id: string): boolean {
    const index = this.integrations.findIndex((i) => i.id === id)
    if (index < 0) return false
    this.integrations.splice(index, 1)
    return true
  }

  /** The integrations a referral on this listing is sent to. */
  integrationsFor(serviceListingId: string): Integration[] {
    return this.integrations.filter((i) => i.serviceListingIds.includes(serviceListingId))
  }

  get(id: string): (Delivery & { event: CaredoveEvent }) | undefined {
    const delivery = this.deliveries.find((d) => d.id === id)
    const sent = this.sent.get(id)
    return delivery && sent ? { ...delivery, event: sent.event } : undefined
  }

  /** The latest delivery of each event of a referral whose 400 is still flagged, per place: what a fix re-sends. */
  refused(referralId: string): Delivery[] {
    const latest = new Map<string, Delivery>()
    for (const d of this.deliveries) {
      if (d.referralId === referralId && d.flagged && d.http_code === 400) latest.set(`${d.url} ${d.eventId}`, d)
    }
    return [...latest.values()]
  }

  /** Signs the event (Standard Webhooks, webhook-id = event_id) and POSTs it; records what came back. */
  async send(target: { url: string; integrationId: string | null }, event: CaredoveEvent, signing: Signing, resendOf: Delivery | null = null): Promise<Delivery> {
    const body = JSON.stringify(event)
    const signedAt = new Date(this.now() + (signing.timestampOffsetSeconds ?? 0) * 1000)
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'Caredove-Integrations (carebridge simulator)',
      'webhook-id': event.event_id,
      'webhook-timestamp': String(Math.floor(signedAt.getTime() / 1000)),
      'webhook-signature': new Webhook(signing.secret).sign(event.event_id, signedAt, body),
    }
    const delivery: Delivery = {
      id: `dlv_${randomBytes(6).toString('hex')}`,
      eventId: event.event_id,
      trigger: event.event,
      referralId: event.referral.id,
      integrationId: target.integrationId,
      url: target.url,
      http_code: null,
      body: '',
      delivered_at: '',
      success: false,
      flagged: false,
      resend_of: resendOf?.id ?? null,
      cleared_by: null,
    }
    try {
      const response = await fetch(target.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS) })
      delivery.http_code = response.status
      delivery.body = await response.text()
    } catch (err) {
      const code = (err as { cause?: { code?: string } }).cause?.code
      delivery.body = err instanceof Error ? `${err.message}${code ? ` (${code})` : ''}` : String(err)
    }
    delivery.delivered_at = new Date(this.now()).toISOString()
    delivery.success = delivery.http_code !== null && delivery.http_code >= 200 && delivery.http_code < 300
    delivery.flagged = !delivery.success
    // A successful re-send clears every flagged failure of the same event at the same place.
    if (delivery.success && resendOf) {
      for (const earlier of this.deliveries) if (earlier.eventId === delivery.eventId && earlier.url === delivery.url) this.clear(earlier.id, delivery.id)
    }
    this.deliveries.push(delivery)
    this.sent.set(delivery.id, { event, signing })
    this.forgetOldEvents()
    return delivery
  }

  /** Resend: the same event (same id and body), freshly signed, to the same place; null when it is too old to be kept. */
  async resend(id: string): Promise<Delivery | null | undefined> {
    const original = this.deliveries.find((d) => d.id === id)
    if (!original) return undefined
    const sent = this.sent.get(id)
    if (!sent) return null
    return this.send({ url: original.url, integrationId: original.integrationId }, sent.event, { secret: sent.signing.secret }, original)
  }

  /** Staff clear a flagged failure (or a later success clears it). */
  clear(id: string, clearedBy: string | null = null): Delivery | undefined {
    const delivery = this.deliveries.find((d) => d.id === id)
    if (!delivery) return undefined
    if (delivery.flagged) {
      delivery.flagged = false
      delivery.cleared_by = clearedBy
    }
    return delivery
  }

  /** The signing of a delivery, for a re-send of the same event after a fix. */
  signingOf(id: string): Signing | undefined {
    return this.sent.get(id)?.signing
  }

  private forgetOldEvents(): void {
    if (this.sent.size <= KEPT_EVENTS) return
    for (const delivery of this.deliveries) {
      if (this.sent.size <= KEPT_EVENTS) return
      if (!delivery.flagged) this.sent.delete(delivery.id)
    }
  }

  reset(): void {
    this.integrations.length = 0
    this.deliveries.length = 0
    this.sent.clear()
  }
}
