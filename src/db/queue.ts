import PgBoss from 'pg-boss'
import type pg from 'pg'
import { type DbOrTx } from './database.js'
import { CompiledQuery } from 'kysely'
import { createGuardedPool, type DatabaseAvailability } from './availability.js'

/** The durable queue: pg-boss in the same database, so a job and the change that caused it commit together. */
export type Queue = PgBoss

export const QUEUES = {
  /** Runs one sync job (push, pull…) by its id in the sync_jobs table. */
  sync: 'carebridge.sync',
  /** Periodic housekeeping: re-dispatch orphaned jobs, prune old exchange bodies. */
  housekeeping: 'carebridge.housekeeping',
} as const

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
    expireInSeconds: 15 * 60,
    retentionDays: 7,
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
