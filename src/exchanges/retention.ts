import type { Db } from '../db/database.js'

/**
 * Keeps every exchange's metadata forever but its request and response bodies only for the
 * retention period (no unbounded growth): older bodies are emptied and the exchange says when.
 * Returns how many exchanges were pruned.
 */
export async function pruneExchangeBodies(db: Db, days: number, now: Date = new Date()): Promise<number> {
  const result = await db
    .updateTable('exchanges')
    .set({ request_body: null, response_body: null, bodies_pruned_at: now })
    .where('started_at', '<', new Date(now.getTime() - days * 86_400_000))
    .where('bodies_pruned_at', 'is', null)
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}
