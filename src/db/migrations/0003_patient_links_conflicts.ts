import { type Kysely, sql } from 'kysely'

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- F1 lists a patient's level of care (e.g. "Residential", as KIPU's pulls carry it).
    alter table patients add column level_of_care text;

    -- When a person cleared the link: the EMR may still hold a record made for this patient, so
    -- the next create looks for it first (F5: duplicates are not silently created).
    alter table links add column cleared_at timestamptz;

    -- A person's review of a conflict (F16): who, and which value they kept.
    alter table conflicts add column reviewed_by text;
    alter table conflicts add column kept text check (kept in ('crm', 'emr'));
  `.execute(db)
}
