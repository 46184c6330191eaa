import { type Kysely, sql } from 'kysely'

/**
 * sync_jobs becomes the durable queue itself (as graphile-worker's jobs table is): a worker takes
 * the next due job and claims it in one statement. Before, every job was also a pg-boss message —
 * its insert, pg-boss's fetch (a SKIP LOCKED update of pgboss.job), the engine's claim by id, its
 * completion and later its archiving — two owners of leases, retries and expiry for one piece of
 * work, and on the embedded database each of those statements a turn of the one PGlite backend.
 *
 * A job is due when it waits (queued, retrying) and its next_attempt_at has come, or when it is
 * running under a lease that ran out (its worker died: housekeeping used to send it again). The
 * function takes the first due row by next_attempt_at that no other fetch holds (SKIP LOCKED: two
 * processes of four workers never take one job twice), then the record's lock (relink.ts's key,
 * `${connectionId}:${recordId}`, so the two exclude each other) and, in a statement of its own —
 * whose snapshot sees a claim of the same record that committed while this one waited — checks
 * that no other job of the record runs. A busy record's job is put back a second later (not spun
 * on) and the next due job is tried. The claim raises `attempts`, the fence of every later write.
 *
 * The partial index holds only the jobs that may come due: the fetch reads a few entries in
 * order, however many finished jobs the table keeps. The running ones sort first (their
 * next_attempt_at is old) and are passed over by their live lease: at most one per worker.
 *
 * pg-boss's schema and the claim by id (claim_sync_job) are left as they are, unused by this
 * version: a process of the previous version still running beside this one during an upgrade
 * writes its messages there and its jobs here (and its workers claim jobs by id), and the jobs are
 * what the workers of this version take — nothing stops working while the processes are replaced
 * one by one. `drop schema pgboss cascade` removes pg-boss's tables afterwards.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index if not exists sync_jobs_due on sync_jobs (next_attempt_at) where state in ('queued', 'retrying', 'running')`.execute(db)
  await sql`
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
          and ((state <> 'running' and next_attempt_at <= now()) or (state = 'running' and lease_until < now()))
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
    $$`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop function if exists claim_next_sync_job(double precision)`.execute(db)
  await sql`drop index if exists sync_jobs_due`.execute(db)
}
