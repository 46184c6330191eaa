import { z } from 'zod'
import { BirthSex, Ethnicity, Gender, MaritalStatus, PaymentMethod, Race } from '../../crm/vocabulary.js'

/**
 * What the API answers, for the OpenAPI document and as a check on every answer (see
 * `checkedSerializer`: an answer is checked against these, then sent as it is, so a field a view
 * gains is never silently cut). Text is plain string: data pulled from an EMR is shown as stored,
 * so an answer never fails on a value's format.
 */

const Id = z.string().describe('UUID')
const Timestamp = z.string().describe('ISO 8601 date-time')
const Text = z.string().nullable()
const oneOf = (vocabulary: { options: readonly string[] }) => Text.describe(`one of: ${vocabulary.options.join(', ')}`)
const Json = z.record(z.string(), z.unknown())

export const ErrorBody = z.object({
  error: z.string().describe('a stable code, e.g. invalid_input, not_found, unsupported'),
  message: z.string().describe('what to fix'),
  field: z.string().optional().describe('the input field at fault'),
})

/** Every route may answer these; validation errors name the field. */
export const errorResponses = { '4xx': ErrorBody }

/** List routes answer `{items, next}`; `next` is the cursor of the following page. */
export function listOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), next: z.string().nullable().describe('pass as ?cursor= for the next page') })
}

export const JobStarted = z.object({ jobId: Id })

const Address = z.object({ line1: Text.optional(), line2: Text.optional(), city: Text.optional(), state: Text.optional(), postalCode: Text.optional(), country: Text.optional() })

export const Insurance = z.object({
  id: Id,
  payerCode: z.string(),
  payerName: Text.optional(),
  memberId: z.string(),
  groupNumber: Text.optional(),
  priority: z.string().describe('primary, secondary or tertiary'),
  startDate: Text.optional(),
  endDate: Text.optional(),
  subscriber: z.object({ relationship: z.string() }).nullable().optional(),
})

export const Account = z.object({
  id: Id,
  name: z.string(),
  email: Text,
  phone: Text,
  insurances: z.array(Insurance),
  version: z.number().int(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
})

export const Link = z.object({
  connector: z.string(),
  connectionId: Id,
  externalId: Text.describe("the record's id in the EMR"),
  mrn: Text,
  state: z.enum(['pending', 'partial', 'linked', 'failed', 'needs_attention']),
  message: Text.describe('why the link needs attention or failed'),
  lastSyncedAt: Timestamp.nullable(),
  syncedVersion: z.number().int().nullable(),
})

export const LinkEntry = Link.extend({
  patientId: Id,
  patientName: z.string(),
  updatedAt: Timestamp,
  jobId: Id.nullable().describe('the last sync job of this link'),
  exchangeId: Id.nullable().describe("the exchange of that job's last error: POST /api/exchanges/{exchangeId}/replay after the fix"),
})

export const ReferralDeliveryEntry = Link.extend({
  referralId: Id,
  externalReferralId: z.string().describe("the referral network's id of the referral (Caredove's)"),
  registrantName: z.string(),
  updatedAt: Timestamp,
  jobId: Id.nullable().describe('the last delivery job of this referral to this connection'),
  exchangeId: Id.nullable().describe("the exchange of that job's last error: POST /api/exchanges/{exchangeId}/replay after the fix"),
})

export const LinkChanged = z.object({ link: Link, jobId: Id.describe('the push that follows') })

const EmrHeld = z.object({ connectionId: Id, externalId: z.string() }).describe('read-only, as the EMR holds it')

export const Patient = z.object({
  id: Id,
  firstName: z.string(),
  middleName: Text,
  lastName: z.string(),
  preferredName: Text,
  dob: Text.describe('YYYY-MM-DD'),
  gender: oneOf(Gender),
  maritalStatus: oneOf(MaritalStatus),
  phone: Text,
  alternatePhone: Text,
  email: Text,
  address: Address.nullable(),
  language: Text,
  race: oneOf(Race),
  ethnicity: oneOf(Ethnicity),
  birthSex: oneOf(BirthSex),
  admissionDate: Text,
  dischargeDate: Text,
  programId: Text,
  levelOfCare: Text.describe('e.g. Residential, IOP'),
  locationId: Text,
  referrerName: Text,
  firstContactName: Text,
  paymentMethod: oneOf(PaymentMethod),
  accountId: Id.nullable(),
  customFields: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  version: z.number().int(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
})

export const PatientWithLinks = Patient.extend({
  links: z.array(Link),
  emrInsurance: z.array(EmrHeld),
  encounters: z.array(EmrHeld),
  emrContacts: z.array(EmrHeld).describe("the patient's contacts as an EMR holds them (KIPU), read-only"),
})

export const Conflict = z.object({
  id: Id,
  patientId: Id,
  connectionId: Id,
  field: z.string(),
  crmValue: z.unknown(),
  emrValue: z.unknown(),
  baseValue: z.unknown().describe('the value both sides last agreed on'),
  rule: z.string().describe('crm, emr or newest'),
  winner: z.string().describe('crm or emr'),
  jobId: Id.nullable(),
  detectedAt: Timestamp,
  reviewedAt: Timestamp.nullable(),
  reviewedBy: Text,
  kept: z.enum(['crm', 'emr']).nullable().describe('whose value the reviewer kept'),
})

export const PushPreview = z.object({
  steps: z.array(z.object({ step: z.string(), method: z.string(), path: z.string(), body: z.unknown(), skipped: z.string().optional() })),
  dropped: z.array(z.object({ field: z.string(), reason: z.string() })).describe('CRM fields left out, and why'),
  blocking: z
    .array(z.object({ field: z.string(), reason: z.string() }))
    .describe('what stops the push until it is fixed (e.g. a location with no mapping): nothing is sent while any remain'),
})

export const Capability = z.object({
  dataType: z.string(),
  direction: z.string().describe('push or pull'),
  supported: z.boolean(),
  reason: z.string().optional().describe('why not, when unsupported'),
  note: z.string().optional(),
})

export const ConnectorInfo = z.object({
  kind: z.string(),
  title: z.string(),
  settingsSchema: Json.describe('JSON Schema of `settings`'),
  credentialsSchema: Json.describe('JSON Schema of `credentials`'),
  generatedCredentials: z.array(z.string()).describe('credentials the hub makes itself when a connection is added (not asked for)'),
  defaultPullSchedule: z.string().nullable().describe('cron (UTC) of scheduled pulls when the settings name none'),
  capabilities: z.array(Capability),
  fields: z
    .array(
      z.object({
        path: z.string(),
        label: z.string(),
        type: z.string(),
        valueMap: z.string().optional(),
        allowed: z.array(z.string()).readonly().optional().describe('the only values the EMR accepts'),
        phi: z.boolean().optional().describe('masked in the staff view of exchanges'),
        direction: z.string().optional().describe('push: sent, never returned; pull: filled by the EMR, read only'),
        managedBy: z.string().optional().describe('filled by the connector itself: not a field map target'),
      }),
    )
    .describe('the EMR fields a field map may target'),
  inbound: Text.describe('how the EMR calls the hub (webhooks), or null'),
  crmRecord: z.enum(['patient', 'referral']).describe('the CRM record its field map addresses: patient fields, or CRM referral fields (GET /api/crm-fields `referralFields`)'),
  defaults: z.object({ fieldMap: z.array(z.object({ crm: z.string(), emr: z.string() })), valueMaps: Json }),
})

export const Connection = z.object({
  id: Id,
  connector: z.string(),
  name: z.string(),
  baseUrl: z.string(),
  enabled: z.boolean(),
  settings: Json,
  credentials: z.record(z.string(), z.literal('set')).describe('which credentials are set; values are never returned'),
  jwksPath: Text,
  jwksUrl: Text.describe('where the EMR fetches the public keys (allow-list it there)'),
  inboundPath: Text.describe("where the EMR sends its webhooks (path on the hub), if it sends any"),
  inboundUrl: Text.describe('the full webhook URL to give the EMR'),
  shownOnce: z
    .record(z.string(), z.string())
    .optional()
    .describe('credentials the hub made that the other system needs (e.g. a webhook signing secret): in the answer that adds the connection only, never again'),
  createdAt: Timestamp,
  updatedAt: Timestamp,
})

export const TestResult = z.object({
  ok: z.boolean(),
  message: z.string().describe('success, or the exact cause of failure'),
  code: z.string().optional(),
  details: Json.optional(),
})

export const Capabilities = z.object({ connectionId: Id, connector: z.string(), items: z.array(Capability) })

export const PullStarted = JobStarted.extend({ alreadyRunning: z.boolean().describe('a pull of this connection was already running; this is its job') })

export const ReferenceValue = z.object({ kind: z.string(), value: z.string(), label: z.string(), data: z.unknown() })

export const WaitingRecord = z.object({
  recordType: z.string(),
  externalId: z.string().describe("the record's id in the EMR"),
  label: z.string(),
  missing: z.array(z.string()).describe('what the EMR record still lacks before it is pulled (KIPU: admission date, MR number…)'),
  linkedPatientId: Id.nullable().describe('the CRM patient already linked to it (e.g. pushed before admission)'),
  firstSeenAt: Timestamp,
  lastSeenAt: Timestamp,
})

export const UnmappedValue = z.object({
  field: z.string().describe('the CRM field it would fill'),
  value: z.string().describe('the value as the EMR holds it'),
  valueMap: Text.describe('the value map to add it to'),
  reason: z.string(),
  externalId: Text.describe('the last EMR record seen with it'),
  seen: z.number().int(),
  firstSeenAt: Timestamp,
  lastSeenAt: Timestamp,
})

export const InboundAccepted = z.object({
  received: z.number().int(),
  accepted: z
    .array(z.object({ eventId: z.string(), type: z.string(), jobId: Id.nullable(), note: z.string().optional(), referralId: Id.optional().describe('the CRM referral the event imported or updated') }))
    .describe('events applied now, with the job each queued'),
  duplicates: z.array(z.object({ eventId: z.string(), type: z.string(), firstReceivedAt: Timestamp })).describe('events received before: nothing done twice'),
})

/** An inbound refusal: `{error, message}`, or `{message}` alone where the sender shows it to its staff as is (Caredove). */
export const InboundRefused = z.object({
  error: z.string().optional().describe('a stable code (absent where the sender reads the message alone, e.g. Caredove)'),
  message: z.string().describe('what to fix, one short sentence (e.g. "Date of birth is required")'),
})

const OwnershipRule = z.string().describe('crm, emr or newest')
export const Mappings = z.object({
  connectionId: Id,
  fieldMap: z.array(z.object({ crm: z.string(), emr: z.string() })),
  custom: z.boolean().describe("whether the field map is the connection's own or the connector's default"),
  valueMaps: z.record(z.string(), z.record(z.string(), z.string())),
  overrides: z.record(z.string(), z.record(z.string(), z.string())).nullable(),
  ownership: z.object({ default: OwnershipRule, fields: z.record(z.string(), OwnershipRule) }),
})

export const ExchangeSummary = z.object({
  id: Id,
  connectionId: Id.nullable(),
  connector: z.string(),
  direction: z.enum(['outbound', 'inbound']),
  operation: z.string(),
  status: z.enum(['ok', 'error']),
  httpStatus: z.number().int().nullable(),
  message: Text,
  attempts: z.number().int(),
  recordType: Text,
  recordId: Id.nullable(),
  jobId: Id.nullable(),
  startedAt: Timestamp,
  durationMs: z.number(),
})

export const ExchangeDetail = ExchangeSummary.extend({
  method: Text,
  url: Text,
  requestHeaders: z.record(z.string(), z.string()).nullable().describe('headers as sent (inbound: as received), credentials masked'),
  requestBody: z.unknown(),
  responseBody: z.unknown(),
  details: Json.nullable(),
  replayOf: Id.nullable(),
  bodiesPrunedAt: Timestamp.nullable(),
  redacted: z.boolean().describe('PHI masked (non-admin keys)'),
})

export const Job = z.object({
  id: Id,
  connectionId: Id.nullable().describe('null for a job that concerns no connection (deliver_event)'),
  kind: z.string().describe('push_patient, pull, pull_record (one record, e.g. after a webhook), or deliver_event (an outbound event to a subscription)'),
  recordType: Text,
  recordId: Id.nullable(),
  state: z.enum(['queued', 'running', 'retrying', 'succeeded', 'failed', 'needs_attention']),
  attempts: z.number().int(),
  nextAttemptAt: Timestamp.nullable(),
  steps: z.object({ done: Json, started: Json }).describe('flow steps finished, and begun with an unknown outcome'),
  progress: Json.nullable().describe('a pull: per resource, pages and records done'),
  lastError: z.object({ code: z.string(), message: z.string(), httpStatus: z.number().optional(), exchangeId: z.string().optional() }).nullable(),
  replayOf: Id.nullable(),
  createdAt: Timestamp,
  finishedAt: Timestamp.nullable(),
})

export const ApiKey = z.object({ id: Id, name: z.string(), role: z.enum(['admin', 'staff']), createdAt: Timestamp, revokedAt: Timestamp.nullable() })
export const CreatedApiKey = z.object({ id: Id, name: z.string(), role: z.enum(['admin', 'staff']), key: z.string().describe('shown once; store it') })

export const AuditEvent = z.object({
  id: Id,
  at: Timestamp,
  actor: z.string(),
  actorKeyId: Id.nullable(),
  action: z.string(),
  targetType: z.string(),
  targetId: Text,
  details: z.unknown(),
})

export const ReferralListItem = z.object({
  id: Id,
  status: z.enum(['open', 'accepted', 'converted']).describe('open: updates from the network still apply; accepted (in the CRM or CRMS) and converted: they are recorded as ignored'),
  sourceConnectionId: Id.describe('the referral network connection (Caredove) it came from'),
  externalId: z.string().describe("the network's id of the referral"),
  serviceListingId: Text,
  sourceStatus: Text.describe("the network's status as last reported (open, closed, archived)"),
  sourceSubStatus: Text.describe("the network's sub-status as last reported (received, ready, completed…)"),
  registrantName: z.string(),
  requesterOrganization: Text,
  destination: z.enum(['crm', 'crms']),
  destinationConnectionId: Id.nullable().describe('the CRMS connection it is delivered to'),
  patientId: Id.nullable().describe('the CRM patient it was converted to'),
  acceptedAt: Timestamp.nullable(),
  acceptedBy: Text.describe('crm or crms'),
  version: z.number().int(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
})

export const ReferralDetail = ReferralListItem.extend({
  fields: Json.describe('CRM referral fields (registrant, requester, appointment) as mapped from the network'),
  note: z.string().describe('the Referral Note: every answer and field the map does not name, labelled, then the messages'),
  appointments: z.array(z.unknown()).describe('appointment history: {start, durationMinutes, location, providerFullName, status booked|rescheduled|unbooked, trigger, eventId, occurredAt}'),
  messages: z.array(z.unknown()).describe('{from provider|requester, author, sentAt, text}'),
  attachments: z.array(
    z.object({
      id: z.string().uuid().describe('GET /api/referrals/{id}/attachments/{attachment} takes this id or the position'),
      position: z.number().int().describe('GET /api/referrals/{id}/attachments/{attachment} takes the position or the id; 1 is the summary PDF'),
      kind: z.enum(['summary', 'attachment']),
      filename: z.string(),
      contentType: z.string().describe('as the bytes are (checked on import)'),
      sizeBytes: z.number().int(),
      sha256: z.string(),
    }),
  ),
  events: z.array(
    z.object({
      eventId: z.string(),
      trigger: z.string(),
      occurredAt: Timestamp.nullable(),
      receivedAt: Timestamp,
      outcome: z.enum(['applied', 'ignored']),
      reason: Text.describe('why it was ignored'),
      exchangeId: Id.nullable().describe('the inbound call in the integration log'),
    }),
  ),
  delivery: z
    .object({ connectionId: Id, state: z.string().describe('pending, partial, linked, failed or needs_attention'), externalId: Text.describe("CRMS's id"), message: Text })
    .nullable()
    .describe('its delivery to CRMS, when that is its destination'),
})

export const ReferralConverted = z.object({ referral: ReferralDetail, patientId: Id, accountId: Id })
