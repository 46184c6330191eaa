import { type Kysely, sql } from 'kysely'

/**
 * The columns the API's lists page by (src/db/cursor.ts) hold milliseconds, as the cursor does.
 * PostgreSQL keeps microseconds and the driver reads milliseconds, so rows written together (a
 * pulled page: one `now()`) sat a fraction of a millisecond after the cursor of the page that ended
 * among them, and the next page skipped the rest of them.
 */
const LIST_COLUMNS: ReadonlyArray<[table: string, column: string]> = [
  ['patients', 'created_at'],
  ['accounts', 'created_at'],
  ['referrals', 'updated_at'],
  ['audit_events', 'at'],
  ['pull_waiting', 'first_seen_at'],
  ['sync_jobs', 'created_at'],
  ['links', 'updated_at'],
  ['conflicts', 'detected_at'],
  ['exchanges', 'started_at'],
]

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const [table, column] of LIST_COLUMNS) {
    await sql`alter table ${sql.table(table)} alter column ${sql.ref(column)} type timestamptz(3)`.execute(db)
  }
}
