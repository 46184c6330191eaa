import { randomUUID } from 'node:crypto'
import { SignJWT, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose'
import { z } from 'zod'
import type { ConnectorContext, RateLimitPolicy } from '../connector.js'
import { ConnectorError } from '../errors.js'
import { trimSlash, type HttpRequest, type HttpResponse, type StreamedResponse } from '../http.js'
import { isCronExpression } from '../../engine/schedule.js'
import { OperationOutcome } from './answers.js'
import { ECW_IDENTIFIER_SYSTEM_DEFAULT } from './fields.js'

/**
 * The SMART v2 system scopes the hub asks for: each is one ECW advertises in its SMART
 * configuration (`scopes_supported`), which has no `system/*.write` and, for Coverage, only `.r`
 * (read by id) and `.d`. Patient: search + read, create, update; reference data and encounters:
 * search + read.
 */
export const DEFAULT_ECW_SCOPES = [
  'system/Patient.rs',
  'system/Patient.c',
  'system/Patient.u',
  'system/Practitioner.rs',
  'system/Location.rs',
  'system/Coverage.r',
  'system/Encounter.rs',
].join(' ')

/**
 * The hub's earlier default, stored with connections made before: ECW refuses
 * `system/Patient.write` and `system/Coverage.read` at the first token request, so a connection
 * that still holds exactly this string asks for the current default instead.
 */
export const LEGACY_DEFAULT_ECW_SCOPES = 'system/Patient.read system/Patient.write system/Practitioner.read system/Location.read system/Coverage.read system/Encounter.read'

/** The scopes a connection asks for. */
export function requestedScopes(settings: { scopes: string }): string {
  return settings.scopes === LEGACY_DEFAULT_ECW_SCOPES ? DEFAULT_ECW_SCOPES : settings.scopes
}

/** The Group the ECW simulator's practices export (ECW staff give a real practice's id at registration). */
export const DEFAULT_ECW_GROUP_ID = 'all-patients'

export const EcwSettings = z
  .object({
    clientId: z.string().trim().min(1).describe('Client ID of the app registered with eClinicalWorks'),
    scopes: z
      .string()
      .trim()
      .min(1)
      .default(DEFAULT_ECW_SCOPES)
      .describe('Space-separated SMART system scopes requested; each must be one ECW advertises (e.g. system/Patient.rs, .c, .u; system/Coverage.r)'),
    identifierSystem: z.string().trim().min(1).default(ECW_IDENTIFIER_SYSTEM_DEFAULT).describe('System of the identifier carrying the CRM patient id'),
    pullSchedule: z
      .string()
      .trim()
      .default('0 */2 * * *')
      .refine(isCronExpression, 'must be a cron expression such as "0 */2 * * *" (every 2 hours)')
      .describe('When to pull from ECW (cron, UTC)'),
    pageSize: z.number().int().min(10).max(100).default(100).describe('Resources per page when pulling (_count)'),
    groupId: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9\-.]{1,64}$/, 'must be a FHIR id (letters, digits, "-" and ".", at most 64)')
      .default(DEFAULT_ECW_GROUP_ID)
      .describe('Id of the patient Group ECW set up for this client: pulls read its patients, coverage and encounters by Bulk Data export (Group/{id}/$export)'),
    pullModules: z
      .array(z.enum(['practitioner', 'location', 'patient', 'insurance', 'encounter']))
      .min(1)
      .default(['practitioner', 'location', 'patient', 'insurance', 'encounter'])
      .describe('What "Pull from EMR" brings (the CRM–eClinicalWorks integration guide step 4): practitioners, locations, patient demographics, insurance, encounters'),
    importNewPatients: z
      .boolean()
      .default(true)
      .describe('Pulled ECW patients that match no CRM patient become CRM patients (and go on to the other EMRs); off: a pull only updates linked patients'),
    requestsPerMinute: z
      .number()
      .int()
      .min(1)
      .max(250)
      .default(250)
      .describe('ECW\'s limit per minute for this practice (250, the token endpoint included); the hub sends at most this many in any 62 seconds (2 s allowed for the calls\' transit)'),
  })
  .strict()

/**
 * Pacing under ECW's limit. ECW counts requests per minute of ITS clock, and one request over the
 * limit blocks every request of the application (all practices) for the rest of that minute
 * (healow "FHIR Rate Limiting"). Our clock and ECW's may differ, so a window per minute of ours
 * could put up to twice the budget into one of ECW's minutes: the hub holds every span of a
 * minute, wherever ECW's minutes start, to the limit (a rolling window). A request is counted when
 * ECW receives it, a little after the hub paced it, and that delay varies (the call's own writes
 * before it leaves, a busy event loop, the network): so the span is a minute and
 * ECW_TRANSIT_ALLOWANCE_SECONDS. No minute of ECW's then counts more than the limit while the
 * delays of two calls differ by less than that, whatever their pattern (a backlog sends in
 * bursts). The budget used is 60 / (60 + allowance) of the limit: 96.8% with 2 s. (It was a flat
 * 10% margin on a 60-second span: 90% used, and a burst pattern was not covered by it.)
 */
export const ECW_TRANSIT_ALLOWANCE_SECONDS = 2

export function ecwPacing(requestsPerMinute: number): RateLimitPolicy {
  return { kind: 'rolling', limit: requestsPerMinute, windowSeconds: 60 + ECW_TRANSIT_ALLOWANCE_SECONDS }
}

/** The hub's own key pair for SMART Backend Services: generated per connection, kept encrypted. */
export const EcwSecrets = z
  .object({
    privateKeyJwk: z.record(z.string(), z.unknown()).describe('RS384 private key (generated by the hub)'),
    kid: z.string().min(1).describe('Key id published in the hub JWKS'),
  })
  .strict()

export type EcwSettingsT = z.output<typeof EcwSettings>
export type EcwSecretsT = z.output<typeof EcwSecrets>
export type EcwContext = ConnectorContext<EcwSettingsT, EcwSecretsT>

export async function generateEcwKeys(): Promise<EcwSecretsT> {
  const { privateKey } = await generateKeyPair('RS384', { extractable: true, modulusLength: 2048 })
  return { privateKeyJwk: (await exportJWK(privateKey)) as Record<string, unknown>, kid: randomUUID() }
}

/** The JWKS ECW fetches from the hub: only the public half of the key. */
export function publicJwks(secrets: EcwSecretsT): { keys: JWK[] } {
  const { kty, n, e } = secrets.privateKeyJwk as JWK
  return { keys: [{ kty, n, e, kid: secrets.kid, alg: 'RS384', use: 'sig' }] }
}

const SmartConfiguration = z.object({ token_endpoint: z.string().url() }).passthrough()
const TokenResponse = z.object({ access_token: z.string().min(1), expires_in: z.number().positive() })
const OAuthError = z.object({ error: z.string(), error_description: z.string().optional() })

/** ECW tokens live 5 minutes; renew a little before. */
const TOKEN_MIN_VALIDITY_MS = 30_000
const discovered = new Map<string, { tokenUrl: string; at: number }>()

/** `.well-known/smart-configuration` of the practice, cached for an hour. */
export async function discoverTokenUrl(ctx: EcwContext): Promise<string> {
  const base = trimSlash(ctx.connection.baseUrl)
  const cached = discovered.get(base)
  if (cached && Date.now() - cached.at < 3600_000) return cached.tokenUrl
  const response = await ctx.http.request({ operation: 'discover', method: 'GET', url: `${base}/.well-known/smart-configuration`, headers: { accept: 'application/json' } })
  if (response.status === 404) {
    throw new ConnectorError({
      code: 'practice_not_found',
      message: `ECW practice code not found: ${base} has no SMART configuration (${outcomeText(response) ?? '404'}); check the practice code in the base URL`,
      retryable: false,
      httpStatus: 404,
    })
  }
  const config = SmartConfiguration.safeParse(response.json)
  if (response.status !== 200 || !config.success) throw failure(response, 'discover')
  discovered.set(base, { tokenUrl: config.data.token_endpoint, at: Date.now() })
  return config.data.token_endpoint
}

/** SMART Backend Services: an RS384 client assertion (kid, iss = sub = client id, aud = token URL, exp ≤ 5 min, fresh jti). */
async function mintToken(ctx: EcwContext): Promise<{ token: string; expiresAt: Date }> {
  const { settings, secrets } = ctx.connection
  const tokenUrl = await discoverTokenUrl(ctx)
  const key = await importJWK(secrets.privateKeyJwk as JWK, 'RS384')
  const now = Math.floor(ctx.now().getTime() / 1000)
  const assertion = await new SignJWT({})
    .setProtectedHeader({ alg: 'RS384', kid: secrets.kid, typ: 'JWT' })
    .setIssuer(settings.clientId)
    .setSubject(settings.clientId)
    .setAudience(tokenUrl)
    .setIssuedAt(now)
    .setExpirationTime(now + 240)
    .setJti(randomUUID())
    .sign(key)
  const response = await ctx.http.request({
    operation: 'token',
    method: 'POST',
    url: tokenUrl,
    headers: { accept: 'application/json' },
    form: {
      grant_type: 'client_credentials',
      scope: requestedScopes(settings),
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    },
  })
  if (response.status !== 200) throw tokenFailure(response, settings.clientId, requestedScopes(settings))
  const token = TokenResponse.safeParse(response.json)
  if (!token.success) throw failure(response, 'token')
  return { token: token.data.access_token, expiresAt: new Date(ctx.now().getTime() + token.data.expires_in * 1000) }
}

/**
 * Turns ECW's OAuth errors into the exact cause an admin can act on (the CRM–eClinicalWorks integration guide: "Incorrect Client
 * ID or JWKS not whitelisted").
 */
export function tokenFailure(response: HttpResponse, clientId: string, scopes: string): ConnectorError {
  if (response.status === 429 || response.status >= 500) return failure(response, 'token')
  const parsed = OAuthError.safeParse(response.json)
  const description = parsed.data?.error_description ?? ''
  const error = parsed.data?.error ?? `http_${response.status}`
  const cause = (code: string, message: string) =>
    new ConnectorError({ code, message, retryable: false, httpStatus: response.status, details: { exchangeId: response.exchangeId, error, description } })
  if (/not allow-?listed|whitelist/i.test(description)) return cause('jwks_not_allowlisted', `JWKS not allow-listed: eClinicalWorks has not registered the hub's JWKS URL for client ${clientId} (${description})`)
  if (/not reachable|unreachable|malformed/i.test(description)) return cause('jwks_unreachable', `ECW could not read the hub's JWKS: ${description}`)
  if (/kid|signature|RS384 key/i.test(description)) return cause('jwks_key_mismatch', `ECW rejected the hub's signing key: ${description}`)
  if (error === 'invalid_scope' || /scope/i.test(description)) {
    // ECW's table answers a refused scope with invalid_grant (RFC 6749 says invalid_scope): name the scope either way.
    const words = description.split(/[\s,;()]+/)
    const refused = scopes.split(/\s+/).find((scope) => words.includes(scope))
    return cause('invalid_scope', `invalid scope: ECW refused ${refused ? `the scope ${refused}` : 'a requested scope'} (${description}); ask only for scopes ECW advertises in its SMART configuration`)
  }
  if (/client_id|not registered|No client/i.test(description)) return cause('invalid_client', `ECW does not know client id ${clientId}: ${description}`)
  return cause(`token_${error}`, `ECW refused the token request (${error}): ${description || response.text.slice(0, 200)}`)
}

/**
 * Calls the practice's FHIR API with a cached token; a 401 (with or without WWW-Authenticate)
 * renews the token once. A `url` must stay under the connection's base URL: the bearer token is
 * never sent to another host, whatever an answer's links say.
 */
export async function ecwCall(ctx: EcwContext, request: Omit<HttpRequest, 'url'> & { path?: string; url?: string }): Promise<HttpResponse> {
  const url = request.url ?? `${trimSlash(ctx.connection.baseUrl)}${request.path ?? ''}`
  if (request.url !== undefined) requireUnderBase(ctx.connection.baseUrl, request.url, request.operation)
  let token = ''
  const send = async () => {
    token = await ctx.tokens.get(() => mintToken(ctx), TOKEN_MIN_VALIDITY_MS)
    const { path: _path, url: _url, ...rest } = request
    return ctx.http.request({
      ...rest,
      url,
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'application/fhir+json',
        ...(request.json !== undefined ? { 'content-type': 'application/fhir+json' } : {}),
        ...request.headers,
      },
    })
  }
  let response = await send()
  if (response.status === 401) {
    await ctx.tokens.clear(token)
    response = await send()
  }
  return response
}

/**
 * A GET whose body is read line by line (a bulk export's NDJSON file), with the cached token when
 * the file server requires it; a 401 renews the token once, as in `ecwCall`.
 */
export async function ecwStream(ctx: EcwContext, request: { operation: string; url: string; withToken: boolean; accept: string }): Promise<StreamedResponse> {
  const streamLines = ctx.http.streamLines
  if (!streamLines) throw new ConnectorError({ code: 'unsupported', message: 'This HTTP door cannot stream a file line by line', retryable: false })
  let token: string | null = null
  const send = async () => {
    token = request.withToken ? await ctx.tokens.get(() => mintToken(ctx), TOKEN_MIN_VALIDITY_MS) : null
    return streamLines({
      operation: request.operation,
      method: 'GET',
      url: request.url,
      headers: { accept: request.accept, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    })
  }
  let response = await send()
  if (response.status === 401 && token) {
    await ctx.tokens.clear(token)
    response = await send()
  }
  return response
}

/**
 * A failed answer as a ConnectorError. ECW's 429 has no Retry-After and lasts to the end of the
 * clock minute, so the retry waits for the next minute.
 */
export function failure(response: HttpResponse, operation: string, now: Date = new Date()): ConnectorError {
  const status = response.status
  const text = outcomeText(response) ?? OAuthError.safeParse(response.json).data?.error_description ?? response.text.slice(0, 300)
  if (status === 429) {
    return new ConnectorError({
      code: 'rate_limited',
      message: `ECW rate limit reached (250 requests/minute per practice; every request of the application is blocked for the rest of ECW's minute) during ${operation}; retrying next minute`,
      retryable: true,
      httpStatus: 429,
      retryAfterMs: untilNextMinute(response, now),
      details: { exchangeId: response.exchangeId },
    })
  }
  return new ConnectorError({
    code: status >= 500 || status === 408 ? 'upstream_unavailable' : 'rejected',
    message: `ECW ${operation} failed (${status}): ${text || 'no message'}`,
    retryable: status >= 500 || status === 408,
    httpStatus: status,
    details: { exchangeId: response.exchangeId },
  })
}

/**
 * ECW's block lasts to the end of ITS clock minute, and its clock may differ from ours: the
 * answer's `Date` header (whole seconds) says where ECW's minute stands; without one, ours does.
 * One second more covers the header's rounding.
 */
export function untilNextMinute(response: HttpResponse, now: Date): number {
  const dated = Date.parse(response.headers.get('date') ?? '')
  if (Number.isNaN(dated)) return 60_000 - (now.getTime() % 60_000) + 250
  return 60_000 - (dated % 60_000) + 1_000
}

/** The human text of an OperationOutcome: each issue's diagnostics or details. */
export function outcomeText(response: HttpResponse): string | null {
  const outcome = OperationOutcome.safeParse(response.json)
  if (!outcome.success) return null
  return outcome.data.issue.map((i) => i.diagnostics ?? i.details?.text ?? '').filter(Boolean).join('; ') || null
}

/**
 * Refuses a URL outside the connection's base (another origin, or another path than the
 * practice's): a paging link from an answer must not take the bearer token anywhere else.
 */
export function requireUnderBase(baseUrl: string, url: string, operation: string): void {
  const base = new URL(trimSlash(baseUrl))
  let target: URL
  try {
    target = new URL(url)
  } catch {
    throw foreignUrl(url, base, operation, 'it is not an absolute URL')
  }
  if (target.origin !== base.origin) throw foreignUrl(url, base, operation, `its origin ${target.origin} is not ${base.origin}`)
  if (target.pathname !== base.pathname && !target.pathname.startsWith(`${base.pathname}/`)) {
    throw foreignUrl(url, base, operation, `its path is not under ${base.pathname}`)
  }
}

function foreignUrl(url: string, base: URL, operation: string, why: string): ConnectorError {
  return new ConnectorError({
    code: 'foreign_url',
    message: `Refused to call ${url.slice(0, 200)} during ${operation}: ${why}, and the ECW access token is only ever sent to the connection's base URL ${base.href}`,
    retryable: false,
    details: { url: url.slice(0, 500) },
  })
}

