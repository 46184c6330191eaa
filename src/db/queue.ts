import PgBoss from 'pg-boss'
import { type DbOrTx } from './database.js'
import { CompiledQuery } from 'kysely'

/** The durable queue: pg-boss in the same database, so a job and the change that caused it commit together. */
export type Queue = PgBoss

export const QUEUES = {
  /** Runs one sync job (push, pull…) by its id in the sync_jobs table. */
  sync: 'carebridge.sync',
  /** Periodic housekeeping: re-dispatch orphaned jobs, prune old exchange bodies. */
  housekeeping: 'carebridge.housekeeping',
} as const

export async function startQueue(options: { connectionString: string; pollSeconds: number; schedule: boolean }): Promise<Queue> {
  const boss = new PgBoss({
    connectionString: options.connectionString,
    schema: 'pgboss',
    max: 4,
    // A worker that dies mid-job leaves it active; expiry hands it to another worker.
    expireInSeconds: 15 * 60,
    retentionDays: 7,
    deleteAfterDays: 7,
    schedule: options.schedule,
    supervise: options.schedule,
    maintenanceIntervalSeconds: 120,
  })
  boss.on('error', (err) => {
    // pg-boss reports background (maintenance/monitor) failures here; they must not crash the hub.
    process.emitWarning(`queue: ${err instanceof Error ? err.message : String(err)}`)
  })
  await boss.start()
  for (const name of Object.values(QUEUES)) {
    // retryLimit covers crashes only: the engine schedules its own retries (with Retry-After).
    await boss.createQueue(name, { name, retryLimit: 3, retryDelay: 5 })
  }
  return boss
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
