/**
 * KIPU's request authentication (APIAuth, HMAC-SHA1), as KIPU's API v3 documentation states it:
 *
 *   Authorization: APIAuth {access_id}:{signature}
 *   signature = Base64(HMAC-SHA1(secret_key, canonical))
 *   canonical = "{Content-Type},{Content-MD5},{request_uri},{Date}"   (requests with a body)
 *             = ",,{request_uri},{Date}"                               (GET)
 *
 * No HTTP method in the canonical string; `request_uri` is the path and query exactly as sent;
 * Content-MD5 is Base64(MD5(raw body)); Date is RFC 1123 (X-Auth-Date accepted instead).
 * This file is the simulator's own implementation: it shares no code with the hub's connector,
 * so the end-to-end tests check one against the other.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import { AUTH_MESSAGES, MAX_CLOCK_SKEW_MS } from './inferred.js'

export interface SignedParts {
  contentType: string
  contentMd5: string
  requestUri: string
  date: string
}

export function canonicalString(parts: SignedParts): string {
  return `${parts.contentType},${parts.contentMd5},${parts.requestUri},${parts.date}`
}

export function hmacSignature(secretKey: string, canonical: string): string {
  return createHmac('sha1', secretKey).update(canonical, 'utf8').digest('base64')
}

export function md5Base64(body: Buffer | string): string {
  return createHash('md5').update(body).digest('base64')
}

export interface AuthInput {
  method: string
  /** Path and query as received. */
  url: string
  headers: Record<string, string | string[] | undefined>
  rawBody: Buffer | null
}

export type AuthVerdict = { ok: true; accessId: string } | { ok: false; status: 401; message: string; cause: AuthFailure }
export type AuthFailure = 'missing_authorization' | 'unknown_access_id' | 'missing_date' | 'bad_date' | 'clock_skew' | 'missing_md5' | 'md5_mismatch' | 'bad_signature'

/** Checks one request against the credentials KIPU issued; `now` is the simulator clock. */
export function verifyApiAuth(input: AuthInput, credentials: { accessId: string; secretKey: string }, now: number): AuthVerdict {
  const header = single(input.headers.authorization)
  const match = header ? /^APIAuth ([^\s:]+):(\S+)$/.exec(header) : null
  if (!match) return refuse('missing_authorization', AUTH_MESSAGES.missingAuthorization)
  const [, accessId, signature] = match as unknown as [string, string, string]
  if (accessId !== credentials.accessId) return refuse('unknown_access_id', AUTH_MESSAGES.badSignature)

  const date = single(input.headers['x-auth-date']) ?? single(input.headers.date)
  if (!date) return refuse('missing_date', AUTH_MESSAGES.missingDate)
  const at = Date.parse(date)
  if (Number.isNaN(at)) return refuse('bad_date', AUTH_MESSAGES.badDate)
  if (Math.abs(at - now) > MAX_CLOCK_SKEW_MS) return refuse('clock_skew', AUTH_MESSAGES.clockSkew)

  const hasBody = input.rawBody !== null && input.rawBody.length > 0
  let contentType = ''
  let contentMd5 = ''
  if (hasBody) {
    contentMd5 = single(input.headers['content-md5']) ?? ''
    if (!contentMd5) return refuse('missing_md5', AUTH_MESSAGES.missingMd5)
    if (contentMd5 !== md5Base64(input.rawBody!)) return refuse('md5_mismatch', AUTH_MESSAGES.md5Mismatch)
    contentType = single(input.headers['content-type']) ?? ''
  }
  const expected = hmacSignature(credentials.secretKey, canonicalString({ contentType, contentMd5, requestUri: input.url, date }))
  if (!sameText(expected, signature)) return refuse('bad_signature', AUTH_MESSAGES.badSignature)
  return { ok: true, accessId }
}

/** Signs a request the simulator sends (its webhooks), the same way a client signs its calls. */
export function signApiAuth(options: {
  accessId: string
  secretKey: string
  requestUri: string
  body: string | null
  contentType?: string
  now: number
}): Record<string, string> {
  const date = new Date(options.now).toUTCString()
  const contentType = options.body !== null ? (options.contentType ?? 'application/json') : ''
  const contentMd5 = options.body !== null ? md5Base64(options.body) : ''
  const signature = hmacSignature(options.secretKey, canonicalString({ contentType, contentMd5, requestUri: options.requestUri, date }))
  return {
    date,
    authorization: `APIAuth ${options.accessId}:${signature}`,
    ...(options.body !== null ? { 'content-type': contentType, 'content-md5': contentMd5 } : {}),
  }
}

function refuse(cause: AuthFailure, message: string): AuthVerdict {
  return { ok: false, status: 401, message, cause }
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}
