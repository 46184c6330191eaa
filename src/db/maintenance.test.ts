import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { openTestDatabase, type TestDatabase } from '../../test/database.js'
import { dueWork, vacuumWhereDue } from './maintenance.js'

describe('dueWork', () => {
  it('follows autovacuum’s default thresholds', () => {
    const quiet = { dead: 0, insertedSinceVacuum: 0, changedSinceAnalyze: 0, rows: 10_000 }
    expect(dueWork(quiet)).toBeNull()
    expect(dueWork({ ...quiet, dead: 2_050 })).toBeNull()
    expect(dueWork({ ...quiet, dead: 2_051 })).toBe('vacuum')
    expect(dueWork({ ...quiet, insertedSinceVacuum: 3_001 })).toBe('vacuum')
    expect(dueWork({ ...quiet, changedSinceAnalyze: 1_050 })).toBeNull()
    expect(dueWork({ ...quiet, changedSinceAnalyze: 1_051 })).toBe('analyze')
    // Never analyzed (-1 rows): a table that a bulk load just filled is analyzed at once.
    expect(dueWork({ dead: 0, insertedSinceVacuum: 600, changedSinceAnalyze: 600, rows: -1 })).toBe('analyze')
  })
})

describe('vacuumWhereDue', () => {
  let database: TestDatabase
  beforeAll(async () => {
    database = await openTestDatabase()
  }, 240_000)
  afterAll(async () => {
    await database?.close()
  })

  const activity = async () =>
    (
      await sql<{ dead: number; changed: number; rows: number }>`
        select s.n_dead_tup::int as dead, s.n_mod_since_analyze::int as changed, c.reltuples::float8 as rows
        from pg_stat_user_tables s join pg_class c on c.oid = s.relid where s.relname = 'maintenance_probe'`.execute(database.db)
    ).rows[0]

  it('vacuums and analyzes a table past the thresholds when no autovacuum serves the database, and then leaves it be', async () => {
    await sql`create table maintenance_probe (id int primary key, v text)`.execute(database.db)
    await sql`insert into maintenance_probe select g, 'x' from generate_series(1, 5000) g`.execute(database.db)
    await sql`update maintenance_probe set v = 'y' where id <= 3000`.execute(database.db)
    // A backend reports its counters when it has been idle a moment: wait until they are in.
    for (let i = 0; i < 100 && ((await activity())?.dead ?? 0) < 3000; i++) await new Promise((r) => setTimeout(r, 200))
    expect((await activity())?.dead).toBe(3000)

    const done = await vacuumWhereDue(database.db)
    if (done.serverVacuums) {
      // A server whose autovacuum launcher runs owns this work: the hub touches nothing.
      expect([...done.vacuumed, ...done.analyzed]).toEqual([])
      return
    }
    expect(done.vacuumed).toContain('public.maintenance_probe')
    const after = await activity()
    expect(after?.dead).toBe(0)
    expect(after?.rows, 'the planner knows the table now').toBe(5000)
    const again = await vacuumWhereDue(database.db)
    expect([...again.vacuumed, ...again.analyzed]).not.toContain('public.maintenance_probe')
  }, 60_000)
})
