import { newId } from '../db/ids.js'
import type { Db, DbOrTx } from '../db/database.js'
import { fixedQuery } from '../db/fixedQuery.js'
import type { ConnectorHttp, HttpRequest, HttpResponse, StreamedResponse } from '../connectors/http.js'
import { ConnectorError } from '../connectors/errors.js'
import { redactCredentials, redactHeaders, redactUrl } from '../security/redact.js'
import { exchangeDuration, exchangesTotal, rateLimitedTotal } from '../observability/metrics.js'
import { summarizeFailure } from './summary.js'
import { send, type SendAnswer } from './send.js'
import type { ExchangeRow, HeldExchanges } from './held.js'

export interface ExchangeScope {
  organizationId: string
  /** Null for a call that concerns no connection (an event delivered to a subscription). */
  connectionId: string | null
  connector: string
  syncJobId: string | null
  recordType: string | null
  recordId: string | null
  attempt: number
}

export interface Pacer {
  take(): Promise<void>
}

/** Bodies above this are cut in the log (the exchange notes it) so one huge page cannot bloat it. */
const MAX_STORED_BODY = 256 * 1024

/**
 * The engine's implementation of a connector's HTTP door: paces by the connection's limiter,
 * applies the timeout, and stores every call (success, HTTP error, timeout, refused connection)
 * as an exchange with credentials removed. With `held` (a push job's), a request's exchange is kept
 * for the job's next write to carry (HeldExchanges); a streamed call and a refusal are written at
 * once, as every call is without it.
 */
export function createRecordingHttp(options: { db: Db; scope: ExchangeScope; pacer?: Pacer; timeoutMs: number; held?: HeldExchanges }): ConnectorHttp {
  const { db, scope, held } = options
  const store = (entry: StoredExchange) => storeExchange(db, scope, entry)
  const storeRequest = (entry: StoredExchange) => (held ? held.hold(exchangeRow(scope, entry)) : store(entry))
  return {
    async request(request: HttpRequest): Promise<HttpResponse> {
      if (!request.unpaced && options.pacer) await options.pacer.take()
      await held?.beforeCall()
      const { body, contentType, storedRequest } = encodeBody(request)
      const headers: Record<string, string> = { ...request.headers }
      if (contentType && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = contentType
      // Signed last, over exactly what goes on the wire (KIPU signs the body's MD5 and the Date).
      const signed = request.sign?.({ method: request.method, url: request.url, headers, body })
      if (signed) Object.assign(headers, signed.headers)
      const logged = { ...request, details: signed?.details ? { ...request.details, ...signed.details } : request.details }
      const requestHeaders = redactHeaders(headers)
      const startedAt = new Date()
      const started = performance.now()
      const exchangeId = newId()
      let response: SendAnswer
      let text: string
      try {
        response = await send({ method: request.method, url: request.url, headers, body, timeoutMs: options.timeoutMs })
        text = response.text
      } catch (err) {
        const durationMs = Math.round(performance.now() - started)
        const message = describeNetworkError(err, options.timeoutMs)
        await storeRequest({
          id: exchangeId,
          request: logged,
          requestHeaders,
          storedRequest,
          startedAt,
          durationMs,
          status: 'error',
          httpStatus: null,
          message,
          responseBody: null,
        })
        throw new ConnectorError({
          code: isTimeout(err) ? 'timeout' : 'network',
          message: `${request.operation}: ${message}`,
          retryable: true,
          details: { exchangeId },
          cause: err,
        })
      }
      const durationMs = Math.round(performance.now() - started)
      const json = parseJson(text)
      const carried = request.errorIn?.({ status: response.status, json }) ?? null
      const ok = response.status >= 200 && response.status < 300 && carried === null
      await storeRequest({
        id: exchangeId,
        request: logged,
        requestHeaders,
        storedRequest,
        startedAt,
        durationMs,
        status: ok ? 'ok' : 'error',
        httpStatus: response.status,
        message: ok
          ? (request.note ?? null)
          : carried !== null
            ? [`${response.status}: ${carried}`, request.note].filter(Boolean).join(' — ')
            : summarizeFailure(response.status, json, text, request.note),
        responseBody: json !== undefined ? JSON.stringify(redactCredentials(json)) : text,
      })
      return { status: response.status, headers: response.headers, text, json, exchangeId }
    },

    async streamLines(request: HttpRequest): Promise<StreamedResponse> {
      if (!request.unpaced && options.pacer) await options.pacer.take()
      await held?.beforeCall()
      const { body, contentType, storedRequest } = encodeBody(request)
      const headers: Record<string, string> = { ...request.headers }
      if (contentType && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = contentType
      const startedAt = new Date()
      const started = performance.now()
      const exchangeId = newId()
      // The timeout bounds the wait for the answer and each wait for more of the body, not the whole download.
      const abort = new AbortController()
      const timer = new IdleTimer(options.timeoutMs, () => abort.abort(new DOMException(`no data within ${options.timeoutMs} ms`, 'TimeoutError')))
      let response: Response
      try {
        timer.arm()
        response = await fetch(request.url, { method: request.method, headers, body, signal: abort.signal })
        if (!response.ok || !response.body) {
          const text = await response.text()
          timer.clear()
          const json = parseJson(text)
          await store({
            id: exchangeId,
            request,
            storedRequest,
            startedAt,
            durationMs: Math.round(performance.now() - started),
            status: response.ok ? 'ok' : 'error',
            httpStatus: response.status,
            message: response.ok ? (request.note ?? null) : summarizeFailure(response.status, json, text, request.note),
            responseBody: json !== undefined ? JSON.stringify(redactCredentials(json)) : text,
          })
          return { status: response.status, headers: response.headers, text, json, exchangeId, lines: noLines() }
        }
        timer.clear()
      } catch (err) {
        timer.clear()
        const message = describeNetworkError(err, options.timeoutMs)
        await store({ id: exchangeId, request, storedRequest, startedAt, durationMs: Math.round(performance.now() - started), status: 'error', httpStatus: null, message, responseBody: null })
        throw new ConnectorError({ code: isTimeout(err) ? 'timeout' : 'network', message: `${request.operation}: ${message}`, retryable: true, details: { exchangeId }, cause: err })
      }
      // Recorded now (a crash mid-download still leaves the call in the log), completed when the body has been read.
      await store({
        id: exchangeId,
        request,
        storedRequest,
        startedAt,
        durationMs: Math.round(performance.now() - started),
        status: 'ok',
        httpStatus: response.status,
        message: joinNote('reading the body (streamed, not stored)', request.note),
        responseBody: null,
      })
      const finish = (status: 'ok' | 'error', message: string) =>
        db.updateTable('exchanges').set({ status, message: joinNote(message, request.note), duration_ms: Math.round(performance.now() - started) }).where('id', '=', exchangeId).execute()
      const lines = readLines(response.body, timer, async (outcome) => {
        if (outcome.kind === 'done') await finish('ok', `streamed ${outcome.lines} lines, ${outcome.bytes} bytes (body not stored)`)
        else if (outcome.kind === 'stopped') await finish('ok', `stopped by the reader after ${outcome.lines} lines, ${outcome.bytes} bytes (body not stored)`)
        else {
          const message = describeNetworkError(outcome.error, options.timeoutMs)
          await finish('error', `the body broke off after ${outcome.lines} lines, ${outcome.bytes} bytes: ${message}`)
          return new ConnectorError({ code: isTimeout(outcome.error) ? 'timeout' : 'network', message: `${request.operation}: ${message}`, retryable: true, details: { exchangeId }, cause: outcome.error })
        }
        return null
      }, () => abort.abort())
      return { status: response.status, headers: response.headers, text: '', json: undefined, exchangeId, lines }
    },

    async recordRefusal(entry) {
      await held?.beforeCall()
      const id = newId()
      await store({
        id,
        request: { operation: entry.operation, method: entry.method, url: entry.url, details: entry.details },
        storedRequest: JSON.stringify(redactCredentials(entry.body)),
        startedAt: new Date(),
        durationMs: 0,
        status: 'error',
        httpStatus: null,
        message: entry.message,
        responseBody: null,
      })
      return id
    },
  }
}

interface StoredExchange {
  id: string
  request: Pick<HttpRequest, 'operation' | 'details'> & { method: string | null; url: string | null }
  /** Request headers as sent, credentials masked (e.g. a signature's Date and Content-MD5, to debug a 401). */
  requestHeaders?: Record<string, string> | null
  direction?: 'outbound' | 'inbound'
  storedRequest: string | null
  startedAt: Date
  durationMs: number
  status: 'ok' | 'error'
  httpStatus: number | null
  message: string | null
  responseBody: string | null
}

async function storeExchange(db: DbOrTx, scope: ExchangeScope, entry: StoredExchange): Promise<void> {
  await insertExchange(db, exchangeRow(scope, entry))
}

/** The exchange's row, credentials removed and bodies cut; counted in the metrics as it is made. */
function exchangeRow(scope: ExchangeScope, entry: StoredExchange): ExchangeRow {
  exchangesTotal.inc({ connector: scope.connector, operation: entry.request.operation, outcome: entry.status })
  exchangeDuration.observe({ connector: scope.connector, operation: entry.request.operation }, entry.durationMs / 1000)
  if (entry.httpStatus === 429 && scope.connectionId) rateLimitedTotal.inc({ connection: scope.connectionId, connector: scope.connector })
  return {
    id: entry.id,
    organization_id: scope.organizationId,
    connection_id: scope.connectionId,
    connector: scope.connector,
    sync_job_id: scope.syncJobId,
    record_type: scope.recordType,
    record_id: scope.recordId,
    direction: entry.direction ?? 'outbound',
    operation: entry.request.operation,
    status: entry.status,
    http_status: entry.httpStatus,
    message: entry.message,
    method: entry.request.method,
    url: entry.request.url === null ? null : redactUrl(entry.request.url),
    request_body: storableBody(entry.storedRequest),
    response_body: storableBody(entry.responseBody),
    details: entry.request.details ? JSON.stringify(entry.request.details) : null,
    request_headers: entry.requestHeaders ? JSON.stringify(entry.requestHeaders) : null,
    attempt: scope.attempt,
    started_at: entry.startedAt,
    duration_ms: entry.durationMs,
  }
}

/** Every exchange row has every column: one statement built once (each call used to rebuild it). */
export const insertExchange = fixedQuery((db, row: ExchangeRow) => db.insertInto('exchanges').values(row))

/**
 * A sync failure that no call to the system carries (e.g. a value with no mapping, a record two
 * CRM patients would share): stored as an exchange of its own, so the log shows every failure
 * with its reason. Returns the exchange id.
 */
export async function recordFailure(db: Db, scope: ExchangeScope, failure: { operation: string; message: string; details?: Record<string, unknown> }): Promise<string> {
  const id = newId()
  await storeExchange(db, scope, {
    id,
    request: { operation: failure.operation, method: null, url: null, details: failure.details },
    storedRequest: null,
    startedAt: new Date(),
    durationMs: 0,
    status: 'error',
    httpStatus: null,
    message: failure.message,
    responseBody: null,
  })
  return id
}

/**
 * A call the system made to the hub (a webhook), stored like an outbound exchange with direction
 * `inbound`: the raw body as received (credentials removed), the headers (credentials masked), and
 * what the hub answered. Takes a transaction, so the event, its job and its exchange commit together.
 */
export async function recordInbound(
  db: DbOrTx,
  scope: ExchangeScope,
  entry: {
    operation: string
    method: string
    url: string
    headers: Record<string, string>
    rawBody: string
    startedAt: Date
    durationMs: number
    httpStatus: number
    message: string
    answer: unknown
    details?: Record<string, unknown>
  },
): Promise<string> {
  const id = newId()
  const json = parseJson(entry.rawBody)
  await storeExchange(db, scope, {
    id,
    direction: 'inbound',
    request: { operation: entry.operation, method: entry.method, url: entry.url, details: entry.details },
    requestHeaders: redactHeaders(entry.headers),
    storedRequest: json !== undefined ? JSON.stringify(withoutFileBytes(redactCredentials(json))) : entry.rawBody,
    startedAt: entry.startedAt,
    durationMs: entry.durationMs,
    status: entry.httpStatus >= 200 && entry.httpStatus < 300 ? 'ok' : 'error',
    httpStatus: entry.httpStatus,
    message: entry.message,
    responseBody: JSON.stringify(entry.answer),
  })
  return id
}

/**
 * A body without the files it carries (`data_base64`, e.g. a referral's attachments): they are
 * stored once where they belong, and megabytes of base64 in the log would help no one debug a call.
 */
function withoutFileBytes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutFileBytes)
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) =>
        key === 'data_base64' && typeof inner === 'string' ? [key, `[${inner.length} characters of base64, not kept in the log]`] : [key, withoutFileBytes(inner)],
      ),
    )
  }
  return value
}

function encodeBody(request: HttpRequest): { body: string | undefined; contentType: string | null; storedRequest: string | null } {
  if (request.json !== undefined) {
    const logged = request.loggedJson !== undefined ? request.loggedJson : request.json
    return { body: JSON.stringify(request.json), contentType: 'application/json', storedRequest: JSON.stringify(redactCredentials(logged)) }
  }
  if (request.form) {
    return {
      body: new URLSearchParams(request.form).toString(),
      contentType: 'application/x-www-form-urlencoded',
      storedRequest: JSON.stringify(redactCredentials(request.form)),
    }
  }
  return { body: undefined, contentType: null, storedRequest: null }
}

type StreamOutcome =
  | { kind: 'done'; lines: number; bytes: number }
  | { kind: 'stopped'; lines: number; bytes: number }
  | { kind: 'broken'; lines: number; bytes: number; error: unknown }

/**
 * A body as lines. The idle timer runs only while waiting for the network, not while the reader
 * works on the lines it was given; `settle` records how reading ended (and may turn a broken body
 * into the error to throw); `cancel` drops the connection when the reader stops early.
 */
async function* readLines(
  body: ReadableStream<Uint8Array>,
  timer: IdleTimer,
  settle: (outcome: StreamOutcome) => Promise<Error | null>,
  cancel: () => void,
): AsyncGenerator<string> {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  let rest = ''
  let lines = 0
  let bytes = 0
  let ended = false
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>
      try {
        timer.arm()
        chunk = await reader.read()
      } catch (err) {
        ended = true
        const error = await settle({ kind: 'broken', lines, bytes, error: err })
        throw error ?? err
      } finally {
        timer.clear()
      }
      const text = chunk.done ? decoder.decode() : decoder.decode(chunk.value, { stream: true })
      if (!chunk.done) bytes += chunk.value.byteLength
      const parts = (rest + text).split('\n')
      rest = chunk.done ? '' : (parts.pop() ?? '')
      for (const part of parts) {
        const line = part.endsWith('\r') ? part.slice(0, -1) : part
        if (line.trim() === '') continue
        lines += 1
        yield line
      }
      if (chunk.done) break
    }
    ended = true
    await settle({ kind: 'done', lines, bytes })
  } finally {
    if (!ended) {
      // The reader stopped early (or threw): drop the rest of the body.
      cancel()
      await reader.cancel().catch(() => undefined)
      await settle({ kind: 'stopped', lines, bytes })
    }
  }
}

async function* noLines(): AsyncGenerator<string> {}

/** A timeout that can be re-armed: fires `onIdle` when armed and not cleared within `ms`. */
class IdleTimer {
  private handle: ReturnType<typeof setTimeout> | undefined
  constructor(
    private readonly ms: number,
    private readonly onIdle: () => void,
  ) {}
  arm(): void {
    this.clear()
    this.handle = setTimeout(this.onIdle, this.ms)
  }
  clear(): void {
    if (this.handle !== undefined) clearTimeout(this.handle)
    this.handle = undefined
  }
}

function joinNote(message: string, note: string | undefined): string {
  return note ? `${message} — ${note}` : message
}

function parseJson(text: string): unknown {
  if (!text) return undefined
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/**
 * A body as the log stores it: cut to MAX_STORED_BODY, and with any NUL character written as the
 * escape `\u0000` — PostgreSQL text cannot hold NUL, and a peer (or a forged webhook) may send one;
 * the exchange must be recorded all the same.
 */
export function storableBody(body: string | null): string | null {
  if (body === null) return null
  const text = body.includes('\u0000') ? body.replaceAll('\u0000', '\\u0000') : body
  if (text.length <= MAX_STORED_BODY) return text
  return `${text.slice(0, MAX_STORED_BODY)}… [cut: ${text.length} characters in all]`
}

function isTimeout(err: unknown): boolean {
  return err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')
}

function describeNetworkError(err: unknown, timeoutMs: number): string {
  if (isTimeout(err)) return `no answer within ${timeoutMs} ms (timeout)`
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause
  if (cause?.code) return `network error: ${cause.code}${cause.message ? ` (${cause.message})` : ''}`
  return `network error: ${err instanceof Error ? err.message : String(err)}`
}
