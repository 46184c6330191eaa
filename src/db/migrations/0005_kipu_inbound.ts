import { type Kysely, sql } from 'kysely'

/** KIPU (issue 12): inbound events, pull gating, read-only contacts, unmapped values, signed request headers. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- Calls an external system made to the hub (webhooks): one row per event id, so the same event
    -- is applied once; its job is queued in the same transaction.
    create table inbound_events (
      id uuid primary key,
      organization_id uuid not null references organizations(id),
      connection_id uuid not null references connections(id) on delete cascade,
      connector text not null,
      event_id text not null,
      event_type text not null,
      received_at timestamptz not null default now(),
      sync_job_id uuid references sync_jobs(id),
      exchange_id uuid,
      unique (connection_id, event_id)
    );

    -- What a job works on beyond a CRM record id (an inbound event's EMR id).
    alter table sync_jobs add column input jsonb;

    -- Records an EMR holds but that may not be pulled yet (KIPU: before admission), with what they miss.
    create table pull_waiting (
      connection_id uuid not null references connections(id) on delete cascade,
      record_type text not null,
      external_id text not null,
      label text not null,
      missing jsonb not null,
      first_seen_at timestamptz not null default now(),
      last_seen_at timestamptz not null default now(),
      primary key (connection_id, record_type, external_id)
    );

    -- A patient's contacts as the EMR holds them, shown read-only (like insurance and encounters).
    create table emr_contacts (
      connection_id uuid not null references connections(id) on delete cascade,
      external_id text not null,
      patient_id uuid references patients(id),
      patient_external_id text not null,
      data jsonb not null,
      updated_at timestamptz not null default now(),
      primary key (connection_id, external_id)
    );
    create index emr_contacts_patient on emr_contacts (patient_id);

    -- Pulled values no value map translates: kept for the admin to map, never written raw.
    create table unmapped_values (
      connection_id uuid not null references connections(id) on delete cascade,
      field text not null,
      value text not null,
      value_map text,
      reason text not null,
      external_id text,
      seen integer not null default 1,
      first_seen_at timestamptz not null default now(),
      last_seen_at timestamptz not null default now(),
      primary key (connection_id, field, value)
    );

    -- Request headers as sent (credentials masked): a signature's Date and Content-MD5, to debug a 401.
    alter table exchanges add column request_headers jsonb;
  `.execute(db)
}
