import { type Kysely, sql } from 'kysely'

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- F1 lists a patient's level of care (e.g. "Residential", as KIPU's pulls carry it).
    alter table patients add column level_of_care text;

    -- When a person cleared the link: the EMR may still hold a record made for this patient, so
    -- the next create looks for it first (F5: duplicates are not silently created).
    alter table links add column cleared_at timestamptz;

    -- F5: two CRM records never share one EMR record. Pairs an earlier version let through keep
    -- the oldest link; the others wait for a person, saying with whom they shared it.
    with ranked as (
      select id,
             row_number() over same_record as n,
             first_value(record_id) over same_record as keeper
      from links
      where external_id is not null
      window same_record as (partition by connection_id, record_type, external_id order by created_at, id)
    )
    update links
       set external_id = null,
           external_mrn = null,
           state = 'needs_attention',
           message = 'was linked to the same EMR record as ' || ranked.keeper || '; settle the link by hand',
           updated_at = now()
      from ranked
     where links.id = ranked.id and ranked.n > 1;
    drop index links_external;
    create unique index links_external on links (connection_id, record_type, external_id) where external_id is not null;

    -- A person's review of a conflict (F16): who, and which value they kept.
    alter table conflicts add column reviewed_by text;
    alter table conflicts add column kept text check (kept in ('crm', 'emr'));
  `.execute(db)
}
