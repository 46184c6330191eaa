import { sql, type RawBuilder } from 'kysely'
import type { Db } from '../db/database.js'
import type { RateLimitPolicy } from '../connectors/connector.js'
import type { Pacer } from '../exchanges/recorder.js'

/**
 * Pacing held in the database, so every worker process of a connection draws from one budget.
 * Times come from the database clock, which all workers share — or from `clock` with its own
 * `sleep`, so that a test can drive minutes of pacing without waiting for them.
 */
export function createPacer(db: Db, key: string, policy: RateLimitPolicy, sleep: Sleep = defaultSleep, clock?: () => Date): Pacer {
  const now = (): RawBuilder<Date> => (clock ? sql<Date>`${clock().toISOString()}::timestamptz` : sql<Date>`now()`)
  if (policy.kind === 'bucket') return bucketPacer(db, key, policy, sleep, now)
  if (policy.kind === 'rolling') return rollingPacer(db, key, policy, sleep, now)
  return windowPacer(db, key, policy, sleep, now)
}

/**
 * Token bucket by reservation: each call takes a token even when the bucket is empty, driving
 * it negative; the caller then waits until its reserved token has refilled. Callers are served
 * in the order they reserved, with one statement each.
 */
function bucketPacer(db: Db, key: string, policy: { capacity: number; refillPerSecond: number }, sleep: Sleep, now: Now): Pacer {
  const bucketKey = `bucket:${key}`
  return {
    async take() {
      const at = now()
      const { rows } = await sql<{ tokens: number }>`
        insert into rate_limits (key, tokens, updated_at) values (${bucketKey}, ${policy.capacity - 1}, ${at})
        on conflict (key) do update set
          tokens = least(${policy.capacity}::float8,
                         rate_limits.tokens + extract(epoch from (${at} - rate_limits.updated_at)) * ${policy.refillPerSecond}::float8) - 1,
          updated_at = ${at}
        returning tokens`.execute(db)
      const tokens = Number(rows[0]?.tokens ?? 0)
      if (tokens < 0) await sleep((-tokens / policy.refillPerSecond) * 1000)
    },
  }
}

/** Fixed window (e.g. 250 per clock minute): beyond the limit, wait for the next window to begin. */
function windowPacer(db: Db, key: string, policy: { limit: number; windowSeconds: number }, sleep: Sleep, now: Now): Pacer {
  return {
    async take() {
      for (;;) {
        const at = now()
        const { rows } = await sql<{ used: number; remaining_ms: number }>`
          with w as (select floor(extract(epoch from ${at}) / ${policy.windowSeconds}::float8)::bigint as n,
                            extract(epoch from ${at}) as t)
          insert into rate_limits (key, tokens, updated_at)
            select ${`window:${key}:`} || w.n, 1, ${at} from w
          on conflict (key) do update set tokens = rate_limits.tokens + 1, updated_at = ${at}
          returning tokens as used,
            ((select (w.n + 1) * ${policy.windowSeconds}::float8 - w.t from w) * 1000)::float8 as remaining_ms`.execute(db)
        const row = rows[0]
        if (!row || Number(row.used) <= policy.limit) return
        // To the window's end and no later: time slept past it is budget unused (50 ms of each
        // 1-second window would be 5%). Woken a hair early, the loop only looks once more.
        await sleep(Math.ceil(Number(row.remaining_ms)))
      }
    },
  }
}

/**
 * At most `limit` requests in any span of `windowSeconds`, by a ring of `limit` slots: each slot
 * holds the time of the last request that used it, and a request takes the oldest slot for
 * max(now, that time + window). Successive uses of one slot are a window apart, so no span of a
 * window holds more than `limit` — wherever the system's own windows start (a fixed window of
 * ours could put twice the limit into one of the system's when the clocks differ).
 */
function rollingPacer(db: Db, key: string, policy: { limit: number; windowSeconds: number }, sleep: Sleep, now: Now): Pacer {
  const prefix = `rolling:${key}:${policy.limit}:${policy.windowSeconds}:`
  const ensureSlots = () => sql`
    insert into rate_limits (key, tokens, updated_at)
      select ${prefix} || g, 0, ${now()} - make_interval(secs => ${policy.windowSeconds}) from generate_series(1, ${policy.limit}) g
    on conflict (key) do nothing`.execute(db)
  let slots: Promise<unknown> | null = null
  return {
    async take() {
      for (let attempt = 0; ; attempt++) {
        slots ??= ensureSlots()
        await slots
        const at = now()
        const { rows } = await sql<{ wait_ms: number }>`
          with oldest as (
            select key, updated_at from rate_limits where key like ${`${prefix}%`}
            order by updated_at limit 1 for update skip locked
          )
          update rate_limits r set updated_at = greatest(${at}, oldest.updated_at + make_interval(secs => ${policy.windowSeconds}))
          from oldest where r.key = oldest.key
          returning (extract(epoch from (r.updated_at - ${at})) * 1000)::float8 as wait_ms`.execute(db)
        const row = rows[0]
        if (row) {
          if (Number(row.wait_ms) > 0) await sleep(Number(row.wait_ms))
          return
        }
        // Every slot is being claimed right now, or the slots were swept away: make sure they exist, then try again.
        slots = null
        await sleep(Math.min(50 * (attempt + 1), 500))
      }
    },
  }
}

type Sleep = (ms: number) => Promise<void>
type Now = () => RawBuilder<Date>
const defaultSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
