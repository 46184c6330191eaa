import type { ColumnType, Generated, JSONColumnType } from 'kysely'

/** Typed view of the tables created by the migrations (src/db/migrations). */
export interface Database {
  organizations: { id: string; name: string; created_at: Generated<Date> }
  api_keys: {
    id: string
    organization_id: string
    name: string
    role: 'admin' | 'staff'
    key_hash: string
    created_at: Generated<Date>
    revoked_at: Date | null
  }
  sessions: {
    token_hash: string
    organization_id: string
    api_key_id: string
    csrf_token: string
    created_at: Generated<Date>
    last_seen_at: ColumnType<Date, Date | undefined, Date>
    expires_at: Date
  }
  accounts: {
    id: string
    organization_id: string
    name: string
    email: string | null
    phone: string | null
    insurances: JSONColumnType<unknown[]>
    version: Generated<number>
    created_at: Generated<Date>
    updated_at: ColumnType<Date, Date | undefined, Date>
  }
  patients: PatientsTable
  connections: {
    id: string
    organization_id: string
    connector: string
    name: string
    base_url: string
    enabled: Generated<boolean>
    settings: JSONColumnType<Record<string, unknown>>
    secrets: string | null
    field_map: JSONColumnType<unknown[] | null, string | null, string | null>
    value_maps: JSONColumnType<Record<string, Record<string, string>>>
    pull_scheduled_at: Date | null
    ownership: JSONColumnType<{ default: 'crm' | 'emr' | 'newest'; fields: Record<string, 'crm' | 'emr' | 'newest'> } | null, string | null, string | null>
    created_at: Generated<Date>
    updated_at: ColumnType<Date, Date | undefined, Date>
  }
  connection_tokens: { connection_id: string; token: string | null; expires_at: Date | null; mint_lease_until: Date | null }
  links: {
    id: string
    organization_id: string
    record_type: string
    record_id: string
    connection_id: string
    connector: string
    external_id: string | null
    external_mrn: string | null
    state: LinkState
    message: string | null
    synced_version: number | null
    last_synced_at: Date | null
    synced_values: JSONColumnType<Record<string, unknown> | null, string | null, string | null>
    emr_updated_at: Date | null
    cleared_at: Date | null
    created_at: Generated<Date>
    updated_at: ColumnType<Date, Date | undefined, Date>
  }
  sync_jobs: {
    id: string
    organization_id: string
    /** Null for jobs that concern no connection (an event delivery to a subscription). */
    connection_id: string | null
    kind: string
    record_type: string | null
    record_id: string | null
    state: SyncJobState
    attempts: Generated<number>
    /** Failed attempts in a row since the job last made progress (a pull's page). */
    failures_since_progress: Generated<number>
    next_attempt_at: ColumnType<Date, Date | undefined, Date>
    lease_until: Date | null
    steps: JSONColumnType<Record<string, unknown>>
    progress: JSONColumnType<Record<string, unknown> | null, string | null, string | null>
    last_error: JSONColumnType<{ code: string; message: string; httpStatus?: number } | null, string | null, string | null>
    replay_of: string | null
    /** What a job works on beyond a CRM record (e.g. the EMR id an inbound event named). */
    input: JSONColumnType<Record<string, unknown> | null, string | null | undefined, string | null>
    created_at: Generated<Date>
    updated_at: ColumnType<Date, Date | undefined, Date>
    finished_at: Date | null
  }
  exchanges: {
    id: string
    organization_id: string
    connection_id: string | null
    connector: string
    sync_job_id: string | null
    record_type: string | null
    record_id: string | null
    direction: 'outbound' | 'inbound'
    operation: string
    status: 'ok' | 'error'
    http_status: number | null
    message: string | null
    method: string | null
    url: string | null
    request_body: string | null
    response_body: string | null
    details: JSONColumnType<Record<string, unknown> | null, string | null, string | null>
    request_headers: JSONColumnType<Record<string, string> | null, string | null | undefined, string | null>
    attempt: number
    started_at: Date
    duration_ms: number
    bodies_pruned_at: Date | null
  }
  audit_events: {
    id: string
    /** Null for the installation's own events (e.g. a sign-in with an unknown key), which every organization's admins see. */
    organization_id: string | null
    actor_key_id: string | null
    actor_name: string
    action: string
    target_type: string
    target_id: string | null
    details: JSONColumnType<Record<string, unknown> | null, string | null, string | null>
    at: Generated<Date>
  }
  rate_limits: { key: string; tokens: number; updated_at: Date }
  reference_values: {
    connection_id: string
    kind: string
    external_id: string
    label: string
    data: JSONColumnType<Record<string, unknown>>
    updated_at: ColumnType<Date, Date | undefined, Date>
  }
  emr_insurances: EmrRecordTable
  emr_encounters: EmrRecordTable
  emr_contacts: EmrRecordTable
  inbound_events: {
    id: string
    organization_id: string
    connection_id: string
    connector: string
    event_id: string
    event_type: string
    received_at: Generated<Date>
    sync_job_id: string | null
    exchange_id: string | null
  }
  pull_waiting: {
    connection_id: string
    record_type: string
    external_id: string
    label: string
    missing: JSONColumnType<string[]>
    first_seen_at: Generated<Date>
    last_seen_at: ColumnType<Date, Date | undefined, Date>
  }
  unmapped_values: {
    connection_id: string
    field: string
    value: string
    value_map: string | null
    reason: string
    external_id: string | null
    seen: Generated<number>
    first_seen_at: Generated<Date>
    last_seen_at: ColumnType<Date, Date | undefined, Date>
  }
  referrals: ReferralsTable
  referral_events: {
    id: string
    organization_id: string
    connection_id: string
    referral_id: string | null
    external_referral_id: string | null
    event_id: string
    trigger: string
    occurred_at: Date | null
    received_at: Generated<Date>
    outcome: 'applied' | 'ignored'
    reason: string | null
    exchange_id: string | null
  }
  referral_attachments: {
    id: string
    referral_id: string
    position: number
    kind: 'summary' | 'attachment'
    filename: string
    content_type: string
    size_bytes: number
    sha256: string
    data: Buffer
    created_at: Generated<Date>
  }
  event_subscriptions: {
    id: string
    organization_id: string
    url: string
    events: JSONColumnType<string[]>
    enabled: Generated<boolean>
    description: string | null
    /** The sealed signing secret (whsec_…). */
    secret: string
    created_at: Generated<Date>
    updated_at: ColumnType<Date, Date | undefined, Date>
  }
  events: {
    id: string
    organization_id: string
    type: string
    occurred_at: Date
    /** The JSON body exactly as signed and sent. */
    body: string
  }
  conflicts: {
    id: string
    organization_id: string
    connection_id: string
    patient_id: string
    field: string
    crm_value: ColumnType<unknown, string | null, string | null>
    emr_value: ColumnType<unknown, string | null, string | null>
    base_value: ColumnType<unknown, string | null, string | null>
    rule: string
    winner: 'crm' | 'emr'
    sync_job_id: string | null
    detected_at: Generated<Date>
    reviewed_at: Date | null
    reviewed_by: string | null
    kept: 'crm' | 'emr' | null
  }
}

export interface EmrRecordTable {
  connection_id: string
  external_id: string
  patient_id: string | null
  patient_external_id: string
  data: JSONColumnType<Record<string, unknown>>
  updated_at: ColumnType<Date, Date | undefined, Date>
}

export type LinkState = 'pending' | 'partial' | 'linked' | 'failed' | 'needs_attention'
export type SyncJobState = 'queued' | 'running' | 'retrying' | 'succeeded' | 'failed' | 'needs_attention'

export interface PatientsTable {
  id: string
  organization_id: string
  account_id: string | null
  first_name: string
  middle_name: string | null
  last_name: string
  preferred_name: string | null
  dob: string | null
  gender: string | null
  marital_status: string | null
  phone: string | null
  alternate_phone: string | null
  email: string | null
  address: JSONColumnType<Record<string, string | null> | null, string | null, string | null>
  language: string | null
  race: string | null
  ethnicity: string | null
  birth_sex: string | null
  admission_date: string | null
  discharge_date: string | null
  program_id: string | null
  level_of_care: string | null
  location_id: string | null
  referrer_name: string | null
  first_contact_name: string | null
  payment_method: string | null
  custom_fields: JSONColumnType<Record<string, unknown>>
  version: Generated<number>
  created_at: Generated<Date>
  updated_at: ColumnType<Date, Date | undefined, Date>
}

export type ReferralStatus = 'open' | 'accepted' | 'converted'

export interface ReferralsTable {
  id: string
  organization_id: string
  source_connection_id: string
  external_id: string
  service_listing_id: string | null
  status: ColumnType<ReferralStatus, ReferralStatus | undefined, ReferralStatus>
  source_status: string | null
  source_sub_status: string | null
  fields: JSONColumnType<Record<string, unknown>>
  note: ColumnType<string, string | undefined, string>
  source: JSONColumnType<Record<string, unknown>>
  appointments: JSONColumnType<unknown[]>
  messages: JSONColumnType<unknown[]>
  destination: ColumnType<'crm' | 'crms', 'crm' | 'crms' | undefined, 'crm' | 'crms'>
  destination_connection_id: string | null
  accepted_at: Date | null
  accepted_by: string | null
  patient_id: string | null
  version: Generated<number>
  created_at: Generated<Date>
  updated_at: ColumnType<Date, Date | undefined, Date>
}
