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
export interface Connector<Settings = unknown, Secrets = unknown> {
  kind: ConnectorKind
  title: string
  /** Non-secret connection settings (shown back to the admin), as a schema the API validates and the UI renders. */
  settingsSchema: z.ZodType<Settings>
  /** Credentials: validated like settings, stored encrypted, never returned in clear. */
  secretsSchema: z.ZodType<Secrets>
  capabilities: CapabilityMatrix
  fields: FieldCatalog
  defaults: MappingDefaults
  /** Outbound pacing for this system, enforced per connection across every worker (may depend on settings). */
  rateLimit?: RateLimitPolicy | ((settings: Settings) => RateLimitPolicy)
  /** Checks credentials and reachability; on failure the message names the exact cause. */
  test(ctx: ConnectorContext<Settings, Secrets>): Promise<TestResult>
  /** Credentials the hub makes itself when a connection is added (e.g. a key pair). */
  generateSecrets?(): Promise<Record<string, unknown>>
  /** Public keys the external system fetches from the hub (served at /jwks/{connectionId}). */
  publicKeys?(secrets: Secrets): Record<string, unknown>
  /** Default pull schedule (cron) for connections that can pull. */
  defaultPullSchedule?: string
  flows: {
    pushPatient?: PushPatientFlow<Settings, Secrets>
    pull?: PullFlow<Settings, Secrets>
  }
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
  type: 'string' | 'date' | 'boolean' | 'integer'
  /** The value map that translates CRM values for this field (e.g. `maritalStatus`). */
  valueMap?: string
  /** The flow step that carries this field (Ritten: `create` or `patch`). */
  step?: string
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
  /** Forget the cached token (e.g. the system answered 401 to it). */
  clear(): Promise<void>
}

export type RateLimitPolicy =
  | { kind: 'bucket'; capacity: number; refillPerSecond: number }
  | { kind: 'window'; limit: number; windowSeconds: number }

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

export interface PushPatientFlow<Settings, Secrets> {
  steps: FlowStep<PatientPushInput, Settings, Secrets>[]
  /** Exactly what each step would send now, and what is left out and why (F10). */
  preview(input: PatientPushInput, link: LinkSnapshot, settings: Settings): PushPreview
}

export interface PushPreview {
  steps: { step: string; method: string; path: string; body: unknown; skipped?: string }[]
  dropped: DroppedField[]
}

export interface DroppedField {
  field: string
  reason: string
}

/** Reading from the system (F14): resources in order, page by page, so memory stays flat. */
export interface PullFlow<Settings, Secrets> {
  /** What to pull, in order; may follow the connection's settings (e.g. the modules an admin selected). */
  resources: readonly PullResource[] | ((settings: Settings) => readonly PullResource[])
  /** Whether pulled patients that match no CRM patient become CRM patients (default: yes). */
  importsUnmatched?: (settings: Settings) => boolean
  fetchPage(ctx: ConnectorContext<Settings, Secrets>, resource: PullResource, cursor: string | null, mapping: ResolvedMapping): Promise<PulledPage>
  /**
   * A resource read as one stream rather than page by page (e.g. a bulk export whose files are
   * read line by line); null pages it with `fetchPage`. The engine stores each page it yields
   * and saves the progress (the page's `next` as the cursor, and the session's checkpoint) after
   * it, so a retried pull starts the stream again from the last page stored.
   */
  stream?(ctx: ConnectorContext<Settings, Secrets>, resource: PullResource, cursor: string | null, mapping: ResolvedMapping, session: PullSession): AsyncIterable<PulledPage> | null
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

export type PullResource = 'practitioner' | 'location' | 'patient' | 'insurance' | 'encounter'

export interface PulledPage {
  items: PulledItem[]
  /** Where the next page starts (e.g. the Bundle's next link); null on the last page. */
  next: string | null
  total?: number
  /** What the system says of its work while there is nothing to store yet (e.g. a bulk export's X-Progress). */
  status?: string
  /** Records the system said it could not deliver, with why. */
  problems?: { externalId: string; message: string }[]
}

export type PulledItem =
  | { type: 'reference'; kind: 'practitioner' | 'location' | 'program'; externalId: string; label: string; data: Record<string, unknown> }
  | {
      type: 'patient'
      externalId: string
      /** Our CRM id when the EMR record carries it (e.g. an identifier we sent). */
      crmId: string | null
      /** Demographics in CRM terms (CRM field → value), through the inverse value maps. */
      fields: Record<string, unknown>
      emrUpdatedAt: string | null
      unmapped: DroppedField[]
    }
  | { type: 'insurance' | 'encounter'; externalId: string; patientExternalId: string; data: Record<string, unknown> }

/** Why this connector cannot receive patients (its capability's reason, or no push flow), or null if it can. */
export function patientPushRefusal(connector: Connector<unknown, unknown>): string | null {
  const capability = connector.capabilities.patient?.push
  if (capability && !capability.supported) return `${connector.title} cannot receive patients: ${capability.reason}`
  if (!connector.flows.pushPatient || !capability) return `${connector.title} cannot receive patients: this connector has no patient push flow`
  return null
}
