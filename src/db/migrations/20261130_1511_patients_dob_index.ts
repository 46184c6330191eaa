import { type Kysely, sql } from 'kysely'

/**
 * Every page a pull stores looks for CRM patients by birth date before it creates new ones
 * (src/engine/demographicMatch.ts): without an index that is a scan of all patients per page,
 * so a large pull slowed down with every page it stored.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index if not exists patients_dob on patients (organization_id, dob)`.execute(db)
}
