import { type Kysely, sql } from 'kysely'

/**
 * Browser sessions of the admin UI: an API key is exchanged once for a session cookie, so the key
 * never sits in the browser. Only the hash of the session token is stored; a session ends when
 * it expires, when its holder signs out, or when its API key is revoked.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table sessions (
      token_hash text primary key,
      organization_id uuid not null references organizations(id),
      api_key_id uuid not null references api_keys(id) on delete cascade,
      -- Sent back by the page in a header on every state change: a cross-site form cannot know it.
      csrf_token text not null,
      created_at timestamptz not null default now(),
      last_seen_at timestamptz not null default now(),
      expires_at timestamptz not null
    );
    create index sessions_api_key on sessions (api_key_id);
    create index sessions_expires on sessions (expires_at);
  `.execute(db)
}
