/**
 * Every behaviour of the ECW simulator that the vendor's material does NOT state, in one place.
 *
 * Tags as in /work/shared/EXTERNAL-APIS.md: [V] vendor spec (specs/ecw/*), [I] inferred, [P] our
 * proposal. Everything tagged [I] or [P] here is a guess made to be plausible; correct it here
 * when ECW's real behaviour is known.
 */

/** Default practice code (seed 001 uses FFBJCD). [V: seed] */
export const DEFAULT_PRACTICE = 'FFBJCD'

/** Practice codes accepted by the simulator when registering/seeding practices. [I] */
export const PRACTICE_CODE_PATTERN = /^[A-Za-z0-9]{2,20}$/

// ---------------------------------------------------------------------------------------------
// SMART / OAuth
// ---------------------------------------------------------------------------------------------

/**
 * Token URL layout. [P] Real ECW serves one token endpoint for every practice
 * (https://oauthserver.eclinicalworks.com/oauth/oauth2/token). The simulator puts the same
 * `/oauth/oauth2/...` paths under each practice base so that the practice (and its rate-limit
 * bucket) is known from the URL:
 *   token      {origin}/fhir/r4/{practice}/oauth/oauth2/token
 *   authorize  {origin}/fhir/r4/{practice}/oauth/oauth2/authorize   (not implemented: 501)
 *   jwks       {origin}/fhir/r4/{practice}/oauth/oauth2/jwks        (empty key set: tokens are opaque)
 * The assertion's `aud` must equal the token URL exactly as discovered.
 */
export const TOKEN_PATH = 'oauth/oauth2/token'
export const AUTHORIZE_PATH = 'oauth/oauth2/authorize'
export const JWKS_PATH = 'oauth/oauth2/jwks'

/** Access token lifetime. [V] */
export const ACCESS_TOKEN_TTL_SECONDS = 300
/** A client assertion's exp may be at most this far in the future. [V] */
export const ASSERTION_MAX_LIFETIME_SECONDS = 300
/** Tolerated clock skew on the upper exp bound only (exp <= now + 300 + skew). [I] */
export const ASSERTION_CLOCK_SKEW_SECONDS = 5
/** Timeout for fetching a client's JWKS. [I] */
export const JWKS_FETCH_TIMEOUT_MS = 5_000

/**
 * OAuth error mapping. [V: error-codes.yml oauth_errors] with [I] choices for the cases the
 * table does not name:
 * - invalid_client 401: unknown client_id (iss), iss != sub, client_id form field != iss, kid
 *   missing or not in the JWKS, bad signature, JWKS unreachable / malformed / not allow-listed,
 *   `jku` header pointing elsewhere than the registered JWKS URL.
 * - invalid_grant 400: assertion malformed (undecodable, alg != RS384 [I], aud wrong [I], exp
 *   missing, expired or > 5 min ahead, jti missing, jti replayed [I]); requested scope unknown,
 *   malformed or not registered for the client.
 * - unsupported_grant_type 400; invalid_request 400 (missing/repeated parameter, wrong
 *   client_assertion_type, body not form-encoded).
 */
export const OAUTH_STATUS = {
  invalid_client: 401,
  invalid_grant: 400,
  unsupported_grant_type: 400,
  invalid_request: 400,
  access_denied: 500,
} as const

// ---------------------------------------------------------------------------------------------
// Rate limit
// ---------------------------------------------------------------------------------------------

/**
 * 250 requests per clock minute per practice [V], counting every request under
 * /fhir/r4/{practice}/ (discovery, metadata and token included [V: "/token" counts; the rest by
 * "per base URL"]). The 251st and later requests of that minute get 429 without Retry-After [V].
 * The 429 body is an OperationOutcome (code "throttled") on FHIR routes and
 * {error:"rate_limit_exceeded", error_description} on the token route. [I]
 */
export const RATE_LIMIT_PER_MINUTE = 250

// ---------------------------------------------------------------------------------------------
// FHIR reads / searches
// ---------------------------------------------------------------------------------------------

/**
 * Resource types served. [V: capabilitystatement.json, seed 001's table] Organization is added
 * because Coverage.payor must reference one (the payer list). Other types of the capability
 * statement (Observation, …) answer 404 not-supported. [I]
 */
export const SERVED_TYPES = ['Patient', 'Practitioner', 'Location', 'Coverage', 'Encounter', 'Organization'] as const
export type ServedType = (typeof SERVED_TYPES)[number]

/**
 * Search parameters beyond each type's capability-statement list. `_lastUpdated` is not in
 * ECW's statement but the hub's incremental pull may use it. [I]
 */
export const EXTRA_SEARCH_PARAMS = ['_lastUpdated']

/**
 * Capability-statement parameters the simulator does not implement (medplum has no definition
 * for them); they answer 400 like any unknown parameter. [I]
 */
export const UNIMPLEMENTED_SEARCH_PARAMS = ['organization-extension.reference', 'organization-extension.url']

/**
 * Result parameters accepted besides the search parameters. [I] `_sort`, `_elements`,
 * `_summary`, `_total` are not declared by ECW and answer 400.
 */
export const CONTROL_PARAMS = ['_count', 'page', '_include', '_revinclude', '_format']

/**
 * Paging. [V] `_count` is supported and ECW declares a `page` search parameter ("The pagination
 * details"); [I] its value here is a 1-based page number, offset = (page-1) * _count. Every
 * `link` URL (self, first, previous, next, last) is absolute and repeats the query with the
 * effective `_count`. Result order is insertion order (stable), so an offset stays valid while
 * records are added. Default 50, cap 100 (larger `_count` is clamped, not refused). [I]
 */
export const PAGE_PARAM = 'page'
export const DEFAULT_PAGE_SIZE = 50
export const MAX_PAGE_SIZE = 100

// ---------------------------------------------------------------------------------------------
// Writeback
// ---------------------------------------------------------------------------------------------

/**
 * Writes: only Patient create (transaction Bundle entry POST Patient, or POST {base}/Patient)
 * and update (PUT {base}/Patient/{id}, or a transaction entry PUT Patient/{id}). [V: seed 001]
 * Writes of any other type (Coverage, Encounter, …) and DELETE/PATCH answer 405 with an
 * OperationOutcome "not-supported" (ECW's API has no such endpoint). [I] Auth (401) is checked
 * before that, scopes (403) after it.
 */
export const UNSUPPORTED_WRITE_STATUS = 405

/**
 * ECW writeback error envelope. [V] says writeback errors carry "a numeric error code plus an
 * error key". [I] Shape chosen: an OperationOutcome whose first issue has
 *   details.coding[0] = { system: WRITEBACK_ERROR_SYSTEM, code: "<numeric code>", display: "<KEY>" }
 *   details.text      = "<KEY>"
 *   diagnostics       = "<code> <KEY>: <action from the guide>[ — detail]"
 *   expression        = [FHIRPath of the offending element] (when known)
 *   extension         = [{ url: EXISTING_PATIENT_EXTENSION, valueReference: {reference: "Patient/<id>"} }, …]
 *                       on 202 / 201, one per existing patient.
 */
export const WRITEBACK_ERROR_SYSTEM = 'http://eclinicalworks.com/fhir/writeback-error-code'
export const EXISTING_PATIENT_EXTENSION = 'http://eclinicalworks.com/fhir/StructureDefinition/existing-patient'

/**
 * HTTP status of a writeback error. [I] request-validation codes (1xx) and structural FHIR
 * failures (203) → 400; duplicate / multiple matches (202, 201) → 422 (FHIR: business rule);
 * patient not found on update (207) → 404.
 */
export function writebackHttpStatus(code: number): number {
  if (code === 201 || code === 202) return 422
  if (code === 207) return 404
  return 400
}

/**
 * Duplicate detection before a Patient create, and before an update for the patients it would
 * newly match (itself and look-alikes it already had are left out, so they stay editable). [I]
 * A candidate is an existing patient that shares any identifier (system + value, exact), or
 * the same family name + first given name (case-insensitive, trimmed) + birthDate.
 * 1 candidate → 202 INVALID_PATIENT_ALREADY_EXIST; 2+ → 201 INVALID_MULTIPLE_PATIENT_FOUND.
 * Duplicates inside one transaction Bundle are not detected.
 */
export const DUPLICATE_RULES = 'identifier | family+given[0]+birthDate'

/** Allowed Patient.gender values (US Core: 1..1). Missing or other → 117. [I] */
export const ALLOWED_GENDERS = ['male', 'female', 'other', 'unknown']

/** Longest accepted family/given name part; longer → 109 MAX_SIZE_LIMIT_EXCEEDED. [I] */
export const MAX_NAME_PART_LENGTH = 50

/** Characters refused in name parts → 108 UNSUPPORTED_CHARACTERS. [I] */
export const UNSUPPORTED_NAME_CHARACTERS = /[<>{}|\\^~\u0000-\u001f]/

/**
 * ECW assigns its own account number to a patient it creates, as an extra identifier. [I]
 * The resource id is ECW's unique patient id (seed 001: "linked by ECW ID").
 */
export const ACCOUNT_NUMBER_SYSTEM = 'http://eclinicalworks.com/fhir/sid/account-number'

/** The default-facility extension of seed 001. [V: seed] */
export const DEFAULT_FACILITY_EXTENSION = 'http://eclinicalworks.com/supportingInfo/defaultFacility'

// ---------------------------------------------------------------------------------------------
// Bulk Data export (bulk.ts)
// ---------------------------------------------------------------------------------------------
// [V] ECW's CapabilityStatement lists Group `export` (http://hl7.org/fhir/uv/bulkdata/
// OperationDefinition/Global-i-export); its Error Code Reference Guide, bulk export statuses: 202 while in
// progress with Retry-After (example 120 s) and X-Progress, 200 with the manifest
// (transactionTime, request, requiresAccessToken, output[], error[]), 401 for an invalid token
// or an invalid / unauthorized group id, 404 for an invalid job id. Everything else follows the
// HL7 FHIR Bulk Data Access IG v2 (STU2, https://hl7.org/fhir/uv/bulkdata/STU2/export.html);
// the choices the IG leaves to the server are tagged [I] below.

/** The Group each practice exports: all its patients. [I] Real ECW staff give the id at registration. */
export const DEFAULT_BULK_GROUP_ID = 'all-patients'

/**
 * Types a Group export can deliver: the Patient compartment types the simulator serves. [I]
 * Practitioner, Location and Organization (outside the compartment, "MAY" in the IG) are not
 * exported; read them by search.
 * A type may be exported when the token grants `read` on it: v1 `.read`, v2 `.r`/`.rs`, or
 * `system/*.r`. [I] ECW advertises only `system/Coverage.r` (no `.s`) for Coverage, so an export
 * cannot require search permission. A `_type` the token cannot read → 403; without `_type`, the
 * export holds every exportable type the token can read (IG: "within the scope of the client
 * authorization"). No Group scope is required (the IG names none). Status polls and file
 * downloads need a token of the client that started the export (IG: "MAY … limit them to the
 * client that originated the export") which can read the types concerned; another client's job
 * answers 404.
 */
export const BULK_EXPORT_TYPES = ['Patient', 'Coverage', 'Encounter'] as const

/** Retry-After (seconds) on an in-progress status answer. [I] ECW's example is 120; short here so tests run fast. */
export const BULK_RETRY_AFTER_SECONDS = 1
/** Time from kick-off until the files are ready; X-Progress is the share of it elapsed. [I] */
export const BULK_EXPORT_MS = 2_000
/** Resources per NDJSON file; a type with more gets several files. [I] (the IG's example limit is 100,000) */
export const BULK_RESOURCES_PER_FILE = 10_000
/** A complete export's files stay available this long (the `Expires` header), then status and files answer 404. [I] */
export const BULK_FILE_TTL_MS = 60 * 60_000
/**
 * Exports in progress per client and practice: one more kick-off answers 429 with Retry-After
 * (the IG's advice for servers that serialise exports). [I] A status poll sooner than the
 * Retry-After given answers 429 with Retry-After (IG: "polling too frequently"). [I]
 */
export const BULK_RUNNING_PER_CLIENT = 1
/** Kick-off parameters implemented; `_elements`, `_typeFilter`, `patient`, `includeAssociatedData` answer 400 unless `Prefer: handling=lenient` (then ignored and reported in `error[]`). [I] */
export const BULK_KICKOFF_PARAMS = ['_type', '_since', '_outputFormat'] as const
/** `/_sim/records` keeps the last N export jobs per practice. [P] */
export const RECORDS_BULK_JOB_LIMIT = 100

// ---------------------------------------------------------------------------------------------
// Simulator-only
// ---------------------------------------------------------------------------------------------

/** /_sim/records lists at most this many patients (full resources) per practice, with totals. [P] */
export const RECORDS_PATIENT_LIMIT = 1000
/** /_sim/records keeps the last N writes made through the API, per practice. [P] */
export const RECORDS_WRITE_LIMIT = 1000
/** Largest /_sim/seed request. [P] */
export const MAX_SEED_PATIENTS = 100_000
