/**
 * A connector test kit: a fake context (the HTTP door in memory, sending to whatever `send` is —
 * e.g. a simulator's `inject` — and recording calls with the same redaction as the real log), and
 * the engine's step loop in miniature, so a connector's flows run without a hub or a database.
 * `connectorContract` (contract.ts) is the suite every connector is held to with it.
 */
import type { ConnectionInfo, ConnectorContext, FlowProgress, LinkSnapshot, PushFlow, StepContext, TokenStore } from './connector.js'
import { ConnectorError, isConnectorError } from './errors.js'
import type { HttpRequest, HttpResponse } from './http.js'
import { redactCredentials, redactHeaders, redactUrl } from '../security/redact.js'

export interface WireRequest {
  method: string
  url: string
  headers: Record<string, string>
  body: string | undefined
}
export interface WireResponse {
  status: number
  headers: Record<string, string>
  text: string
}

/** One call as the log would keep it (credentials removed), with its outcome. */
export interface RecordedCall {
  operation: string
  method: string
  url: string
  headers: Record<string, string>
  body: unknown
  status: number | null
  error?: string
}

export interface FakeContext<Settings, Secrets> {
  ctx: ConnectorContext<Settings, Secrets>
  calls: RecordedCall[]
  /** The next request matching `operation` is handled by the system but its answer is lost (a dropped connection). */
  loseAnswer(operation: string): void
}

export function fakeContext<Settings, Secrets>(options: {
  connection: Omit<ConnectionInfo<Settings, Secrets>, 'id' | 'name'> & Partial<Pick<ConnectionInfo<Settings, Secrets>, 'id' | 'name'>>
  send(request: WireRequest): Promise<WireResponse>
  now?: () => Date
}): FakeContext<Settings, Secrets> {
  const calls: RecordedCall[] = []
  const lose = new Set<string>()
  let seq = 0
  const http = {
    async request(request: HttpRequest): Promise<HttpResponse> {
      const body = request.json !== undefined ? JSON.stringify(request.json) : request.form ? new URLSearchParams(request.form).toString() : undefined
      const headers: Record<string, string> = { ...request.headers }
      if (request.json !== undefined) headers['content-type'] = 'application/json'
      else if (request.form) headers['content-type'] = 'application/x-www-form-urlencoded'
      const signed = request.sign?.({ method: request.method, url: request.url, headers, body })
      if (signed) Object.assign(headers, signed.headers)
      const exchangeId = `fake-${++seq}`
      const recorded: RecordedCall = {
        operation: request.operation,
        method: request.method,
        url: redactUrl(request.url),
        headers: redactHeaders(headers),
        body: request.json !== undefined ? redactCredentials(request.loggedJson !== undefined ? request.loggedJson : request.json) : request.form ? redactCredentials(request.form) : null,
        status: null,
      }
      calls.push(recorded)
      const answer = await options.send({ method: request.method, url: request.url, headers, body })
      if (lose.delete(request.operation)) {
        recorded.error = 'network error: answer lost'
        throw new ConnectorError({ code: 'network', message: `${request.operation}: network error: answer lost`, retryable: true, details: { exchangeId } })
      }
      recorded.status = answer.status
      let json: unknown
      try {
        json = answer.text ? JSON.parse(answer.text) : undefined
      } catch {
        json = undefined
      }
      return { status: answer.status, headers: new Headers(answer.headers), text: answer.text, json, exchangeId }
    },
    async recordRefusal(entry: { operation: string; method: HttpRequest['method']; url: string; body: unknown; message: string }) {
      calls.push({ operation: entry.operation, method: entry.method, url: redactUrl(entry.url), headers: {}, body: redactCredentials(entry.body), status: null, error: entry.message })
      return `fake-${++seq}`
    },
  }
  return {
    ctx: {
      connection: { id: 'connection-1', name: 'test', ...options.connection },
      http,
      tokens: memoryTokens(),
      now: options.now ?? (() => new Date()),
    },
    calls,
    loseAnswer(operation) {
      lose.add(operation)
    },
  }
}

/** The outcome of one attempt of a flow, as the engine would settle it. */
export type Attempt = { ok: true; link: LinkSnapshot; progress: FlowProgress } | { ok: false; error: ConnectorError; link: LinkSnapshot; progress: FlowProgress }

/**
 * Runs a push flow's steps as the engine's runner does: steps done are skipped, a step is marked
 * started before it runs (so a retry knows its outcome may be unknown), link changes apply as
 * they come. Pass the previous attempt's link and progress to retry.
 */
export async function attemptPush<Input, Settings, Secrets>(
  flow: PushFlow<Input, Settings, Secrets>,
  input: Input,
  ctx: ConnectorContext<Settings, Secrets>,
  previous?: { link: LinkSnapshot; progress: FlowProgress },
): Promise<Attempt> {
  const link: LinkSnapshot = previous ? { ...previous.link } : { externalId: null, externalMrn: null, syncedValues: null }
  const progress: FlowProgress = previous ? structuredClone(previous.progress) : { done: {}, started: {} }
  const earlier = structuredClone(progress)
  const stepCtx: StepContext<Settings, Secrets> = { ...ctx, link, progress: earlier, done: progress.done }
  try {
    for (const step of flow.steps) {
      if (progress.done[step.name] || step.skip?.(input, stepCtx)) continue
      progress.started[step.name] = { at: ctx.now().toISOString(), attempt: 1 }
      const result = await step.run(input, stepCtx)
      if (result.link?.externalId !== undefined) link.externalId = result.link.externalId
      if (result.link?.externalMrn !== undefined) link.externalMrn = result.link.externalMrn
      if (result.sync) link.syncedValues = result.sync.values
      delete progress.started[step.name]
      progress.done[step.name] = { at: ctx.now().toISOString(), ...(result.output ? { output: result.output } : {}) }
    }
    return { ok: true, link, progress }
  } catch (err) {
    if (!isConnectorError(err)) throw err
    return { ok: false, error: err, link, progress }
  }
}

function memoryTokens(): TokenStore {
  let cached: { token: string; expiresAt: Date } | null = null
  return {
    async get(mint, minValidityMs = 0) {
      if (!cached || cached.expiresAt.getTime() - Date.now() < minValidityMs) cached = await mint()
      return cached.token
    },
    async clear() {
      cached = null
    },
  }
}
