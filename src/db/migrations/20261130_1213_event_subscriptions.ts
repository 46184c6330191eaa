import { type Kysely, sql } from 'kysely'

/**
 * Outbound events (F19): an organization's subscriptions (URLs, the events each wants, a signing
 * secret sealed like connection credentials) and the events the engine emitted for them. A
 * delivery is a sync job of kind `deliver_event`: it names no connection, hence the nullable
 * column; its input names the event and the subscription.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table event_subscriptions (
      id uuid primary key,
      organization_id uuid not null references organizations(id),
      url text not null,
      -- Event type names this subscription receives, e.g. ["patient.linked", "insurance.pulled"].
      events jsonb not null,
      enabled boolean not null default true,
      description text,
      -- The Standard Webhooks signing secret (whsec_…), sealed with the hub's key.
      secret text not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index event_subscriptions_org on event_subscriptions (organization_id);

    -- Emitted events, stored only when a subscription wanted them: the body is kept as the text
    -- that is signed and sent, so every retry and replay sends the same bytes under the same id.
    create table events (
      id uuid primary key,
      organization_id uuid not null references organizations(id),
      type text not null,
      occurred_at timestamptz not null,
      body text not null
    );
    create index events_org_time on events (organization_id, occurred_at desc);

    alter table sync_jobs alter column connection_id drop not null;
    -- A subscription's deliveries, newest first.
    create index sync_jobs_deliveries on sync_jobs ((input->>'subscriptionId'), created_at desc, id desc) where kind = 'deliver_event';
  `.execute(db)
}
