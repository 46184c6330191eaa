import { randomUUID } from 'node:crypto'
import PgBoss from 'pg-boss'
import type pg from 'pg'
import { type DbOrTx } from './database.js'
import { CompiledQuery, sql, type RawBuilder } from 'kysely'
import { createGuardedPool, type DatabaseAvailability } from './availability.js'

/** The durable queue: pg-boss in the same database, so a job and the change that caused it commit together. */
export type Queue = PgBoss

export const QUEUES = {
  /** Runs one sync job (push, pull…) by its id in the sync_jobs table. */
  sync: 'carebridge.sync',
  /** Periodic housekeeping: re-dispatch orphaned jobs, prune old exchange bodies. */
  housekeeping: 'carebridge.housekeeping',
} as const

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

/** pg-boss's settings for every message (see startQueue); syncMessages writes them as pg-boss's send would. */
const EXPIRE_SECONDS = 15 * 60
const RETENTION_DAYS = 7

/**
 * A data-modifying CTE body: one pg-boss message on QUEUES.sync for each `id` of `jobs` (a CTE
 * of sync job ids in the same statement), as pg-boss's own insert (`insertJobs` in pg-boss 10's
 * plans.js) writes it: the queue's policy, retry settings, expiry and retention, else this
 * process's defaults. It lets a change write its jobs' messages in the change's own statement —
 * one statement, atomic by itself, instead of a transaction around pg-boss's insert. A test
 * (src/engine/jobs.test.ts) compares the row it writes with the one pg-boss writes.
 */
export function syncMessages(jobs: string): RawBuilder<unknown> {
  return sql`
    insert into pgboss.job (name, data, priority, start_after, expire_in, keep_until, retry_limit, retry_delay, retry_backoff, policy, dead_letter)
    select q.name, jsonb_build_object('jobId', j.id), 0, now(),
      coalesce(q.expire_seconds * interval '1s', ${EXPIRE_SECONDS}::numeric * interval '1s'),
      now() + cast(coalesce((q.retention_minutes * 60)::text, ${`${RETENTION_DAYS} days`}::text, '14 days') as interval),
      coalesce(q.retry_limit, 2),
      case when coalesce(q.retry_backoff, false) then greatest(coalesce(q.retry_delay, 0), 1) else coalesce(q.retry_delay, 0) end,
      coalesce(q.retry_backoff, false), q.policy, q.dead_letter
    from ${sql.table(jobs)} j join pgboss.queue q on q.name = ${QUEUES.sync}
    returning id`
}

export interface QueueOptions {
  connectionString: string
  pollSeconds: number
  schedule: boolean
  availability: DatabaseAvailability
  log: { warn(obj: object, msg: string): void }
}

export async function startQueue(options: QueueOptions): Promise<Queue> {
  // pg-boss runs on a pool of ours, so its clients get the same error listeners as the hub's own
  // (its built-in pool leaves checked-out clients without one: a restart of the database would
  // end the process).
  const pool = createGuardedPool({ connectionString: options.connectionString, max: 4, application_name: 'carebridge-queue' }, (err) =>
    options.availability.noteFailure(err),
  )
  const boss = new PgBoss({
    db: poolAdapter(pool),
    schema: 'pgboss',
    // A worker that dies mid-job leaves it active; expiry hands it to another worker.
    expireInSeconds: EXPIRE_SECONDS,
    retentionDays: RETENTION_DAYS,
    deleteAfterDays: 7,
    schedule: options.schedule,
    supervise: options.schedule,
    maintenanceIntervalSeconds: 120,
  })
  boss.on('error', (err) => {
    // pg-boss reports background failures here (fetch loops, maintenance); they must not end the
    // process. An outage is logged once by `availability`; anything else is logged as it comes.
    if (options.availability.noteFailure(err)) return
    options.log.warn({ err }, 'queue background task failed')
  })
  announceDueJobs(boss, poolAdapter(pool))
  const stop = boss.stop.bind(boss)
  boss.stop = async (stopOptions) => {
    await stop(stopOptions)
    await pool.end().catch(() => undefined)
  }
  await boss.start()
  for (const name of Object.values(QUEUES)) {
    // One owner per concern: the engine's sync_jobs own retries (backoff, Retry-After), leases and
    // orphans (housekeeping sends a job again once its lease is over). A pg-boss message is only a
    // wake-up, so pg-boss never retries one itself — a crashed handler would otherwise be run again
    // by both. Databases made before this said 3: updated to 0.
    await boss.createQueue(name, { name, retryLimit: 0 })
    await boss.updateQueue(name, { name, retryLimit: 0 })
  }
  return boss
}

/**
 * Every send of a sync job that is due now also announces it on JOBS_CHANNEL, through the same
 * connection: inside the caller's transaction (the outbox) when it has one, else on its own.
 * One place for every enqueue path — the API's, and the jobs a running job queues (pushes after
 * a pull, event deliveries). A job due later is found by polling when its time comes.
 */
function announceDueJobs(boss: PgBoss, own: PgBoss.Db): void {
  const send = boss.send.bind(boss) as (name: string, data: object | null, options: PgBoss.SendOptions & PgBoss.ConnectionOptions) => Promise<string | null>
  boss.send = (async (name: string, data: object | null, options: PgBoss.SendOptions & PgBoss.ConnectionOptions = {}) => {
    const id = await send(name, data, options)
    // PostgreSQL folds identical notifications of one transaction into one: a change that queues several jobs wakes workers once.
    if (id && name === QUEUES.sync && isDueNow(options.startAfter)) await (options.db ?? own).executeSql('select pg_notify($1, $2)', [JOBS_CHANNEL, name])
    return id
  }) as typeof boss.send
}

function isDueNow(startAfter: number | string | Date | undefined): boolean {
  if (startAfter === undefined) return true
  if (typeof startAfter === 'number') return startAfter <= 0
  return new Date(startAfter).getTime() <= Date.now()
}

function poolAdapter(pool: pg.Pool): PgBoss.Db {
  return {
    async executeSql(text: string, values: unknown[]) {
      const result = await pool.query(text, values)
      return { rows: result.rows as unknown[] }
    },
  }
}

/** Lets pg-boss write a job inside our transaction (the outbox), using the same connection. */
export function inTransaction(trx: DbOrTx): { db: PgBoss.Db } {
  return {
    db: {
      async executeSql(text: string, values: unknown[]) {
        const result = await trx.executeQuery(CompiledQuery.raw(text, values))
        return { rows: result.rows as unknown[] }
      },
    },
  }
}
