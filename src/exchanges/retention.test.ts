import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertConnection, openTestDatabase, startTestEngine, type TestDatabase } from '../../test/database.js'
import { getExchange } from './log.js'
import { pruneExchangeBodies } from './retention.js'
import { RETENTION_EVERY_MS } from '../engine/engine.js'

/**
 * Exchange bodies are pruned after the retention days (CAREBRIDGE_EXCHANGE_BODY_RETENTION_DAYS);
 * the metadata stays. Exchanges are backdated instead of waiting for days.
 */
let database: TestDatabase
let organizationId: string
let connectionId: string

beforeAll(async () => {
  database = await openTestDatabase()
  ;({ organizationId, connectionId } = await insertConnection(database.db, { connector: 'ritten' }))
})

afterAll(async () => {
  await database?.close()
})

const DAY = 86_400_000

async function exchangeAged(days: number, now = Date.now()): Promise<string> {
  const id = randomUUID()
  await database.db
    .insertInto('exchanges')
    .values({
      id,
      organization_id: organizationId,
      connection_id: connectionId,
      connector: 'ritten',
      sync_job_id: null,
      record_type: null,
      record_id: null,
      direction: 'outbound',
      operation: 'create',
      status: 'error',
      http_status: 400,
      message: 'Ritten create failed (400): dob must not be in the future',
      method: 'POST',
      url: 'https://api.ritten.io/v1/patients',
      request_body: JSON.stringify({ name: { first: 'Old' }, dob: '2999-01-01' }),
      response_body: JSON.stringify({ message: 'dob must not be in the future' }),
      details: null,
      attempt: 2,
      started_at: new Date(now - days * DAY),
      duration_ms: 12,
      bodies_pruned_at: null,
    })
    .execute()
  return id
}

const view = (id: string) => getExchange(database.db, organizationId, id, { showPhi: true })

describe('exchange body retention', () => {
  it('empties the bodies of exchanges older than the retention days and keeps everything else', async () => {
    const now = new Date('2026-11-30T12:00:00Z')
    const old = await exchangeAged(31, now.getTime())
    const young = await exchangeAged(29, now.getTime())
    const before = await view(old)

    expect(await pruneExchangeBodies(database.db, 30, now)).toBeGreaterThanOrEqual(1)
    const pruned = await view(old)
    expect(pruned).toEqual({ ...before, requestBody: null, responseBody: null, bodiesPrunedAt: now.toISOString() })
    expect((await view(young))?.requestBody).toEqual({ name: { first: 'Old' }, dob: '2999-01-01' })

    // Once pruned, an exchange keeps the date it was pruned at.
    await pruneExchangeBodies(database.db, 30, new Date(now.getTime() + DAY))
    expect((await view(old))?.bodiesPrunedAt).toBe(now.toISOString())
  })

  it("is part of the engine's housekeeping, with the configured retention, once every ten minutes", async () => {
    const old = await exchangeAged(31)
    const young = await exchangeAged(1)
    const { engine, stop } = await startTestEngine(database)
    try {
      // Housekeeping runs once as the workers start, retention with it.
      await engine.startWorkers()
      const firstPassBy = Date.now()
      expect((await view(old))?.bodiesPrunedAt).not.toBeNull()
      expect((await view(old))?.requestBody).toBeNull()
      expect((await view(young))?.bodiesPrunedAt).toBeNull()

      // Then every ten seconds, but retention (a scan of the table) once every ten minutes only.
      const later = await exchangeAged(31)
      await engine.housekeep(firstPassBy + 60_000)
      expect((await view(later))?.bodiesPrunedAt).toBeNull()
      await engine.housekeep(firstPassBy + RETENTION_EVERY_MS)
      expect((await view(later))?.bodiesPrunedAt).not.toBeNull()
    } finally {
      await engine.stop()
      await stop()
    }
  })
})
