/**
 * Every behaviour of this simulator that KIPU does not publish — tagged [I] (inferred) or [P]
 * (our proposal), as in the team's notes on KIPU's API. Everything else follows KIPU's API v3
 * documentation (https://api.kipuapi.com/api-docs/index.html): APIAuth signing, the Accept
 * header, app_id / document[recipient_id], string-valued pagination, `{"errors": "…"}` bodies.
 *
 * Kept in this one file so that, when the real answer is learnt, it is corrected here only.
 */

/** [V] KIPU refuses a request whose Date is more than 15 minutes off its clock. */
export const MAX_CLOCK_SKEW_MS = 15 * 60_000

/** [V] The vendor media type every call must accept. */
export const KIPU_ACCEPT = 'application/vnd.kipusystems+json; version=3'

/** [I] KIPU answers 401 without saying which part failed; the simulator names it, to help debugging. */
export const AUTH_MESSAGES = {
  missingAuthorization: 'Authentication signature was missing or incorrect: send "Authorization: APIAuth {access_id}:{signature}"',
  badSignature: 'Authentication signature was missing or incorrect',
  missingDate: 'Authentication signature was missing or incorrect: send a Date (or X-Auth-Date) header',
  badDate: 'Authentication signature was missing or incorrect: the Date header is not an RFC 1123 date',
  clockSkew: 'Authentication signature was missing or incorrect: the request Date is more than 15 minutes from the server time',
  missingMd5: 'Authentication signature was missing or incorrect: send Content-MD5 with a request body',
  md5Mismatch: 'Authentication signature was missing or incorrect: Content-MD5 does not match the request body',
} as const

export const MESSAGES = {
  /** [I] 406 for another Accept header (KIPU's API is versioned by media type). */
  notAcceptable: `Send "Accept: ${KIPU_ACCEPT}"`,
  missingAppId: 'app_id is required',
  wrongAppId: 'This app is not permitted to access this instance',
  wrongRecipient: 'document[recipient_id] is not permitted to access this instance',
  missingRecipient: 'document[recipient_id] is required',
  patientNotFound: 'Patient not found',
  unsupportedMediaType: 'Content-Type must be application/json or multipart/form-data',
  invalidJson: 'The request body is not valid JSON',
  routeNotFound: (method: string, path: string) => `No route matches ${method} ${path}`,
  badPhiLevel: 'phi_level must be one of: high, medium, low',
  badPage: 'page and per must be positive integers (per at most 100)',
} as const

/** [V] `per` defaults to 20; [I] at most 100. */
export const PAGE = { defaultPer: 20, maxPer: 100 } as const

/**
 * [I] The 201 answer to POST /api/patients is not public. The simulator answers the ids of the
 * new chart (`createAnswer: 'ids'`, default) or an empty object (`'empty'`), so a client that
 * must look the patient up to learn its id can be tested too.
 */
export type CreateAnswer = 'ids' | 'empty'

/**
 * [I] Patient reads (GET /api/patients/{id}, census, latest) answer the fields of the KIPU integration article's
 * "what Dazos pulls back" list, plus the chart ids (`casefile_id`, `patient_master_id`,
 * `location_id`, `location_name`) and `sending_app_patient_id` as the sending app gave it.
 * Single reads are wrapped as `{"patient": {…}}`, lists as `{"pagination": {…}, "patients": […]}`.
 * [I] The census lists every chart of the instance, pre-admission ones included (they simply have
 * no admission date or MR number yet); `latest` lists charts updated in [start_date, end_date].
 */
export const READ_SHAPES = { single: 'patient', list: 'patients' } as const

/** [I] What phi_level hides: medium drops contact details and identifiers, low keeps only chart facts. */
export const PHI_HIDDEN: Record<'high' | 'medium' | 'low', readonly string[]> = {
  high: [],
  medium: ['dob', 'address_street', 'address_street2', 'address_city', 'state', 'address_zip', 'email', 'phone', 'insurances', 'patient_contacts'],
  low: [
    'first_name', 'last_name', 'dob', 'address_street', 'address_street2', 'address_city', 'state', 'address_zip', 'address_country',
    'email', 'phone', 'insurances', 'patient_contacts', 'first_contact_name', 'referrer_name',
  ],
}

/**
 * [I] Nested attributes on PATCH (Rails accepts_nested_attributes_for): an insurance whose
 * `policy_no` the chart already holds is updated, not added again; a contact likewise by
 * `full_name`. New ones are added.
 */
export const NESTED_MATCH = { insurance: 'policy_no', contact: 'full_name' } as const

/** [I] Admission times are facility-local; the simulated facility is on Pacific time (the KIPU integration article shows 07:00Z). */
export const FACILITY_TIME_ZONE = 'America/Los_Angeles'

/** [I] MR numbers look like the KIPU integration article's "DHR2025-63": a prefix, the admission year, a sequence. */
export const MR_PREFIX = 'DHR'

/** [I] payment_method_category codes by payment method (the KIPU integration article shows Insurance → "2"). */
export const PAYMENT_METHOD_CATEGORY: Record<string, string> = { Insurance: '2', 'Self Pay': '1', Scholarship: '3', Other: '4' }

/**
 * [P] KIPU's webhook wire format is not public ("Patient Creation", "Chart Update" exist). The
 * simulator POSTs `{event_id, event, occurred_at, casefile_id, patient_id, patient_master_id,
 * app_id}` as JSON, signed with APIAuth exactly like a client request (the instance's access id
 * and secret key; request_uri = the receiver's path and query). A delivery that fails (network,
 * non-2xx) is retried up to `WEBHOOK_RETRY.attempts` times, doubling the wait.
 */
export const WEBHOOK_EVENTS = ['Patient Creation', 'Chart Update'] as const
export const WEBHOOK_RETRY = { attempts: 5, firstDelayMs: 500 } as const

/** [I] The error body of every failure: `{"errors": "<sentence>"}` ([V] the shape). */
export function kipuError(message: string): { errors: string } {
  return { errors: message }
}
