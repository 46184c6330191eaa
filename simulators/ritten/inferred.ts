/**
 * Every behaviour of this simulator that Ritten does not publish, tagged [I] (inferred from what
 * Ritten does publish, or from common sense) or [P] (nothing public: our proposal). Everything
 * else follows Ritten's published "External API 1.0.0" OpenAPI document
 * (https://docs.ritten.io/swagger/openapi.yaml, rendered at https://docs.ritten.io/), including
 * the rate limits in its "Rate Limiting" section.
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
 */
export const RATE_LIMIT_KEY = 'client' as const

/**
 * The token endpoint's own request limit. The OpenAPI's 429 on POST /oauth/token names "the
 * per-IP request rate limit on this endpoint" besides the mint quota, without figures.
 * [I] Its figures: a bucket of 10 requests refilling at one every 6 seconds (10 a minute), per
 * caller IP address. Every request counts, also one refused for its credentials, and also one
 * answered from the token cache: it is a request limit, checked before anything else.
 * [I] Its answer: 429 `{"error": "rate_limit_exceeded", "error_description": …}` (the spec's
 * OAuthErrorResponse, with the code it lists), without Retry-After.
 */
export const TOKEN_REQUEST_LIMIT = { capacity: 10, refillPerSecond: 1 / 6, key: 'ip' as const }

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
 * PATCH of `addresses`, `referrals` and `insurance`. The spec says of each: "To update an existing
 * address [referral, insurance record], include the address ID": an entry with an id updates that
 * entry, an entry without one is a new entry. The details it leaves open:
 * - [I] entries the PATCH does not mention stay: the spec publishes no way to remove an entry
 *   (no DELETE route, no flag), so no PATCH ever removes one; `[]` changes nothing.
 * - [I] new entries are appended after the existing ones, in the order sent, each with a fresh id.
 * - [I] an entry carrying an `id` replaces that entry completely (fields it omits are gone) and
 *   keeps the id; an `id` the patient does not have is a 400, and so is one id twice in a PATCH.
 * Other PATCH details the spec leaves open:
 * - [I] `demographics` is merged field by field like `name`; its arrays are replaced wholesale.
 * - [I] `phones` and `emails` (plain strings, no ids) are replaced wholesale.
 * - [I] unknown fields anywhere, and `null` values, are a 400 (the create is strict too).
 * - [I] `insurance[].payerId` is required and must name an existing payer.
 * - [I] an address without `country` is treated as a US address for the `region` check.
 * - [I] `ssn` must be 9 digits, with or without dashes (123-45-6789 or 123456789).
 */
export const PATCH_RULES = {
  unknownEntryId: 'reject' as 'reject' | 'treat-as-new',
  duplicateEntryId: 'reject' as const,
  addressDefaultCountry: 'US',
  ssnPattern: /^(\d{3}-\d{2}-\d{4}|\d{9})$/,
} as const

/**
 * [I] What a patient must be, where the spec only types the fields (PatientName has no required
 * member; `dob` is any string "YYYY-MM-DD"). Common sense, checked on the create and on the
 * patient a PATCH leaves:
 * - the name has a first or a last name that is not blank (`name: {}` makes no patient);
 * - `dob` and an insurance subscriber's `birthDate` are not in the future: not after today
 *   anywhere on earth (the simulator clock's date in UTC+14), so no time zone refuses a real one;
 * - `externalId`, when sent, is not blank (GET /patients/external/{externalId} could not find it).
 */
export const PATIENT_RULES = {
  latestOffsetMs: 14 * 60 * 60 * 1000,
  messages: {
    noName: 'must have a first or a last name',
    futureDate: 'must not be in the future',
    blank: 'must not be blank',
  },
} as const

/** The latest calendar date anywhere on earth at `now` (epoch ms), as YYYY-MM-DD. */
export function latestToday(now: number): string {
  return new Date(now + PATIENT_RULES.latestOffsetMs).toISOString().slice(0, 10)
}

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
