/**
 * Every behaviour of this simulator that Ritten does not publish — tagged [I] (inferred) or [P]
 * (our proposal) in /work/shared/EXTERNAL-APIS.md. Everything else follows the vendor's OpenAPI
 * (`/work/shared/specs/ritten/openapi.yaml`) and rate limits (`rate-limits.yml`).
 *
 * Kept in this one file so that, when the real answer is learnt (a sandbox, a support ticket),
 * it is corrected here and nowhere else.
 */

/** One field-level problem in a 400 answer. */
export interface FieldError {
  path: string
  message: string
}

/**
 * [P] Error body of every API route except the token route. The spec declares 400/401/403/404
 * and 429 answers without a body; `{message}` is what Ritten's token errors and docs suggest
 * for humans, and `errors[]` names each bad field so a connector can say what to fix.
 */
export function apiError(message: string, errors?: FieldError[]): { message: string; errors?: FieldError[] } {
  return errors && errors.length > 0 ? { message, errors } : { message }
}

/** [P] The messages of those bodies. The 400/404 summaries are the spec's response descriptions. */
export const MESSAGES = {
  missingToken: 'Missing access token: send "Authorization: Bearer <access_token>" (get one from POST /v1/oauth/token)',
  unknownToken: 'Invalid access token',
  expiredToken: 'Access token expired: request a new one from POST /v1/oauth/token',
  missingTenant: 'Missing X-Ritten-Tenant header: send the clinic (tenant) id on every request',
  wrongTenant: (tenant: string) => `Tenant "${tenant}" is not accessible to this client`,
  tooManyRequests: 'Too Many Requests',
  invalidCreate: 'Invalid payload supplied',
  invalidPatch: 'Invalid ID or payload supplied',
  invalidId: 'Invalid ID supplied',
  invalidQuery: 'Invalid query supplied',
  patientNotFound: 'Patient not found',
  payerNotFound: 'Insurance payer not found',
  routeNotFound: (method: string, path: string) => `Route ${method} ${path} not found`,
} as const

/** [P] Status codes of the tenant checks (the spec only says the header is required). */
export const TENANT_STATUS = { missing: 400, wrong: 403 } as const

/**
 * [I] Order in which an API call is checked. A gateway authenticates and rate-limits before the
 * application reads the tenant, so a request without a valid token costs nothing from the bucket,
 * and a request with a wrong tenant does.
 */
export const API_GUARD_ORDER = ['token', 'rateLimit', 'tenant'] as const

/**
 * [I] The rate-limit bucket is kept per client (the token's client id). The docs say "per-app /
 * per-IP"; with one client per simulator the two are the same.
 * [I] No Retry-After or RateLimit-* headers are sent: none are documented.
 * [I] The token endpoint has its own per-IP limit whose figures are unpublished: not simulated.
 */
export const RATE_LIMIT_KEY = 'client' as const

/**
 * [I] The cached token endpoint answers `expires_in` with the cached token's REMAINING lifetime,
 * as a cache in front of Auth0 would, and mints a new token only once the cached one expired.
 * [I] Mint quotas are sliding windows (the last hour, the last 24 hours) on the simulator clock;
 * only successful mints count, rejected credentials do not.
 * [I] Access tokens are opaque random strings (the real ones are Auth0 JWTs; clients must not
 * read them anyway).
 */
export const TOKEN_CACHE = {
  expiresIn: 'remaining' as 'remaining' | 'full',
  hourWindowMs: 60 * 60 * 1000,
  dayWindowMs: 24 * 60 * 60 * 1000,
} as const

/** [I] MRN format. The webhook example shows "D31EBE"; a readable sequence is easier in demos. */
export function formatMrn(sequence: number): string {
  return `MRN-${String(sequence).padStart(6, '0')}`
}

/** [I] `limit` of GET /patients when omitted (the spec gives only the maximum, 20), and its floor. */
export const LIST_LIMIT = { default: 20, min: 1, max: 20 } as const

/**
 * [I] Ids in paths must be UUIDs, or the answer is the spec's 400 "Invalid ID supplied" rather
 * than a 404.
 */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * [I] PATCH details the spec leaves open:
 * - `demographics` is merged field by field like `name`; its arrays are replaced wholesale.
 * - top-level arrays (phones, emails, addresses, referrals, insurance) are replaced wholesale.
 * - an address/referral/insurance entry carrying an `id` replaces that entry completely (fields
 *   it omits are gone) and keeps the id; an `id` the patient does not have is a 400.
 * - unknown fields anywhere, and `null` values, are a 400 (the create is strict too).
 * - `insurance[].payerId` is required and must name an existing payer.
 * - an address without `country` is treated as a US address for the `region` check.
 * - `ssn` must be 9 digits, with or without dashes (123-45-6789 or 123456789).
 */
export const PATCH_RULES = {
  unknownEntryId: 'reject' as 'reject' | 'treat-as-new',
  addressDefaultCountry: 'US',
  ssnPattern: /^(\d{3}-\d{2}-\d{4}|\d{9})$/,
} as const

/** [I] When several patients share an externalId, GET /patients/external/{id} returns the oldest. */
export const EXTERNAL_ID_MATCH = 'oldest' as 'oldest' | 'newest'

/** [P] How a field path is written in `errors[].path`: `addresses[0].region`; the body itself is "body". */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`
    else out += out ? `.${String(part)}` : String(part)
  }
  return out || 'body'
}
