import { type Kysely, sql } from 'kysely'

/**
 * Some audit events belong to no organization: a sign-in with an unknown API key names no one.
 * They are the installation's, and every organization's admins see them (organization_id null).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table audit_events alter column organization_id drop not null`.execute(db)
}
