import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { openTestDatabase, type TestDatabase } from '../../test/database.js'
import { newId } from '../db/ids.js'
import { LeaseLostError, isLeaseLost } from '../engine/jobs.js'
import { HeldExchanges, type ExchangeRow } from './held.js'

/** A push job's exchanges wait for its next write, one at most, and none is dropped when a write fails. */
let database: TestDatabase
let organizationId: string

beforeAll(async () => {
  database = await openTestDatabase()
  organizationId = randomUUID()
  await database.db.insertInto('organizations').values({ id: organizationId, name: 'Held exchanges' }).execute()
}, 120_000)

afterAll(async () => {
  await database?.close()
})

function row(operation: string): ExchangeRow {
  return {
    id: newId(),
    organization_id: organizationId,
    connection_id: null,
    connector: 'ritten',
    sync_job_id: null,
    record_type: 'patient',
    record_id: randomUUID(),
    direction: 'outbound',
    operation,
    status: 'error',
    http_status: null,
    message: 'network error: ECONNRESET',
    method: 'POST',
    url: 'http://127.0.0.1:9/patients',
    request_body: 'a NUL \\u0000 escaped and "quotes"',
    response_body: null,
    details: null,
    request_headers: null,
    attempt: 2,
    started_at: new Date(),
    duration_ms: 12,
  }
}

const stored = (ids: string[]) => database.db.selectFrom('exchanges').select(['id', 'request_body']).where('id', 'in', ids).orderBy('id').execute()

describe('held exchanges', () => {
  it('writes the one held before the next call is sent, so that only the last call waits', async () => {
    const held = new HeldExchanges(database.db)
    const first = row('token')
    held.hold(first)
    expect(await stored([first.id])).toEqual([])
    await held.beforeCall()
    expect(held.size).toBe(0)
    expect(await stored([first.id])).toEqual([{ id: first.id, request_body: first.request_body }])
    await held.beforeCall() // nothing held: no statement, no error
  })

  it('holds them again when the write that carried them failed, and not when it ran but the fence found nothing', async () => {
    const held = new HeldExchanges(database.db)
    const call = row('create')
    held.hold(call)
    await expect(held.carry(() => Promise.reject(new Error('connection terminated')), isLeaseLost)).rejects.toThrow('connection terminated')
    expect(held.size).toBe(1)
    await expect(held.carry(() => Promise.reject(new LeaseLostError('job')), isLeaseLost)).rejects.toSatisfy(isLeaseLost)
    expect(held.size).toBe(0)
    // What a failed flush took is held again too: the database refuses one statement, as one that went away does.
    const next = row('patch')
    held.hold(next)
    vi.spyOn(database.db.getExecutor(), 'executeQuery').mockRejectedValueOnce(new Error('database away'))
    await expect(held.flush()).rejects.toThrow('database away')
    expect(held.size).toBe(1)
    await held.flush()
    expect(await stored([next.id])).toHaveLength(1)
  })
})
