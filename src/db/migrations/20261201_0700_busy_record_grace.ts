import { type Kysely, sql } from 'kysely'

/**
 * A record stays busy while its running job's lease is within the orphan grace (10 seconds after it
 * ran out: ORPHAN_GRACE_SECONDS in src/engine/jobs.ts), as the job itself is not taken over before
 * then. Migration 20261201_0430 gave the orphan its grace but let another job of the same record
 * start the moment the lease ended: the lapsed holder's last call could still be on its way, and
 * the second job's create would meet it at the EMR — two patients for one record.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await claimNextSyncJob({ orphanedBefore: "now() - interval '10 seconds'", busyUntilAfter: "now() - interval '10 seconds'" }).execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await claimNextSyncJob({ orphanedBefore: "now() - interval '10 seconds'", busyUntilAfter: 'now()' }).execute(db)
}

/**
 * The function as migration 20261201_0430 made it, but for when a running job of the same record
 * stops holding the record: `busyUntilAfter` is the time its lease must end after for it to hold.
 */
function claimNextSyncJob(when: { orphanedBefore: string; busyUntilAfter: string }) {
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
          and ((state <> 'running' and next_attempt_at <= now()) or (state = 'running' and lease_until < ${sql.raw(when.orphanedBefore)}))
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
              and other.lease_until > ${sql.raw(when.busyUntilAfter)}
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
