/**
 * Every behaviour of the ECW simulator that the vendor's material does NOT state, in one place.
 *
 * Tags: [V] stated by eClinicalWorks' own published material — its FHIR API documentation
 * (https://fhir.eclinicalworks.com/ecwopendev/documentation), the Error Code Reference Guide
 * published there, the healow "FHIR Rate Limiting" section
 * (https://connect4.healow.com/apps/jsp/dev/r4/fhirClinicalDocumentation.jsp), the
 * CapabilityStatement and SMART configuration each practice serves (copies beside this file) —
 * or by the Dazos CRM ↔ eClinicalWorks integration guide ("the CRM–eClinicalWorks integration guide", its Patient example and
 * capability table); [I] inferred; [P] our proposal. Everything tagged [I] or [P] is a guess made
 * to be plausible; correct it here when ECW's real behaviour is known.
 */

/** Default practice code (the CRM–eClinicalWorks integration guide uses FFBJCD). [V: seed] */
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
 *   missing, expired or > 5 min ahead, jti missing, jti replayed [I]); a requested scope that is
 *   malformed, not in ECW's `scopes_supported` [V: "The requested scope is not supported, invalid,
 *   unknown, or malformed" → invalid_grant], or not registered for the client [I]. ECW's table
 *   has no `invalid_scope` (RFC 6749's name for it): the simulator answers ECW's `invalid_grant`.
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

/**
 * What a scope grants. [V] ECW's SMART configuration advertises `permission-v1` and
 * `permission-v2`; SMART App Launch 2.0 defines them: v1 `.read` = read + search, `.write` =
 * create + update + delete, `.*` = all; v2 letters `c` create, `r` read, `u` update, `d` delete,
 * `s` search (`.rs`, `.cruds`…). ECW also advertises `.create` / `.update` (ChargeItem), read as
 * `c` / `u`. A `?query` suffix (e.g. `Condition.rs?category=…`) is accepted as advertised and not
 * enforced [I]. A search with `_include`/`_revinclude` also needs read (`r`) on each included
 * type [I: SMART leaves included resources to the server].
 */
export const SCOPE_SEMANTICS = 'v1 read=rs write=cud *=cruds; v2 c r u d s'

// ---------------------------------------------------------------------------------------------
// Rate limit
// ---------------------------------------------------------------------------------------------

/**
 * 250 requests per clock minute per base URL, i.e. per practice [V: healow "FHIR Rate Limiting":
 * "250 calls per minute per base URL"; counters are not shared across practice codes], counting
 * every request under /fhir/r4/{practice}/ (discovery, metadata and token included [V: "/token"
 * counts; the rest by "per base URL"]). Exhaustion blocks "every request from that application
 * for the remainder of the minute" [V]: once an application passes 250 at one practice, all its
 * requests — at every practice — answer 429 without Retry-After [V] until the minute ends.
 *
 * [I] The application is the client_id: of the bearer token, or of the token request's client
 * assertion (`iss`). A request that names no application (discovery, metadata, no or unknown
 * token) is counted per practice and caller address, and its block stays there.
 * [I] The 429 body is an OperationOutcome (code "throttled") on FHIR routes and
 * {error:"rate_limit_exceeded", error_description} on the token route.
 */
export const RATE_LIMIT_PER_MINUTE = 250

// ---------------------------------------------------------------------------------------------
// FHIR reads / searches
// ---------------------------------------------------------------------------------------------

/**
 * Resource types served. [V: capabilitystatement.json, the CRM–eClinicalWorks integration guide's table] Organization is added
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
 * and update (PUT {base}/Patient/{id}, or a transaction entry PUT Patient/{id}). [V: the CRM–eClinicalWorks integration guide]
 * Writes of any other type (Coverage, Encounter, …) and DELETE/PATCH answer 405 with an
 * OperationOutcome "not-supported" (ECW's API has no such endpoint). [I] Auth (401) is checked
 * before that, scopes (403) after it.
 */
export const UNSUPPORTED_WRITE_STATUS = 405

/**
 * ECW's writeback envelope. [V: Error Code Reference Guide — "Writeback (create/update/delete)
 * responses carry a numeric error code in `status` plus an error key"; read/search errors are
 * OperationOutcomes; code 1 SUCCESS.] [I] The body of a refused writeback is that envelope alone,
 * as `application/json`:
 *   { "status": 202, "key": "INVALID_PATIENT_ALREADY_EXIST", "message": "<the guide's action> — <detail>" }
 * `message` is our addition for people reading the log; nothing else is added (no ids of existing
 * patients: the guide publishes none, so a client must find them by searching).
 * A successful writeback answers FHIR as before (transaction-response Bundle, or the Patient).
 */
export const WRITEBACK_CONTENT_TYPE = 'application/json; charset=utf-8'

/**
 * HTTP status of a refused writeback. [I] The guide carries the error in the body, not in the
 * HTTP status, and clients must read the body whatever the status. Chosen here:
 * request composition (2 FAILURE), validation (1xx, 203) and id mismatch (165) → 400; patient
 * not found on update (207) → 404; writeback not enabled (308) → 403; duplicate and multiple
 * matches (202, 201) → **200**: ECW processed the request and reports a business outcome.
 * The practice setting `writebackErrorsAsHttp200` answers every refusal with HTTP 200.
 */
export function writebackHttpStatus(code: number): number {
  if (code === 201 || code === 202) return 200
  if (code === 207) return 404
  if (code === 308) return 403
  return 400
}

/**
 * Writeback switched off for a practice. [V] The CapabilityStatement ECW publishes lists Patient
 * with `read` and `search-type` only; writeback is enabled per practice (the integration guide's
 * Patient push). [I] With writeback on (default), the simulator's /metadata adds `create` and
 * `update` to Patient; with it off, /metadata is ECW's as published and every Patient write is
 * refused with 308 DEFAULT_WRITEBACK_USER_NOT_CONFIGURED (the guide's code for a practice without
 * a writeback user: "Coordinate with platform team to configure a valid writeback user"), HTTP 403.
 */
export const WRITEBACK_INTERACTIONS = ['create', 'update'] as const

/**
 * Identifiers may not round-trip. [I] Nothing published says ECW stores a client's identifiers.
 * With the practice setting `keepForeignIdentifiers: false`, a written Patient keeps only ECW's
 * own identifiers (its account number): every identifier of another system is dropped, on create
 * and on update. Default true (identifiers kept, as before).
 */
export const KEEP_FOREIGN_IDENTIFIERS_DEFAULT = true

/**
 * Locations in a transaction-response. [V: FHIR R4] `entry.response.location` may be relative
 * or absolute. [I] Default relative (`Patient/{id}/_history/{vid}`); the practice setting
 * `absoluteLocations` answers `{base}/Patient/{id}/_history/{vid}`. POST {base}/Patient always
 * answers an absolute `Location` header.
 */
export const ABSOLUTE_LOCATIONS_DEFAULT = false

/**
 * 401 answers. [V] "GET …/Patient without a bearer token returns 401 with an application/fhir+json
 * OperationOutcome"; nothing is published about `WWW-Authenticate`. [I] Default: no
 * `WWW-Authenticate` header (the simulator's earlier choice); the practice setting
 * `wwwAuthenticate` adds `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750).
 */
export const WWW_AUTHENTICATE_DEFAULT = false

/**
 * Expired or invalid paging links. [I] ECW publishes nothing about how long a `next` link stays
 * valid. /_sim/paging-faults makes the next N requests that follow a paging link (a `page`
 * parameter above 1) answer 410 Gone (expired) or 400 (invalid), with an OperationOutcome.
 */
export const PAGING_FAULT_STATUSES = [400, 410] as const

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
 * The resource id is ECW's unique patient id (the CRM–eClinicalWorks integration guide: "linked by ECW ID").
 */
export const ACCOUNT_NUMBER_SYSTEM = 'http://eclinicalworks.com/fhir/sid/account-number'

/** The default-facility extension of the CRM–eClinicalWorks integration guide. [V: seed] */
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
