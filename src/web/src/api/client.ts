import createClient, { type Middleware } from 'openapi-fetch'
import type { paths } from './schema'

/**
 * The typed API client: every path, parameter and answer comes from the hub's OpenAPI document
 * (schema.d.ts is generated from it). Requests carry the session cookie (HttpOnly: the page
 * never sees it); changes also carry the session's CSRF token, which lives only in memory.
 */
let csrfToken: string | null = null
let onSessionEnded: () => void = () => undefined

export function setCsrfToken(token: string | null): void {
  csrfToken = token
}

export function whenSessionEnds(handler: () => void): void {
  onSessionEnded = handler
}

const sessionMiddleware: Middleware = {
  onRequest({ request }) {
    if (request.method !== 'GET' && request.method !== 'HEAD' && csrfToken) request.headers.set('x-csrf-token', csrfToken)
    return request
  },
  onResponse({ request, response }) {
    // Any answer saying the session is gone (expired, signed out elsewhere, key revoked) returns to sign-in.
    if (response.status === 401 && !request.url.endsWith('/api/session')) onSessionEnded()
    return response
  },
}

export const api = createClient<paths>({ baseUrl: window.location.origin, credentials: 'same-origin' })
api.use(sessionMiddleware)

/** An API refusal as the UI shows it: the hub's own `message`, and the field at fault when named. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly field?: string,
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

type Answer<T> = { data?: T; error?: unknown; response: Response }

/** The answer's data, or an ApiError carrying the hub's message. */
export async function unwrap<T>(call: Promise<Answer<T>>): Promise<T> {
  const { data, error, response } = await call
  if (response.ok) return data as T
  const body = (error ?? {}) as { message?: unknown; error?: unknown; field?: unknown }
  const message = typeof body.message === 'string' ? body.message : `The hub answered ${response.status} ${response.statusText}`
  throw new ApiError(message, response.status, typeof body.error === 'string' ? body.error : 'http_error', typeof body.field === 'string' ? body.field : undefined)
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
