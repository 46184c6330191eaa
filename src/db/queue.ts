import { randomUUID } from 'node:crypto'
import { sql, type RawBuilder } from 'kysely'

/*
 * The durable queue is the sync_jobs table itself (migration 20261201_0400_sync_jobs_queue): a
 * job is written in the transaction (or the very statement) of the change that caused it, and a
 * worker takes the next due one and claims it in one statement (claimNextJob in
 * src/engine/jobs.ts). What is left here is how a commit wakes the workers.
 */

/**
 * The channel a sync job's wake-up goes out on. The enqueue's transaction sends it, so PostgreSQL
 * delivers it only once the job is committed (never on rollback): a worker woken by it finds the
 * job. Workers in every process listen (src/engine/wakeUp.ts); polling stays as the fallback.
 */
export const JOBS_CHANNEL = 'carebridge_jobs'

/**
 * This process's name on JOBS_CHANNEL. A commit that wakes its own workers itself, straight after
 * it returns, sends this as the payload, and this process's listener skips it: the wake-up's trip
 * through the database (and, embedded, a turn of the one PGlite backend to deliver it) would only
 * make a second idle worker fetch for the job the first already took. Every other process still
 * wakes on it. Any other payload wakes this process too.
 */
export const PROCESS_SENDER = `process-${randomUUID()}`

/** The payload of a wake-up meant for every process, this one included. */
export const EVERY_PROCESS = 'due'

/**
 * The wake-up as a select-list expression, for a statement that writes a job due now: delivered
 * at commit. PostgreSQL folds identical notifications of one transaction into one, so a change
 * that queues several jobs wakes the workers once.
 */
export function jobsDue(sender: string = EVERY_PROCESS): RawBuilder<unknown> {
  return sql`pg_notify(${JOBS_CHANNEL}::text, ${sender}::text)`
}
