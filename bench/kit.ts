/** What every bench part shares: the printed line, percentiles, a process's memory, a hub of its own. */
import { readFileSync } from 'node:fs'
import pg from 'pg'
import { loadavg } from 'node:os'
import { createTestDatabase, startHub, type HubOptions, type RunningHub } from '../test/harness.js'

export const line = (k: string, v: string): void => console.log(`  ${k.padEnd(60)} ${v}`)

/** The p-th percentile of `values` (nearest rank), in the values' unit. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN
}

/** Resident memory of a process in MB (Linux). */
export function rss(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return match ? Math.round(Number(match[1]) / 1024) : 0
}

/**
 * CPU time a process has used so far, in seconds (user + system, Linux). On a shared machine a
 * process's CPU time per unit of work moves far less with the load than its wall-clock time does.
 */
export function cpuSeconds(pid: number): number {
  // Fields after the command name (which may hold spaces, hence after the last ')'): utime is the 12th, stime the 13th.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(')').at(-1)!.trim().split(/\s+/)
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND
}
const CLOCK_TICKS_PER_SECOND = 100

/** The machine's 1-minute load average: the machine is shared, figures are read beside it. */
export const load = (): string => loadavg()[0]!.toFixed(1)

/** A hub on a database of its own (PGlite copy, or a PostgreSQL database made for it), stopped and dropped after `run`. */
export async function withHub(run: (hub: RunningHub) => Promise<void>, options: { env?: Record<string, string> } & Pick<HubOptions, 'role'> = {}): Promise<void> {
  const database = await createTestDatabase()
  const hub = await startHub({
    databaseUrl: database?.url,
    env: { LOG_LEVEL: 'error', ...(process.env.BENCH_HUB_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_HUB_NODE_OPTIONS } : {}), ...options.env },
  })
  try {
    await run(hub)
  } finally {
    await hub.stop()
    await database?.drop()
  }
}

/** The hub's database: the one it was given, or the embedded one it prints in its banner. */
export function databaseOf(hub: RunningHub): string {
  const url = hub.databaseUrl ?? /^\s*Database:\s+(postgres\S+)/m.exec(hub.output())?.[1]
  if (!url) throw new Error(`no database address in the hub's banner:\n${hub.output()}`)
  return url
}

/** Committed transactions and rows written in the hub's database so far (pg_stat_database). */
export async function statistics(url: string): Promise<{ commits: number; rows: number }> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    // The statistics are a snapshot per transaction; a fresh one sees the others' counts.
    const { rows } = await client.query<{ commits: string; rows: string }>(
      'select xact_commit as commits, tup_inserted + tup_updated + tup_deleted as rows from pg_stat_database where datname = current_database()',
    )
    return { commits: Number(rows[0]!.commits), rows: Number(rows[0]!.rows) }
  } finally {
    await client.end()
  }
}
