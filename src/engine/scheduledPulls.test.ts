import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertConnection, openTestDatabase, startTestEngine, type TestDatabase } from '../../test/database.js'
import { getConnector } from '../connectors/registry.js'
import type { Engine } from './engine.js'

/**
 * F14: pulls start when their cron schedule comes due, driven by the clock the engine is handed:
 * hours of schedule in no time, and no test that depends on the hour it happens to run at.
 */
let database: TestDatabase
let engine: Engine
let stop: () => Promise<void>

beforeAll(async () => {
  database = await openTestDatabase()
  ;({ engine, stop } = await startTestEngine(database))
})

afterAll(async () => {
  await stop?.()
  await database?.close()
})

/** An ECW connection (it can pull) made at `createdAt`, with these settings. */
async function ecwConnection(createdAt: string, settings: Record<string, unknown> = {}, enabled = true): Promise<string> {
  const { connectionId } = await insertConnection(database.db, { connector: 'ecw', settings })
  await database.db.updateTable('connections').set({ created_at: new Date(createdAt), enabled }).where('id', '=', connectionId).execute()
  return connectionId
}

async function pullsOf(connectionId: string) {
  return database.db.selectFrom('sync_jobs').select(['id', 'state']).where('connection_id', '=', connectionId).where('kind', '=', 'pull').execute()
}

describe('scheduled pulls', () => {
  it('starts one pull when "every 2 hours" comes due — none before the even hour, none again within it', async () => {
    expect(getConnector('ecw')?.defaultPullSchedule).toBe('0 */2 * * *')
    const id = await ecwConnection('2026-12-01T08:10:00Z')

    await engine.startDuePulls(new Date('2026-12-01T09:59:59Z'))
    expect(await pullsOf(id)).toEqual([])
    await engine.startDuePulls(new Date('2026-12-01T10:00:01Z'))
    expect(await pullsOf(id)).toHaveLength(1)
    await engine.startDuePulls(new Date('2026-12-01T11:59:00Z'))
    expect(await pullsOf(id)).toHaveLength(1)
    // Due again while the first one still waits: that one is the pull, not a second beside it.
    await engine.startDuePulls(new Date('2026-12-01T12:00:01Z'))
    expect(await pullsOf(id)).toHaveLength(1)
  })

  it('follows the schedule a connection sets, and leaves a disabled connection alone', async () => {
    const everyMinute = await ecwConnection('2026-12-02T08:00:30Z', { pullSchedule: '* * * * *' })
    const disabled = await ecwConnection('2026-12-02T08:00:30Z', { pullSchedule: '* * * * *' }, false)
    await engine.startDuePulls(new Date('2026-12-02T08:00:59Z'))
    expect(await pullsOf(everyMinute)).toEqual([])
    await engine.startDuePulls(new Date('2026-12-02T08:01:00Z'))
    expect(await pullsOf(everyMinute)).toHaveLength(1)
    expect(await pullsOf(disabled)).toEqual([])
  })

  it('starts one pull when several workers find it due at the same moment', async () => {
    const id = await ecwConnection('2026-12-03T08:10:00Z')
    const { engine: other, stop: stopOther } = await startTestEngine(database)
    try {
      const at = new Date('2026-12-03T10:00:00Z')
      await Promise.all([engine.startDuePulls(at), other.startDuePulls(at), engine.startDuePulls(at)])
      expect(await pullsOf(id)).toHaveLength(1)
    } finally {
      await stopOther()
    }
  })

  it('never pulls for a connector that cannot', async () => {
    const ritten = (await insertConnection(database.db, { connector: 'ritten', settings: { pullSchedule: '* * * * *' } })).connectionId
    await engine.startDuePulls(new Date(Date.now() + 3 * 3600_000))
    expect(await pullsOf(ritten)).toEqual([])
  })
})
