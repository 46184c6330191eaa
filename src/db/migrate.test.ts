import { afterAll, beforeAll, expect, it } from 'vitest'
import { sql } from 'kysely'
import { openTestDatabase, type TestDatabase } from '../../test/database.js'
import { migrate } from './database.js'

/**
 * A start reads the migration table and, when every migration is there, goes no further; a
 * missing one is applied, and one this code does not know (a newer build's) refuses the start.
 */
let database: TestDatabase

beforeAll(async () => {
  database = await openTestDatabase()
}, 240_000)

afterAll(async () => {
  await database?.close()
})

const applied = async () => (await sql<{ name: string }>`select name from kysely_migration order by name`.execute(database.db)).rows.map((r) => r.name)
const dobIndex = async () => (await sql<{ n: number }>`select count(*)::int as n from pg_indexes where indexname = 'patients_dob'`.execute(database.db)).rows[0]!.n

it('applies nothing when every migration is applied', async () => {
  const before = await applied()
  await migrate(database.db)
  expect(await applied()).toEqual(before)
})

it('applies a migration that is missing', async () => {
  await sql`drop index patients_dob`.execute(database.db)
  await sql`delete from kysely_migration where name = '20261130_1511_patients_dob_index'`.execute(database.db)
  await migrate(database.db)
  expect(await dobIndex()).toBe(1)
  expect(await applied()).toContain('20261130_1511_patients_dob_index')
})

it('refuses a database that holds a migration this code does not know', async () => {
  await sql`insert into kysely_migration (name, timestamp) values ('29991231_2359_from_a_newer_build', now()::text)`.execute(database.db)
  try {
    await expect(migrate(database.db)).rejects.toMatchObject({ cause: { message: expect.stringContaining('29991231_2359_from_a_newer_build') } })
  } finally {
    await sql`delete from kysely_migration where name = '29991231_2359_from_a_newer_build'`.execute(database.db)
  }
})
