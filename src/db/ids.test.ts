import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { openTestDatabase, type TestDatabase } from '../../test/database.js'
import { newId } from './ids.js'

/** RFC 9562 §5.7: 48 bits of Unix milliseconds, version 7, 12 bits, variant 0b10, 62 bits. */
const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const millisecond = (id: string) => parseInt(id.slice(0, 8) + id.slice(9, 13), 16)

describe('newId', () => {
  it('is a version 7 UUID of the current millisecond', () => {
    const before = Date.now()
    const id = newId()
    const after = Date.now()
    expect(id).toMatch(V7)
    expect(millisecond(id)).toBeGreaterThanOrEqual(before)
    expect(millisecond(id)).toBeLessThanOrEqual(after)
  })

  it('makes ids that sort in the order they were made, within a millisecond too, and never repeat', () => {
    // 20,000 ids take a few milliseconds: many share one, and some millisecond's 12-bit count may run out.
    const ids = Array.from({ length: 20_000 }, () => newId())
    for (const id of ids) expect(id).toMatch(V7)
    expect([...ids].sort()).toEqual(ids)
    expect(new Set(ids).size).toBe(ids.length)
    expect(new Set(ids.map(millisecond)).size).toBeLessThan(ids.length)
  })

  it('keeps its random bits random: the last 62 bits differ between ids of one millisecond', () => {
    const ids = Array.from({ length: 1_000 }, () => newId())
    const tails = new Set(ids.map((id) => id.slice(19)))
    expect(tails.size).toBe(ids.length)
  })
})

describe('carebridge_uuidv7() in SQL', () => {
  let database: TestDatabase

  beforeAll(async () => {
    database = await openTestDatabase()
  }, 240_000)

  afterAll(async () => {
    await database?.close()
  })

  it('is a version 7 UUID of the database clock, later ones sorting later', async () => {
    const { rows } = await sql<{ id: string; at: string }>`
      select carebridge_uuidv7()::text as id, floor(extract(epoch from clock_timestamp()) * 1000)::bigint::text as at
      from generate_series(1, 3) g, pg_sleep(0.002)`.execute(database.db)
    for (const row of rows) {
      expect(row.id).toMatch(V7)
      expect(Math.abs(millisecond(row.id) - Number(row.at))).toBeLessThanOrEqual(5)
    }
    const first = (await sql<{ id: string }>`select carebridge_uuidv7()::text as id`.execute(database.db)).rows[0]!.id
    await sql`select pg_sleep(0.005)`.execute(database.db)
    const second = (await sql<{ id: string }>`select carebridge_uuidv7()::text as id`.execute(database.db)).rows[0]!.id
    expect(first < second).toBe(true)
  })
})
