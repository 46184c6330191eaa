import { sql } from 'kysely'
import type { DbOrTx } from './database.js'

/**
 * PostgreSQL's autovacuum reclaims a table's dead rows and keeps its planner statistics current.
 * PGlite runs none (one backend, no background workers), nor does a server with autovacuum off —
 * and a planner without statistics guesses: an ECW pull's look-up by EMR id read every link of the
 * connection for each page once the table had grown (docs/benchmarks.md, footnote ⁵), and the queue's rows,
 * rewritten at each step of every job, bloat their table and indexes with dead versions. So when
 * no autovacuum launcher serves the database, the hub does its work itself, by autovacuum's own
 * default thresholds, one table at a time (each VACUUM or ANALYZE holds the embedded database's one
 * backend only for its table). Where a launcher runs, this does nothing: the server owns it.
 */
export const THRESHOLDS = {
  /** autovacuum_vacuum_threshold / _scale_factor: dead rows before a VACUUM. */
  vacuum: { base: 50, scale: 0.2 },
  /** autovacuum_vacuum_insert_threshold / _scale_factor: rows inserted before a VACUUM (visibility map, freezing). */
  insertVacuum: { base: 1000, scale: 0.2 },
  /** autovacuum_analyze_threshold / _scale_factor: rows changed before an ANALYZE. */
  analyze: { base: 50, scale: 0.1 },
} as const

export interface MaintenanceDone {
  /** True when an autovacuum launcher serves the database, so the hub did nothing. */
  serverVacuums: boolean
  vacuumed: string[]
  analyzed: string[]
}

interface TableActivity {
  schema: string
  table: string
  dead: number
  insertedSinceVacuum: number
  changedSinceAnalyze: number
  /** The planner's row count (-1: never vacuumed nor analyzed). */
  rows: number
}

/** What autovacuum would do to a table now: vacuum (with analyze), analyze alone, or nothing. */
export function dueWork(t: Omit<TableActivity, 'schema' | 'table'>): 'vacuum' | 'analyze' | null {
  const rows = Math.max(t.rows, 0)
  const over = (n: number, th: { base: number; scale: number }) => n > th.base + th.scale * rows
  if (over(t.dead, THRESHOLDS.vacuum) || over(t.insertedSinceVacuum, THRESHOLDS.insertVacuum)) return 'vacuum'
  if (over(t.changedSinceAnalyze, THRESHOLDS.analyze)) return 'analyze'
  return null
}

/** Vacuums and analyzes the tables that are due, unless the server's autovacuum does. */
export async function vacuumWhereDue(db: DbOrTx): Promise<MaintenanceDone> {
  const launcher = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where backend_type = 'autovacuum launcher'`.execute(db)
  if ((launcher.rows[0]?.n ?? 0) > 0) return { serverVacuums: true, vacuumed: [], analyzed: [] }
  const { rows } = await sql<TableActivity>`
    select s.schemaname as schema, s.relname as table, s.n_dead_tup::float8 as dead, s.n_ins_since_vacuum::float8 as "insertedSinceVacuum",
           s.n_mod_since_analyze::float8 as "changedSinceAnalyze", c.reltuples::float8 as rows
    from pg_stat_user_tables s join pg_class c on c.oid = s.relid
    order by s.schemaname, s.relname`.execute(db)
  const done: MaintenanceDone = { serverVacuums: false, vacuumed: [], analyzed: [] }
  for (const t of rows) {
    const work = dueWork(t)
    if (!work) continue
    const table = sql.table(`${t.schema}.${t.table}`)
    // Each its own statement outside any transaction: VACUUM refuses to run inside one.
    if (work === 'vacuum') await sql`vacuum (analyze) ${table}`.execute(db)
    else await sql`analyze ${table}`.execute(db)
    ;(work === 'vacuum' ? done.vacuumed : done.analyzed).push(`${t.schema}.${t.table}`)
  }
  return done
}
