import { type Kysely, sql } from 'kysely'

/**
 * A pull looks for namesakes of a page's new patients (src/engine/demographicMatch.ts) by birth
 * date and ASCII name key. With only (organization_id, dob) indexed, the database read and
 * filtered every patient of each birth date the page holds, so the statement's cost grew with
 * the CRM (100,000 patients: ~2,900 rows and ~3,600 buffers a page of 500, 25 ms). Indexed by
 * birth date and both name keys, it reads only the namesakes; the few patients whose names are
 * not printable ASCII (compared after Unicode normalization, which SQL does not do) have a
 * partial index of their own. The new index starts with (organization_id, dob), so it serves
 * what patients_dob served, and patients_dob goes: every insert maintains one index more, not two.
 * The key expressions are the ones demographicMatch.ts asks by, character for character.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create index if not exists patients_name_key on patients (
      organization_id, dob,
      (lower(btrim(regexp_replace(last_name, '\\s+', ' ', 'g'), ' '))),
      (lower(btrim(regexp_replace(first_name, '\\s+', ' ', 'g'), ' ')))
    )`.execute(db)
  await sql`create index if not exists patients_dob_non_ascii_name on patients (organization_id, dob) where last_name ~ '[^ -~]' or first_name ~ '[^ -~]'`.execute(db)
  await sql`drop index if exists patients_dob`.execute(db)
}
