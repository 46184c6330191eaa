import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Db } from '../db/database.js'
import { openTestDatabase, type TestDatabase } from '../../test/database.js'
import { createPacer } from './rateLimiter.js'

let database: TestDatabase
let db: Db

beforeAll(async () => {
  // A fresh migrated database (PGlite, or PostgreSQL with TEST_DATABASE_URL), removed afterwards.
  database = await openTestDatabase()
  db = database.db
}, 120_000)

afterAll(async () => {
  await database?.close()
})

describe('the rolling pacer', () => {
  it('lets `limit` requests through at once, then makes each wait for a window after the one it follows', async () => {
    const waits: number[] = []
    // The sleep is recorded, not slept: the reservations alone show the pacing.
    const pacer = createPacer(db, 'conn-a', { kind: 'rolling', limit: 3, windowSeconds: 60 }, async (ms) => void waits.push(ms))
    for (let i = 0; i < 7; i++) await pacer.take()
    expect(waits).toHaveLength(4)
    // Requests 4–6 wait about a window (the first three went just now); request 7 waits two.
    for (const ms of waits.slice(0, 3)) expect(ms).toBeGreaterThan(55_000)
    for (const ms of waits.slice(0, 3)) expect(ms).toBeLessThanOrEqual(60_000)
    expect(waits[3]).toBeGreaterThan(115_000)
  })

  it('never puts more than `limit` requests in any span of the window, also with concurrent callers', async () => {
    // 23 callers, each with its own pacer on the same key (as workers have): when each request would go out.
    const sent = await Promise.all(
      Array.from({ length: 23 }, async () => {
        let at: number | null = null
        await createPacer(db, 'conn-b', { kind: 'rolling', limit: 5, windowSeconds: 60 }, async (ms) => void (at = Date.now() + ms)).take()
        return at ?? Date.now()
      }),
    )
    sent.sort((a, b) => a - b)
    // The 6th request after any request is a window later (within the test's own run time).
    for (let i = 0; i + 5 < sent.length; i++) expect(sent[i + 5]! - sent[i]!).toBeGreaterThan(59_000)
    expect(sent.at(-1)! - sent[0]!).toBeGreaterThan(4 * 59_000)
  })

  it('keeps connections apart, and comes back after its slots were swept', async () => {
    const waits: number[] = []
    const sleep = async (ms: number) => void waits.push(ms)
    await createPacer(db, 'conn-c', { kind: 'rolling', limit: 1, windowSeconds: 60 }, sleep).take()
    await createPacer(db, 'conn-d', { kind: 'rolling', limit: 1, windowSeconds: 60 }, sleep).take()
    expect(waits).toEqual([])
    await sql`delete from rate_limits where key like 'rolling:conn-c:%'`.execute(db)
    const pacer = createPacer(db, 'conn-c', { kind: 'rolling', limit: 1, windowSeconds: 60 }, sleep)
    await pacer.take()
    expect(waits).toEqual([])
  })
})
