import { type Kysely, sql } from 'kysely'

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table organizations (
      id uuid primary key,
      name text not null,
      created_at timestamptz not null default now()
    );

    create table api_keys (
      id uuid primary key,
      organization_id uuid not null references organizations(id),
      name text not null,
      role text not null check (role in ('admin', 'staff')),
      key_hash text not null unique,
      created_at timestamptz not null default now(),
      revoked_at timestamptz
    );

    create table accounts (
      id uuid primary key,
      organization_id uuid not null references organizations(id),
      name text not null,
      email text,
      phone text,
      insurances jsonb not null default '[]',
      version integer not null default 1,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );

    create table patients (
      id uuid primary key,
      organization_id uuid not null references organizations(id),
      account_id uuid references accounts(id),
      first_name text not null,
      middle_name text,
      last_name text not null,
      preferred_name text,
      dob date,
      gender text,
      marital_status text,
      phone text,
      alternate_phone text,
      email text,
      address jsonb,
      language text,
      race text,
      ethnicity text,
      birth_sex text,
      admission_date date,
      discharge_date date,
      program_id text,
      location_id text,
      referrer_name text,
      first_contact_name text,
      payment_method text,
      custom_fields jsonb not null default '{}',
      version integer not null default 1,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index patients_account on patients (account_id);
    create index patients_name on patients (organization_id, last_name, first_name);

    create table connections (
      id uuid primary key,
      organization_id uuid not null references organizations(id),
      connector text not null,
      name text not null,
      base_url text not null,
      enabled boolean not null default true,
      settings jsonb not null default '{}',
      secrets text,
      field_map jsonb,
      value_maps jsonb not null default '{}',
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );

    create table connection_tokens (
      connection_id uuid primary key references connections(id) on delete cascade,
      token text,
      expires_at timestamptz,
      mint_lease_until timestamptz
    );

    create table links (
      id uuid primary key,
      organization_id uuid not null references organizations(id),
      record_type text not null,
      record_id uuid not null,
      connection_id uuid not null references connections(id),
      connector text not null,
      external_id text,
      external_mrn text,
      state text not null check (state in ('pending', 'partial', 'linked', 'failed', 'needs_attention')),
      message text,
      synced_version integer,
      last_synced_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (record_type, record_id, connection_id)
    );

    create table sync_jobs (
      id uuid primary key,
      organization_id uuid not null references organizations(id),
      connection_id uuid not null references connections(id),
      kind text not null,
      record_type text,
      record_id uuid,
      state text not null check (state in ('queued', 'running', 'retrying', 'succeeded', 'failed', 'needs_attention')),
      attempts integer not null default 0,
      next_attempt_at timestamptz not null default now(),
      lease_until timestamptz,
      steps jsonb not null default '{}',
      progress jsonb,
      last_error jsonb,
      replay_of uuid references sync_jobs(id),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      finished_at timestamptz
    );
    create index sync_jobs_record on sync_jobs (record_id, connection_id, state);
    create index sync_jobs_state on sync_jobs (state, next_attempt_at);

    create table exchanges (
      id uuid primary key,
      organization_id uuid not null references organizations(id),
      connection_id uuid references connections(id),
      connector text not null,
      sync_job_id uuid references sync_jobs(id),
      record_type text,
      record_id uuid,
      direction text not null check (direction in ('outbound', 'inbound')),
      operation text not null,
      status text not null check (status in ('ok', 'error')),
      http_status integer,
      message text,
      method text,
      url text,
      request_body text,
      response_body text,
      details jsonb,
      attempt integer not null default 1,
      started_at timestamptz not null,
      duration_ms integer not null,
      bodies_pruned_at timestamptz
    );
    create index exchanges_record on exchanges (record_id, started_at desc);
    create index exchanges_connection on exchanges (connection_id, started_at desc);
    create index exchanges_started on exchanges (organization_id, started_at desc, id desc);
    create index exchanges_job on exchanges (sync_job_id);

    create table audit_events (
      id uuid primary key,
      organization_id uuid not null references organizations(id),
      actor_key_id uuid,
      actor_name text not null,
      action text not null,
      target_type text not null,
      target_id text,
      details jsonb,
      at timestamptz not null default now()
    );
    create index audit_events_at on audit_events (organization_id, at desc);

    create table rate_limits (
      key text primary key,
      tokens double precision not null,
      updated_at timestamptz not null
    );
  `.execute(db)
}
