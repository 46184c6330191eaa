import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import { z } from 'zod'
import type { ConnectorContext } from '../connector.js'
import { ConnectorError, httpFailure, parseAnswer } from '../errors.js'
import { trimSlash, type HttpRequest, type HttpResponse, type OutgoingRequest } from '../http.js'
import { isCronExpression } from '../../engine/schedule.js'

/** KIPU's API is versioned by media type; every call must accept it. */
export const KIPU_ACCEPT = 'application/vnd.kipusystems+json; version=3'
/** KIPU refuses a request whose Date is more than 15 minutes from its clock. */
export const KIPU_MAX_SKEW_MS = 15 * 60_000

export const KipuSettings = z
  .object({
    accessId: z
      .string()
      .trim()
      .min(1, 'is required: the access id KIPU issued')
      .regex(/^[^\s:]+$/, 'must be the access id KIPU issued (no spaces or colons)')
      .describe('Access ID issued by KIPU (sent in every Authorization header)'),
    appId: z.string().trim().min(1, 'is required: the app id (recipient id) KIPU issued').max(100).describe('App ID of this KIPU instance: app_id on reads, document[recipient_id] on writes'),
    sendingAppName: z.string().trim().min(1).max(60).default('carebridge').describe('document[sending_app_name] on writes'),
    facilityTimeZone: z
      .string()
      .trim()
      .default('America/Los_Angeles')
      .refine(isTimeZone, 'must be an IANA time zone such as America/New_York')
      .describe("The facility's time zone: KIPU admission and discharge times are facility-local"),
    pullSchedule: z
      .string()
      .trim()
      .default('0 */2 * * *')
      .refine(isCronExpression, 'must be a cron expression such as "0 */2 * * *" (every 2 hours)')
      .describe('When to pull from KIPU (cron, UTC); the first pull reads the census, later ones what changed since (latest)'),
    pageSize: z.number().int().min(10).max(100).default(100).describe('Patients per page when pulling (per)'),
    importNewPatients: z
      .boolean()
      .default(true)
      .describe('Admitted KIPU patients that match no CRM patient become CRM patients; off: pulls only update linked ones'),
    requestsPerSecond: z.number().int().min(1).max(50).default(10).describe('Pacing of calls to KIPU (KIPU publishes no limit)'),
  })
  .strict()

export const KipuSecrets = z
  .object({
    secretKey: z
      .string()
      .min(1, 'is required: the secret key KIPU issued')
      .regex(/^[\x21-\x7e]{16,512}$/, 'must be the secret key KIPU issued as one piece: 16 or more characters, no spaces or line breaks')
      .describe('Secret key issued by KIPU (signs every request, HMAC-SHA1)'),
  })
  .strict()

export type KipuSettingsT = z.output<typeof KipuSettings>
export type KipuSecretsT = z.output<typeof KipuSecrets>
export type KipuContext = ConnectorContext<KipuSettingsT, KipuSecretsT>

// ---------------------------------------------------------------------------------------------
// APIAuth (KIPU API v3 documentation, "Calculating the Encoded Signature")

/**
 * The string KIPU signs. No HTTP method; `request_uri` is the path and query exactly as sent:
 * `{Content-Type},{Content-MD5},{request_uri},{Date}` with a body, `,,{request_uri},{Date}` without.
 */
export function canonicalString(parts: { contentType: string; contentMd5: string; requestUri: string; date: string }): string {
  return `${parts.contentType},${parts.contentMd5},${parts.requestUri},${parts.date}`
}

export function contentMd5(body: string | Buffer): string {
  return createHash('md5').update(body).digest('base64')
}

export function apiAuthSignature(secretKey: string, canonical: string): string {
  return createHmac('sha1', secretKey).update(canonical, 'utf8').digest('base64')
}

/**
 * Signs a request as it goes on the wire (the door's signing hook): Date (RFC 1123), Content-MD5
 * of the exact body bytes, and `Authorization: APIAuth {access_id}:{signature}`. The canonical
 * string is returned for the log (it holds no secret), so a 401 can be debugged.
 */
export function signKipuRequest(request: OutgoingRequest, credentials: { accessId: string; secretKey: string }, now: Date): { headers: Record<string, string>; details: Record<string, unknown> } {
  const date = now.toUTCString()
  const url = new URL(request.url)
  const requestUri = `${url.pathname}${url.search}`
  const headers: Record<string, string> = { date }
  let canonical: string
  if (request.body !== undefined) {
    const md5 = contentMd5(request.body)
    const contentType = Object.entries(request.headers).find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? ''
    headers['content-md5'] = md5
    canonical = canonicalString({ contentType, contentMd5: md5, requestUri, date })
  } else {
    canonical = canonicalString({ contentType: '', contentMd5: '', requestUri, date })
  }
  headers.authorization = `APIAuth ${credentials.accessId}:${apiAuthSignature(credentials.secretKey, canonical)}`
  return { headers, details: { signed: canonical } }
}

/**
 * Checks a call KIPU made to the hub (a webhook), signed the same way with the connection's own
 * access id and secret key: signature over the raw body's MD5 and the request URI as received,
 * Date within 15 minutes. Returns the reason it is refused, or null.
 */
export function verifyKipuSignature(
  request: { url: string; headers: Record<string, string>; rawBody: Buffer; receivedAt: Date },
  credentials: { accessId: string; secretKey: string },
): { code: string; message: string } | null {
  const match = /^APIAuth ([^\s:]+):(\S+)$/.exec(request.headers.authorization ?? '')
  if (!match) return { code: 'missing_signature', message: 'Send "Authorization: APIAuth {access_id}:{signature}" signed with the connection\u2019s secret key' }
  if (match[1] !== credentials.accessId) return { code: 'bad_signature', message: 'The APIAuth access id is not this connection\u2019s' }
  const date = request.headers['x-auth-date'] ?? request.headers.date
  const at = date ? Date.parse(date) : Number.NaN
  if (Number.isNaN(at)) return { code: 'missing_date', message: 'Send a Date (or X-Auth-Date) header in RFC 1123 form' }
  if (Math.abs(at - request.receivedAt.getTime()) > KIPU_MAX_SKEW_MS) return { code: 'clock_skew', message: 'The Date header is more than 15 minutes from the hub\u2019s clock (a replayed or delayed call)' }
  const hasBody = request.rawBody.length > 0
  const md5 = hasBody ? contentMd5(request.rawBody) : ''
  if (hasBody && request.headers['content-md5'] !== md5) return { code: 'md5_mismatch', message: 'Content-MD5 does not match the body as received' }
  const canonical = canonicalString({ contentType: hasBody ? (request.headers['content-type'] ?? '') : '', contentMd5: md5, requestUri: request.url, date: date! })
  const expected = Buffer.from(apiAuthSignature(credentials.secretKey, canonical))
  const sent = Buffer.from(match[2]!)
  if (expected.length !== sent.length || !timingSafeEqual(expected, sent)) return { code: 'bad_signature', message: 'The APIAuth signature does not match (signed with another secret key, or over another request URI or body)' }
  return null
}

// ---------------------------------------------------------------------------------------------
// Calls

/**
 * Calls KIPU's API, signed. `app_id` goes in the query of reads; writes carry it in their body as
 * document[recipient_id] (payload.ts).
 */
export async function kipuCall(
  ctx: KipuContext,
  request: Omit<HttpRequest, 'url' | 'headers' | 'sign'> & { path: string; query?: Record<string, string> },
): Promise<HttpResponse> {
  const { path, query, ...rest } = request
  const params = new URLSearchParams(query)
  if (request.method === 'GET' && !params.has('app_id')) params.set('app_id', ctx.connection.settings.appId)
  const search = params.toString()
  const { accessId } = ctx.connection.settings
  const { secretKey } = ctx.connection.secrets
  return ctx.http.request({
    ...rest,
    url: `${trimSlash(ctx.connection.baseUrl)}${path}${search ? `${path.includes('?') ? '&' : '?'}${search}` : ''}`,
    headers: { accept: KIPU_ACCEPT },
    sign: (outgoing) => signKipuRequest(outgoing, { accessId, secretKey }, ctx.now()),
  })
}

/** Throws the ConnectorError a non-2xx answer means, with KIPU's own message; 401 and 403 name their cause. */
export function expectOk(ctx: KipuContext, response: HttpResponse, operation: string): HttpResponse {
  if (response.status >= 200 && response.status < 300) return response
  const refusal = authRefusal(ctx, response)
  if (refusal) throw refusal
  throw httpFailure({
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    operation,
    message: `KIPU ${operation} failed (${response.status}): ${kipuMessage(response)}`,
    details: { exchangeId: response.exchangeId },
  })
}

/**
 * What a 401 or 403 means for the admin. KIPU answers 401 for any signature problem; a clock more
 * than 15 minutes off is told apart by the Date KIPU answered with.
 */
export function authRefusal(ctx: KipuContext, response: HttpResponse): ConnectorError | null {
  const details = { exchangeId: response.exchangeId }
  if (response.status === 401) {
    const theirs = Date.parse(response.headers.get('date') ?? '')
    const skew = Number.isNaN(theirs) ? 0 : ctx.now().getTime() - theirs
    if (Math.abs(skew) > KIPU_MAX_SKEW_MS) {
      const minutes = Math.round(Math.abs(skew) / 60_000)
      return new ConnectorError({
        code: 'clock_skew',
        message: `KIPU refused the request date: this server's clock is ${minutes} minutes ${skew > 0 ? 'ahead of' : 'behind'} KIPU's, and KIPU allows 15 — set the server's time (NTP), then test again`,
        retryable: false,
        httpStatus: 401,
        details: { ...details, skewMs: skew },
      })
    }
    return new ConnectorError({
      code: 'bad_signature',
      message: `KIPU refused the signature (401: ${kipuMessage(response)}): check the access id and secret key of this connection`,
      retryable: false,
      httpStatus: 401,
      details,
    })
  }
  if (response.status === 403) {
    return new ConnectorError({
      code: 'app_forbidden',
      message: `KIPU refused app id "${ctx.connection.settings.appId}" (403: ${kipuMessage(response)}): check the app id (recipient id) KIPU issued for this instance`,
      retryable: false,
      httpStatus: 403,
      details,
    })
  }
  return null
}

export function parseBody<T>(schema: z.ZodType<T>, response: HttpResponse, operation: string): T {
  return parseAnswer('KIPU', schema, response, operation)
}

/** KIPU's error body is `{"errors": "<sentence>"}`. */
export function kipuMessage(response: HttpResponse): string {
  const body = response.json as { errors?: unknown; error?: unknown } | undefined
  if (body && typeof body === 'object') {
    if (typeof body.errors === 'string') return body.errors
    if (Array.isArray(body.errors)) return body.errors.map(String).join('; ')
    if (typeof body.error === 'string') return body.error
  }
  return response.text.slice(0, 300) || 'no message'
}

// ---------------------------------------------------------------------------------------------
// Answers

/** KIPU's pagination: every value a string. */
export const Pagination = z.object({
  current_page: z.string(),
  total_pages: z.string(),
  records_per_page: z.string().optional(),
  total_records: z.string(),
})

/** A patient as KIPU's reads return it (the KIPU integration article's pull payload); only the chart id is required. */
export const KipuPatientView = z
  .object({ casefile_id: z.string().regex(/^\d+:[0-9A-Za-z-]+$/, 'must be "{location_patient_id}:{patient_master_id}"') })
  .passthrough()
export type KipuPatientViewT = z.output<typeof KipuPatientView>

export const PatientPage = z.object({ pagination: Pagination, patients: z.array(KipuPatientView) })
export const PatientEnvelope = z.object({ patient: KipuPatientView })
/** [I] The 201 of a create is not public: the ids when KIPU sends them, else nothing (the patient is then looked up). */
export const CreatedPatient = z
  .object({ casefile_id: z.string().optional(), patient: z.object({ casefile_id: z.string().optional() }).passthrough().optional() })
  .passthrough()

/** `{location_patient_id}:{patient_master_uuid}` → the two ids patient routes take. */
export function parseCasefile(casefileId: string | null): { id: string; patientMasterId: string } | null {
  const match = casefileId ? /^(\d+):(.+)$/.exec(casefileId) : null
  return match ? { id: match[1]!, patientMasterId: match[2]! } : null
}


function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
    return true
  } catch {
    return false
  }
}
