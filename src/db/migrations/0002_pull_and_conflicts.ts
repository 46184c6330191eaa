import { type Kysely, sql } from 'kysely'

/** Pulls from EMRs (F4, F14), bidirectional demographics (F16) and scheduled pulls. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- Values taken from an EMR that CRM fields offer as dropdowns: practitioners, locations, programs.
    create table reference_values (
      connection_id uuid not null references connections(id) on delete cascade,
      kind text not null,
      external_id text not null,
      label text not null,
      data jsonb not null,
      updated_at timestamptz not null default now(),
      primary key (connection_id, kind, external_id)
    );

    -- Insurance and encounters as the EMR holds them, shown read-only on the patient.
    create table emr_insurances (
      connection_id uuid not null references connections(id) on delete cascade,
      external_id text not null,
      patient_id uuid references patients(id),
      patient_external_id text not null,
      data jsonb not null,
      updated_at timestamptz not null default now(),
      primary key (connection_id, external_id)
    );
    create index emr_insurances_patient on emr_insurances (patient_id);

    create table emr_encounters (
      connection_id uuid not null references connections(id) on delete cascade,
      external_id text not null,
      patient_id uuid references patients(id),
      patient_external_id text not null,
      data jsonb not null,
      updated_at timestamptz not null default now(),
      primary key (connection_id, external_id)
    );
    create index emr_encounters_patient on emr_encounters (patient_id);

    -- A field changed on both sides since the last sync, and how it was settled.
    create table conflicts (
      id uuid primary key,
      organization_id uuid not null references organizations(id),
      connection_id uuid not null references connections(id),
      patient_id uuid not null references patients(id),
      field text not null,
      crm_value jsonb,
      emr_value jsonb,
      base_value jsonb,
      rule text not null,
      winner text not null check (winner in ('crm', 'emr')),
      sync_job_id uuid references sync_jobs(id),
      detected_at timestamptz not null default now(),
      reviewed_at timestamptz
    );
    create index conflicts_open on conflicts (organization_id, reviewed_at, detected_at desc);

    -- The demographics both sides agreed on at the last sync: what "changed since" is measured against.
    alter table links add column synced_values jsonb;
    alter table links add column emr_updated_at timestamptz;
    create index links_external on links (connection_id, external_id);

    alter table connections add column pull_scheduled_at timestamptz;
    alter table connections add column ownership jsonb;
  `.execute(db)
}
