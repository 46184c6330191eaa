import type { z } from 'zod'
import type { HttpResponse } from './http.js'

/**
 * The one error currency between connectors and the engine. The engine decides from `retryable`
 * (and `retryAfterMs`) alone; `message` is what the admin reads, so it says what to fix.
 */
export class ConnectorError extends Error {
  readonly code: string
  readonly retryable: boolean
  readonly httpStatus: number | undefined
  readonly retryAfterMs: number | undefined
  readonly details: Record<string, unknown> | undefined

  constructor(options: {
    code: string
    message: string
    retryable: boolean
    httpStatus?: number
    retryAfterMs?: number
    details?: Record<string, unknown>
    cause?: unknown
  }) {
    super(options.message, { cause: options.cause })
    this.name = 'ConnectorError'
    this.code = options.code
    this.retryable = options.retryable
    this.httpStatus = options.httpStatus
    this.retryAfterMs = options.retryAfterMs
    this.details = options.details
  }
}

export function isConnectorError(err: unknown): err is ConnectorError {
  return err instanceof ConnectorError
}

/**
 * The default reading of a failed HTTP answer: 408, 429 and 5xx are worth retrying (429 and 503
 * with their Retry-After); any other 4xx means the data or the mapping must be fixed first.
 */
export function httpFailure(options: { status: number; retryAfter?: string | null; message: string; operation: string; details?: Record<string, unknown> }): ConnectorError {
  const { status } = options
  const retryable = status === 408 || status === 429 || status >= 500
  return new ConnectorError({
    code: status === 429 ? 'rate_limited' : retryable ? 'upstream_unavailable' : 'rejected',
    message: options.message,
    retryable,
    httpStatus: status,
    retryAfterMs: parseRetryAfter(options.retryAfter ?? null),
    details: { operation: options.operation, ...options.details },
  })
}

/** Retry-After as delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (!value) return undefined
  const trimmed = value.trim()
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number.parseFloat(trimmed) * 1000)
  const at = Date.parse(trimmed)
  if (Number.isNaN(at)) return undefined
  return Math.max(0, at - now)
}

/**
 * A peer's answer read by its schema; a body the hub does not understand is a ConnectorError that
 * names the first field at fault, and is not retried (the same call gets the same answer).
 */
export function parseAnswer<T>(peer: string, schema: z.ZodType<T>, response: HttpResponse, operation: string): T {
  const parsed = schema.safeParse(response.json)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]
  throw new ConnectorError({
    code: 'unexpected_response',
    message: `${peer} ${operation} answered ${response.status} with a body the hub does not understand: ${issue ? `${issue.path.join('.') || 'body'} ${issue.message}` : 'invalid'}`,
    retryable: false,
    httpStatus: response.status,
    details: { exchangeId: response.exchangeId },
  })
}
