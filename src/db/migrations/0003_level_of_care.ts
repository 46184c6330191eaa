import { type Kysely, sql } from 'kysely'

/** F1 lists a patient's level of care (e.g. "Residential", as KIPU's pulls carry it). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table patients add column level_of_care text`.execute(db)
}
