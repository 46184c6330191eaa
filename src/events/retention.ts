import { sql } from 'kysely'
import type { Db } from '../db/database.js'

/**
 * Events are kept for the exchange-body retention period (their deliveries stay in the log as
 * exchanges); after that an event can no longer be replayed. One whose delivery is still waiting
 * or retrying is kept until it settles. Returns how many were removed.
 */
export async function pruneEvents(db: Db, days: number, now: Date = new Date()): Promise<number> {
  const result = await db
    .deleteFrom('events')
    .where('occurred_at', '<', new Date(now.getTime() - days * 86_400_000))
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('sync_jobs')
            .select('sync_jobs.id')
            .where('sync_jobs.kind', '=', 'deliver_event')
            .whereRef('sync_jobs.record_id', '=', sql.ref('events.id'))
            .where('sync_jobs.state', 'in', ['queued', 'running', 'retrying']),
        ),
      ),
    )
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}
