import type { z } from 'zod'
import type { Account } from '../crm/accounts.js'
import type { Patient } from '../crm/patients.js'
import type { ConnectorHttp } from './http.js'
import type { FieldConflict, Ownership } from '../mapping/reconcile.js'

/**
 * The contract every connector implements. A connector knows one external system: how to
 * authenticate, what it accepts (field catalog), what it can do (capabilities), and the named
 * steps of each flow. It never touches the database: the engine hands it a context and stores
 * what it returns, so the same connector runs under any worker and is testable alone.
 */
export interface Connector<Settings = unknown, Secrets = unknown, Resource extends string = PullResource> {
  kind: ConnectorKind
  title: string
  /** Non-secret connection settings (shown back to the admin), as a schema the API validates and the UI renders. */
  settingsSchema: z.ZodType<Settings>
  /** Credentials: validated like settings, stored encrypted, never returned in clear. */
  secretsSchema: z.ZodType<Secrets>
  capabilities: CapabilityMatrix
  fields: FieldCatalog
  defaults: MappingDefaults
  /**
   * The CRM record its field map addresses: patients (the default), or referrals for referral
   * networks and inboxes (CRM referral fields, src/crm/referralFields.ts). Mappings are checked against it when saved.
   */
  crmRecord?: 'patient' | 'referral'
  /** Outbound pacing for this system, enforced per connection across every worker (may depend on settings). */
  rateLimit?: RateLimitPolicy | ((settings: Settings) => RateLimitPolicy)
  /** Checks credentials and reachability; on failure the message names the exact cause. */
  test(ctx: ConnectorContext<Settings, Secrets>): Promise<TestResult>
  /** Credentials the hub makes itself when a connection is added (e.g. a key pair). */
  generateSecrets?(): Promise<Record<string, unknown>>
  /** Generated credentials the admin must copy to the other system (e.g. a webhook signing secret): returned once, in the answer that adds the connection. */
  shownOnce?: readonly string[]
  /** Public keys the external system fetches from the hub (served at /jwks/{connectionId}). */
  publicKeys?(secrets: Secrets): Record<string, unknown>
  /** Default pull schedule (cron) for connections that can pull. */
  defaultPullSchedule?: string
  flows: {
    pushPatient?: PushPatientFlow<Settings, Secrets>
    /** Pages of resources; a connector may name its own beyond PullResource (KIPU: its reference lists). */
    pull?: PullFlow<Settings, Secrets, Resource>
    /** Reading one record by the system's id (e.g. after its webhook said the record changed). */
    pullRecord?: PullRecordFlow<Settings, Secrets>
    /** Delivering a referral from the CRM inbox to the system's own referral inbox (CRMS). */
    pushReferral?: PushFlow<ReferralPushInput, Settings, Secrets>
  }
  /** Calls the system makes to the hub (webhooks): verified and read by the connector, run by the engine. */
  inbound?: InboundSide<Settings, Secrets>
}

export type ConnectorKind = 'ritten' | 'ecw' | 'kipu' | 'caredove' | 'crms'
export const CONNECTOR_KINDS = ['ritten', 'ecw', 'kipu', 'caredove', 'crms'] as const

// ---------------------------------------------------------------------------------------------
// Capabilities (F9)

export type DataType = 'patient' | 'insurance' | 'encounter' | 'practitioner' | 'location' | 'preAssessment' | 'referral'
export type Direction = 'push' | 'pull'
export type Capability = { supported: true; note?: string } | { supported: false; reason: string }
export type CapabilityMatrix = Partial<Record<DataType, Record<Direction, Capability>>>

// ---------------------------------------------------------------------------------------------
// Mapping (F7, F8)

/** One field the external system accepts, addressed by a path in its payload (e.g. `name.first`, `phones[0]`). */
export interface FieldSpec {
  path: string
  label: string
  /** `datetime`: a date and time (a CRM date is sent as its start); `integer`/`boolean`: only convertible values are sent. */
  type: 'string' | 'date' | 'datetime' | 'boolean' | 'integer'
  /** The value map that translates CRM values for this field (e.g. `maritalStatus`). */
  valueMap?: string
  /** The flow step that carries this field (Ritten: `create` or `patch`). */
  step?: string
  /**
   * The only values the system accepts (after the value map). A mapping whose codes are not among
   * them is refused when saved; a CRM value that is not among them is left out with the reason.
   */
  allowed?: readonly string[]
  /** The field holds PHI: the staff (non-admin) view of exchanges masks it. */
  phi?: boolean
  /** `push`: the system accepts it but does not return it; `pull`: the system fills it (e.g. an MR number). Both by default. */
  direction?: 'push' | 'pull' | 'both'
  /** Where reads return the field when the name differs from the write's (KIPU: writes `address_state`, reads `state`). */
  pullPath?: string
  /** Filled by the connector itself (e.g. from the parent account's insurance): says why a field map cannot target it. */
  managedBy?: string
  /** A destination that requires the field refuses a record without it ("<label> is required"); referrals are checked against it before they are accepted (F23). */
  required?: boolean
}
export type FieldCatalog = FieldSpec[]

/** CRM field (`firstName`, `address.city`, `customFields.pronouns`) → external field path. */
export interface FieldMapping {
  crm: string
  emr: string
}

export type ValueMaps = Record<string, Record<string, string>>

export interface MappingDefaults {
  fieldMap: FieldMapping[]
  valueMaps: ValueMaps
}

/** The mapping in force for one connection: its own field map (or the defaults) and defaults overlaid by its value maps. */
export interface ResolvedMapping {
  fieldMap: FieldMapping[]
  valueMaps: ValueMaps
  /** Who owns each demographic field when both sides changed it (F16). */
  ownership: Ownership
}

// ---------------------------------------------------------------------------------------------
// Running

export interface ConnectionInfo<Settings, Secrets> {
  id: string
  name: string
  baseUrl: string
  settings: Settings
  secrets: Secrets
}

/** What the engine hands a connector for one piece of work. */
export interface ConnectorContext<Settings = unknown, Secrets = unknown> {
  connection: ConnectionInfo<Settings, Secrets>
  /** The one door for HTTP: every call is paced, timed and recorded as an exchange. */
  http: ConnectorHttp
  /** This connection's cached access token, stored encrypted and shared by every worker. */
  tokens: TokenStore
  now(): Date
}

export interface TokenStore {
  /**
   * The cached token if it is still valid for `minValidityMs`; otherwise `mint` is called (once,
   * even with many concurrent callers across workers) and its result cached.
   */
  get(mint: () => Promise<{ token: string; expiresAt: Date }>, minValidityMs?: number): Promise<string>
  /**
   * Forget the cached token if it is still `refusedToken` (the one the system answered 401 to);
   * a token another worker minted since is kept.
   */
  clear(refusedToken: string): Promise<void>
}

export type RateLimitPolicy =
  | { kind: 'bucket'; capacity: number; refillPerSecond: number }
  | { kind: 'window'; limit: number; windowSeconds: number }
  /** At most `limit` requests in ANY span of `windowSeconds`: holds whatever clock the system counts its windows by. */
  | { kind: 'rolling'; limit: number; windowSeconds: number }

export type TestResult = { ok: true; message: string; details?: Record<string, unknown> } | { ok: false; message: string; code: string }

// ---------------------------------------------------------------------------------------------
// Flows

/** The CRM data a patient push works from. */
export interface PatientPushInput {
  patient: Patient
  account: Account | null
  mapping: ResolvedMapping
}

/** What the engine knows of the link before a step runs. */
export interface LinkSnapshot {
  externalId: string | null
  externalMrn: string | null
  /** The demographics both sides held at the last sync (CRM field → value), for conflict detection. */
  syncedValues?: Record<string, unknown> | null
  /** A person cleared this link: the system may still hold a record made for this patient, so look before creating. */
  clearedByHand?: boolean
}

/** Progress of one job across attempts: which steps finished, which started without a known result. */
export interface FlowProgress {
  done: Record<string, { at: string; output?: Record<string, unknown> }>
  /** Steps that began but whose outcome is unknown (the process died, or the answer was lost). */
  started: Record<string, { at: string; attempt: number }>
}

export interface StepContext<Settings, Secrets> extends ConnectorContext<Settings, Secrets> {
  link: LinkSnapshot
  /** Progress as earlier attempts left it (a step `started` here may have happened). */
  progress: FlowProgress
  /** Steps finished so far, this attempt included, with their outputs. */
  done: FlowProgress['done']
}

export interface StepResult {
  /** Changes to the link: the external id once known, the MRN, the state the link reaches. */
  link?: Partial<LinkSnapshot> & { state?: 'partial' | 'linked' }
  output?: Record<string, unknown>
  /** The new common ground after a bidirectional sync, and the conflicts settled on the way. */
  sync?: SyncOutcome
  /**
   * The system has taken the record over (CRMS accepted the referral): the engine marks the CRM
   * record accepted by this connector, runs no further step, and keeps `reason` on the link;
   * later changes are not sent (F24).
   */
  acceptedInSystem?: { at: string | null; reason: string }
}

export interface SyncOutcome {
  values: Record<string, unknown>
  emrUpdatedAt: string | null
  conflicts: FieldConflict[]
  /** CRM fields the EMR won, to be written to the CRM record. */
  crmChanges: Record<string, unknown>
}

/** A named step of a flow; it must be safe to run again after a crash or a lost answer. */
export interface FlowStep<Input, Settings, Secrets> {
  name: string
  /** Skip when the step's work is already done (e.g. create when the link has an id). */
  skip?(input: Input, ctx: StepContext<Settings, Secrets>): boolean
  run(input: Input, ctx: StepContext<Settings, Secrets>): Promise<StepResult>
}

/**
 * Sending one record of a type to the system: named, idempotent steps over an input the engine
 * loads for that record type (a patient with its account; a referral with its attachments…).
 */
export interface PushFlow<Input, Settings, Secrets> {
  steps: FlowStep<Input, Settings, Secrets>[]
  /** Exactly what each step would send now, and what is left out and why (F10). */
  preview(input: Input, link: LinkSnapshot, settings: Settings): PushPreview
}

export type PushPatientFlow<Settings, Secrets> = PushFlow<PatientPushInput, Settings, Secrets>

export interface PushPreview {
  steps: { step: string; method: string; path: string; body: unknown; skipped?: string }[]
  dropped: DroppedField[]
  /** What stops the push until a person fixes it (nothing is sent while any remain). */
  blocking?: DroppedField[]
}

export interface DroppedField {
  field: string
  reason: string
  /** The value left out and the value map that lacks it, when that is why (the unmapped-values list). */
  value?: string
  valueMap?: string
}

/** Reading from the system (F14): resources in order, page by page, so memory stays flat. */
export interface PullFlow<Settings, Secrets, Resource extends string = PullResource> {
  /** What to pull, in order; may follow the connection's settings (e.g. the modules an admin selected). */
  resources: readonly Resource[] | ((settings: Settings) => readonly Resource[])
  /** Whether pulled patients that match no CRM patient become CRM patients (default: yes). */
  importsUnmatched?: (settings: Settings) => boolean
  fetchPage(ctx: ConnectorContext<Settings, Secrets>, resource: Resource, cursor: string | null, mapping: ResolvedMapping, window?: PullWindow): Promise<PulledPage>
  /**
   * The CRM patient's mapped fields as the system would hold them once sent (e.g. phones in E.164),
   * so a pull compares like with like; without it the CRM record's own values are compared.
   */
  crmAsHeld?(patient: Patient, mapping: ResolvedMapping, settings: Settings): Record<string, unknown>
  /**
   * A resource read as one stream rather than page by page (e.g. a bulk export whose files are
   * read line by line); null pages it with `fetchPage`. The engine stores each page it yields
   * and saves the progress (the page's `next` as the cursor, and the session's checkpoint) after
   * it, so a retried pull starts the stream again from the last page stored.
   */
  stream?(ctx: ConnectorContext<Settings, Secrets>, resource: Resource, cursor: string | null, mapping: ResolvedMapping, session: PullSession): AsyncIterable<PulledPage> | null
}

/**
 * What a pull carries from page to page, across retries and on to the next pull (e.g. a bulk
 * export's status URL while it runs, and its transactionTime for the next pull's `_since`).
 */
export interface PullSession {
  /** The checkpoint the connection's last successful pull ended with; null before the first. */
  readonly previous: Record<string, unknown> | null
  /** This pull's checkpoint: saved with the progress after every page; the next pull's `previous` once this one succeeds. */
  checkpoint: Record<string, unknown> | null
}

/** What the engine knows of earlier pulls: `since` is when the last successful one started (null: never). */
export interface PullWindow {
  since: Date | null
}

/** One record by the system's id, as pulled items (a record, or why it waits, and what hangs off it). */
export interface PullRecordFlow<Settings, Secrets> {
  fetch(ctx: ConnectorContext<Settings, Secrets>, target: { recordType: 'patient'; externalId: string }, mapping: ResolvedMapping): Promise<PulledItem[]>
}

export type PullResource = 'practitioner' | 'location' | 'patient' | 'insurance' | 'encounter'

export interface PulledPage {
  items: PulledItem[]
  /** Where the next page starts (e.g. the Bundle's next link); null on the last page. */
  next: string | null
  total?: number
  /** What the system says of its work while there is nothing to store yet (e.g. a bulk export's X-Progress). */
  status?: string
  /** Records of this page that could not be read or delivered (e.g. malformed), with why: listed in the pull's problems. */
  problems?: { externalId: string; message: string }[]
}

export type ReferenceKind = 'practitioner' | 'location' | 'program' | 'care_level' | 'payor' | 'referrer'
export const REFERENCE_KINDS = ['practitioner', 'location', 'program', 'care_level', 'payor', 'referrer'] as const satisfies readonly ReferenceKind[]

export type PulledItem =
  | { type: 'reference'; kind: ReferenceKind; externalId: string; label: string; data: Record<string, unknown> }
  | {
      type: 'patient'
      externalId: string
      /** Our CRM id when the EMR record carries it (e.g. an identifier we sent). */
      crmId: string | null
      /** The system's medical record number, kept on the link (F5). */
      mrn?: string | null
      /** Demographics in CRM terms (CRM field → value), through the inverse value maps. */
      fields: Record<string, unknown>
      emrUpdatedAt: string | null
      unmapped: DroppedField[]
    }
  /**
   * A record the system holds but that may not be pulled yet (KIPU: until admission), with the
   * fields it still misses. The engine lists it as waiting and counts it in the pull's progress.
   */
  | { type: 'waiting'; recordType: 'patient'; externalId: string; label: string; missing: string[] }
  | { type: 'insurance' | 'encounter' | 'contact'; externalId: string; patientExternalId: string; data: Record<string, unknown> }

// ---------------------------------------------------------------------------------------------
// Inbound (webhooks): the mirror of the outbound door

/** A call the system made to the hub, as received: the raw body is kept for signature checks. */
export interface InboundRequest {
  method: string
  /** Path and query exactly as received (what a signature over the request URI covers). */
  url: string
  /** Header names in lower case. */
  headers: Record<string, string>
  /** The body bytes as received, never re-serialized. */
  rawBody: Buffer
  receivedAt: Date
}

export type InboundRefusal = {
  /** 503: the hub cannot take the event now for a reason on its own side (the sender resends later). */
  status: 400 | 401 | 403 | 413 | 415 | 422 | 503
  code: string
  message: string
  /** The answer exactly as the sender reads it (Caredove shows `{"message"}` to its staff); otherwise `{error, message}`. */
  body?: Record<string, unknown>
}

/** What one inbound event asks the hub to do; the engine queues it in the transaction that records the event. */
export type InboundWork =
  | { kind: 'pull_record'; recordType: 'patient'; externalId: string }
  | { kind: 'import_referral'; trigger: string; referral: InboundReferral; destination: ReferralDestination }
  | { kind: 'ignore'; reason: string; externalReferralId?: string }

/**
 * Where an imported referral goes: the CRM referral inbox only, or also a connection that takes
 * referrals (CRMS), whose field catalog says what the referral must carry before it is accepted (F23).
 */
export type ReferralDestination = { kind: 'crm' } | { kind: 'connection'; connectionId: string }

/** A referral as a referral network sent it, already in CRM terms through the connection's field map. */
export interface InboundReferral {
  externalId: string
  serviceListingId: string | null
  status: string | null
  subStatus: string | null
  occurredAt: string | null
  /** CRM referral fields (`registrant.firstName`, …; see src/crm/referralFields.ts) the field map filled. */
  fields: Record<string, unknown>
  /** Everything the field map does not name, labelled with its question, in the sender's order: the Referral Note. */
  unmapped: { label: string; value: string }[]
  appointment: { start: string | null; durationMinutes: number | null; location: string | null; providerFullName: string | null; status: 'booked' | 'rescheduled' | 'unbooked' } | null
  messages: { from: 'provider' | 'requester'; author: string | null; sentAt: string | null; text: string }[]
  attachments: { filename: string; contentType: string; data: Buffer }[]
  /** The payload as received without attachment bytes (kept on the referral, used by the summary PDF). */
  source: Record<string, unknown>
}

/** What a referral delivery works from: the referral as the CRM inbox holds it, with its attachments (summary PDF first). */
export interface ReferralPushInput {
  referral: {
    id: string
    externalId: string
    fields: Record<string, unknown>
    note: string
    status: 'open' | 'accepted' | 'converted'
    /** Who accepted it (`crm`, or the connector kind of the system that did, e.g. `crms`); null while open. */
    acceptedBy: string | null
    version: number
  }
  attachments: { position: number; kind: 'summary' | 'attachment'; filename: string; contentType: string; data: Buffer }[]
  mapping: ResolvedMapping
}

export interface InboundEvent {
  /** The sender's id of the event: an id already received is applied once, never twice. */
  id: string
  /** The sender's name for it (KIPU "Chart Update", Caredove "received"…). */
  type: string
  work: InboundWork
}

export interface InboundSide<Settings, Secrets> {
  /** Checks that the call comes from the system (e.g. a signature over the raw body with the connection's secret). */
  verify(request: InboundRequest, connection: ConnectionInfo<Settings, Secrets>): InboundRefusal | null
  /** The events the body carries, read through the connection's mapping, or why it cannot be read (answered as a 4xx naming what to fix). */
  parse(request: InboundRequest, connection: ConnectionInfo<Settings, Secrets>, mapping: ResolvedMapping): { ok: true; events: InboundEvent[] } | { ok: false; refusal: InboundRefusal }
  /** How the admin points the system at the hub, and how the hub knows the call is genuine (shown with the connection). */
  description: string
}

/** Why this connector cannot receive referrals (its capability's reason, or no referral push flow), or null if it can. */
export function referralPushRefusal(connector: Connector<unknown, unknown>): string | null {
  const capability = connector.capabilities.referral?.push
  if (capability && !capability.supported) return `${connector.title} cannot receive referrals: ${capability.reason}`
  if (!connector.flows.pushReferral || !capability) return `${connector.title} cannot receive referrals: this connector has no referral push flow`
  return null
}

/** Why this connector cannot receive patients (its capability's reason, or no push flow), or null if it can. */
export function patientPushRefusal(connector: Connector<unknown, unknown>): string | null {
  const capability = connector.capabilities.patient?.push
  if (capability && !capability.supported) return `${connector.title} cannot receive patients: ${capability.reason}`
  if (!connector.flows.pushPatient || !capability) return `${connector.title} cannot receive patients: this connector has no patient push flow`
  return null
}
