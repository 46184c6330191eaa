import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { insertConnection, openTestDatabase, type TestDatabase } from '../../test/database.js'
import { registry } from '../observability/metrics.js'
import { budgetWindow, measureBudgetUse } from './budgetUse.js'
import { Engine } from './engine.js'

let database: TestDatabase

beforeAll(async () => {
  database = await openTestDatabase()
})

afterAll(async () => {
  await database?.close()
})

/** `count` calls of a connection `secondsAgo` ago, as the integration log stores them. */
async function calls(connection: { organizationId: string; connectionId: string }, count: number, secondsAgo: number, options: { httpStatus?: number | null; direction?: 'outbound' | 'inbound' } = {}) {
  for (let i = 0; i < count; i++) {
    await database.db
      .insertInto('exchanges')
      .values({
        id: randomUUID(),
        organization_id: connection.organizationId,
        connection_id: connection.connectionId,
        connector: 'test',
        direction: options.direction ?? 'outbound',
        operation: 'create',
        status: 'ok',
        http_status: options.httpStatus === undefined ? 201 : options.httpStatus,
        attempt: 1,
        started_at: sql<Date>`now() - make_interval(secs => ${secondsAgo})`,
        duration_ms: 3,
      })
      .execute()
  }
}

describe('budget use per connection', () => {
  it('windows: a bucket over 10 s of its refill, a per-window limit over its own window', () => {
    expect(budgetWindow({ kind: 'bucket', capacity: 90, refillPerSecond: 50 })).toEqual({ windowSeconds: 10, allowed: 500 })
    expect(budgetWindow({ kind: 'rolling', limit: 250, windowSeconds: 62 })).toEqual({ windowSeconds: 62, allowed: 250 })
  })

  it('counts the answered outbound calls of the last window against the policy, in /metrics too', async () => {
    const ritten = await insertConnection(database.db, { connector: 'ritten' })
    const ecw = await insertConnection(database.db, { connector: 'ecw', settings: { clientId: 'hub' }, organizationId: ritten.organizationId })
    await calls(ritten, 40, 2)
    await calls(ritten, 5, 30) // outside Ritten's 10 s
    await calls(ritten, 3, 1, { httpStatus: null }) // never answered (refused connection) or never sent
    await calls(ritten, 2, 1, { direction: 'inbound' }) // a webhook to the hub, not a call of ours
    await calls(ecw, 45, 30)
    await calls(ecw, 9, 90) // outside the hub's span for ECW (a minute and its transit allowance)
    const figures = await measureBudgetUse(database.db)
    expect(figures.find((f) => f.connectionId === ritten.connectionId)).toMatchObject({ calls: 40, allowed: 500, use: 0.08 })
    expect(figures.find((f) => f.connectionId === ecw.connectionId)).toMatchObject({ calls: 45, allowed: 250, windowSeconds: 62, use: 0.18 })
    // A connector whose pacing is lifted (benchmarks only) has no budget to measure.
    expect((await measureBudgetUse(database.db, { unpaced: ['ritten'] })).map((f) => f.connector)).toEqual(['ecw'])

    // Any process that has an engine serves the gauge, read from the database at the scrape.
    const log = { info: () => undefined, warn: () => undefined, error: () => undefined }
    new Engine({ db: database.db, box: database.box, retry: { maxAttempts: 1, baseMs: 1, maxMs: 1 }, leaseSeconds: 30, httpTimeoutMs: 1000, log, availability: database.availability, concurrency: 1, pollSeconds: 0.5, bodyRetentionDays: 30 })
    const metrics = await registry.metrics()
    expect(metrics).toContain(`carebridge_connection_budget_use{connection="${ritten.connectionId}",connector="ritten"} 0.08`)
    expect(metrics).toContain(`carebridge_connection_budget_use{connection="${ecw.connectionId}",connector="ecw"} 0.18`)
  })
})
