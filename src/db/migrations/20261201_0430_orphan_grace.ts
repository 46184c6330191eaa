import { type Kysely, sql } from 'kysely'

/**
 * A running job whose lease ran out is taken over by another worker only once the lease has been
 * over for 10 seconds (ORPHAN_GRACE_SECONDS in src/engine/jobs.ts). The worker that holds a job
 * stops by its own clock when the lease ends, but a call it sent just before may still be on its
 * way, and a process starved of CPU renews late: taken over at once, such a job's next attempt
 * could talk to the EMR beside the last one's call (seen under load: an ECW create answered 429
 * for the first attempt and 200 for its taker in the same minute, where the retry was to wait
 * for the next). Before sync_jobs became the queue, orphans went back to the workers at
 * housekeeping's next pass, 0–10 s after their lease ended; a dead worker's job waits as long now.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await claimNextSyncJob("now() - interval '10 seconds'").execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await claimNextSyncJob('now()').execute(db)
}

/** The function as migration 20261201_0400 made it, but for when a running job's lease counts as over. */
function claimNextSyncJob(orphanedBefore: string) {
  return sql`
    create or replace function claim_next_sync_job(lease_seconds double precision) returns setof sync_jobs
    language plpgsql volatile as $$
    declare
      target sync_jobs;
      passed uuid[] := '{}';
    begin
      -- Bounded: a statement that passes over many busy records still ends soon; those wait a second.
      for pass in 1..20 loop
        select * into target from sync_jobs
        where state in ('queued', 'retrying', 'running')
          and ((state <> 'running' and next_attempt_at <= now()) or (state = 'running' and lease_until < ${sql.raw(orphanedBefore)}))
          and id <> all(passed)
        order by next_attempt_at
        limit 1
        for update skip locked;
        if not found then
          return;
        end if;
        if target.record_id is not null then
          perform pg_advisory_xact_lock(hashtext(coalesce(target.connection_id::text, 'null') || ':' || target.record_id::text));
          if exists (
            select 1 from sync_jobs other
            where other.connection_id = target.connection_id
              and other.record_type = target.record_type
              and other.record_id = target.record_id
              and other.id <> target.id
              and other.state = 'running'
              and other.lease_until > now()
          ) then
            -- A waiting job comes due again a second later; an orphan stays due (its lease is what makes it so) and is only passed over here.
            update sync_jobs set next_attempt_at = now() + interval '1 second' where id = target.id and state <> 'running';
            passed := passed || target.id;
            continue;
          end if;
        end if;
        return query
          update sync_jobs j
          set state = 'running', attempts = j.attempts + 1, lease_until = now() + make_interval(secs => lease_seconds), updated_at = now()
          where j.id = target.id
          returning j.*;
        return;
      end loop;
    end
    $$`
}
