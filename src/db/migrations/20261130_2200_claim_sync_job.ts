import { type Kysely, sql } from 'kysely'

/**
 * A sync job's claim as one statement (src/engine/jobs.ts, claimJob). It was a transaction of
 * four round trips (begin, read and lock, guarded update, commit); the embedded database serves
 * one client's open transaction at a time, so every other client — the API's creates, the other
 * workers — waited behind each claim's round trips. A function runs the same two steps in one
 * call: take the record's lock, then the guarded update, whose own snapshot (a volatile
 * function's statements each take one) sees whatever another claim of the same record committed
 * while this one waited. The lock's key is relink.ts's (`${connectionId}:${recordId}`), so the two
 * exclude each other. It returns the claimed row, or nothing when the job was not claimed.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create or replace function claim_sync_job(job_id uuid, lease_seconds double precision) returns setof sync_jobs
    language plpgsql volatile as $$
    declare
      target sync_jobs;
    begin
      select * into target from sync_jobs where id = job_id;
      if not found then
        return;
      end if;
      if target.record_id is not null then
        perform pg_advisory_xact_lock(hashtext(coalesce(target.connection_id::text, 'null') || ':' || target.record_id::text));
      end if;
      return query
        update sync_jobs j
        set state = 'running', attempts = j.attempts + 1, lease_until = now() + make_interval(secs => lease_seconds), updated_at = now()
        where j.id = job_id
          and (j.state in ('queued', 'retrying') or (j.state = 'running' and j.lease_until < now()))
          and j.next_attempt_at <= now() + interval '1 second'
          and not exists (
            select 1 from sync_jobs other
            where other.connection_id = target.connection_id
              and other.record_type = target.record_type
              and other.record_id = target.record_id
              and other.id <> job_id
              and other.state = 'running'
              and other.lease_until > now())
        returning j.*;
    end
    $$`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop function if exists claim_sync_job(uuid, double precision)`.execute(db)
}
