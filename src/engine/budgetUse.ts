import { sql } from 'kysely'
import type { DbOrTx } from '../db/database.js'
import type { RateLimitPolicy } from '../connectors/connector.js'
import { getConnector } from '../connectors/registry.js'

/**
 * How much of its request budget each connection used lately: the calls its system answered in
 * the last window ÷ what the connection's pacing policy allows in that window. The window is the
 * policy's own for a per-window limit (ECW: 60 s), and 10 s of refill for a token bucket (Ritten:
 * 500 calls), long enough that one scrape is not a single second's noise. Near 1 with a backlog
 * waiting means the pacer is what holds the work back; above 1 is a bucket's burst being spent.
 *
 * Counted from the integration log, so every process's calls count wherever /metrics is read.
 */
export interface BudgetUse {
  connectionId: string
  connector: string
  calls: number
  allowed: number
  windowSeconds: number
  use: number
}

const BUCKET_WINDOW_SECONDS = 10

export function budgetWindow(policy: RateLimitPolicy): { windowSeconds: number; allowed: number } {
  if (policy.kind === 'bucket') return { windowSeconds: BUCKET_WINDOW_SECONDS, allowed: policy.refillPerSecond * BUCKET_WINDOW_SECONDS }
  return { windowSeconds: policy.windowSeconds, allowed: policy.limit }
}

export async function measureBudgetUse(db: DbOrTx, options: { unpaced?: readonly string[] } = {}): Promise<BudgetUse[]> {
  const connections = await db.selectFrom('connections').select(['id', 'connector', 'settings']).where('enabled', '=', true).execute()
  const paced = connections.flatMap((row) => {
    const connector = getConnector(row.connector)
    if (!connector?.rateLimit || options.unpaced?.includes(connector.kind)) return []
    let policy: RateLimitPolicy = connector.rateLimit as RateLimitPolicy
    if (typeof connector.rateLimit === 'function') {
      // Stored settings the schema refuses leave the connection's jobs waiting for a person: nothing is paced to measure.
      const settings = connector.settingsSchema.safeParse(row.settings)
      if (!settings.success) return []
      policy = connector.rateLimit(settings.data)
    }
    return [{ row, ...budgetWindow(policy) }]
  })
  if (paced.length === 0) return []
  const longest = Math.max(...paced.map((p) => p.windowSeconds))
  // One look at the log: each call's age, for the connections and the longest window.
  const calls = await db
    .selectFrom('exchanges')
    .select(['connection_id', sql<number>`extract(epoch from (now() - started_at))::float8`.as('age')])
    .where('connection_id', 'in', paced.map((p) => p.row.id))
    .where('direction', '=', 'outbound')
    .where('http_status', 'is not', null)
    .where('started_at', '>', sql<Date>`now() - make_interval(secs => ${longest})`)
    .execute()
  return paced.map(({ row, windowSeconds, allowed }) => {
    const made = calls.filter((c) => c.connection_id === row.id && Number(c.age) < windowSeconds).length
    return { connectionId: row.id, connector: row.connector, calls: made, allowed, windowSeconds, use: made / allowed }
  })
}
