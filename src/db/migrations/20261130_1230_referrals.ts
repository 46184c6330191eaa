import { type Kysely, sql } from 'kysely'

/**
 * Referrals (issue 13): the CRM referral inbox, each referral's event history (applied or
 * ignored, with why), and its attachments — the summary PDF first — stored in the database so
 * they travel with backups on PGlite and PostgreSQL alike.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table referrals (
      id uuid primary key,
      organization_id uuid not null references organizations(id),
      -- The referral network connection it came from (Caredove) and that network's id for it.
      source_connection_id uuid not null references connections(id),
      external_id text not null,
      service_listing_id text,
      -- The inbox state: open (imported, updates still applied), accepted (by the CRM or CRMS:
      -- later events are logged as ignored), converted (a CRM patient was made from it).
      status text not null default 'open' check (status in ('open', 'accepted', 'converted')),
      -- The network's own status and sub-status as last reported (e.g. closed / completed).
      source_status text,
      source_sub_status text,
      -- CRM referral fields (registrant.*, requester.*, appointment.*) as mapped.
      fields jsonb not null default '{}',
      -- Everything the field map does not name, labelled with its question: the Referral Note.
      note text not null default '',
      -- The last payload as received, without attachment bytes (for the summary PDF and the record).
      source jsonb not null default '{}',
      appointments jsonb not null default '[]',
      messages jsonb not null default '[]',
      -- Where the referral goes beyond the inbox: 'crm' (the inbox itself) or 'crms' (a CRMS connection).
      destination text not null default 'crm' check (destination in ('crm', 'crms')),
      destination_connection_id uuid references connections(id),
      accepted_at timestamptz,
      accepted_by text,
      patient_id uuid references patients(id),
      version integer not null default 1,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (source_connection_id, external_id)
    );
    create index referrals_org_status on referrals (organization_id, status, updated_at desc);

    -- Every event received for a referral, applied or ignored (with the reason): its history.
    create table referral_events (
      id uuid primary key,
      organization_id uuid not null references organizations(id),
      connection_id uuid not null references connections(id) on delete cascade,
      referral_id uuid references referrals(id) on delete cascade,
      external_referral_id text,
      event_id text not null,
      trigger text not null,
      occurred_at timestamptz,
      received_at timestamptz not null default now(),
      outcome text not null check (outcome in ('applied', 'ignored')),
      reason text,
      exchange_id uuid
    );
    create index referral_events_referral on referral_events (referral_id, received_at);

    -- Attachments in order: position 1 is the Referral Summary PDF, then the referral's own files.
    create table referral_attachments (
      id uuid primary key,
      referral_id uuid not null references referrals(id) on delete cascade,
      position integer not null,
      kind text not null check (kind in ('summary', 'attachment')),
      filename text not null,
      content_type text not null,
      size_bytes integer not null,
      sha256 text not null,
      data bytea not null,
      created_at timestamptz not null default now(),
      unique (referral_id, position)
    );
  `.execute(db)
}
