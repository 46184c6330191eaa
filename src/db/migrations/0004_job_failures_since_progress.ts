import { type Kysely, sql } from 'kysely'

/**
 * A long pull makes progress page by page; it gives up after so many failures in a row without
 * progress, not after so many failures in all (a 1% error rate would fail every large pull).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table sync_jobs add column failures_since_progress integer not null default 0`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table sync_jobs drop column failures_since_progress`.execute(db)
}
