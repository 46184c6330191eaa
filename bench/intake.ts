/**
 * Part `intake`: POST /api/patients from BENCH_CONCURRENCY callers (default 10) for
 * BENCH_INTAKE_SECONDS (default 15): creates accepted per second and the answer time. Once on a hub
 * with no connection (the API path alone: validation, the transaction, the audit), once with a Ritten
 * connection, where every create also enqueues its push and the workers run beside the API.
 * Besides the rate, the hub process's CPU time per create: on 2 shared cores the rate follows the
 * machine's load, the CPU a create costs much less so (embedded, it includes PGlite's work).
 */
import { readFileSync } from 'node:fs'
import pg from 'pg'
import { createRittenSimulator } from '../simulators/ritten/server.js'
import { connectRitten } from '../test/rittenHelpers.js'
import type { RunningHub } from '../test/harness.js'
import { databaseOf, line, load, percentile, statistics, withHub } from './kit.js'

const CALLERS = Number(process.env.BENCH_CONCURRENCY ?? 10)
const SECONDS = Number(process.env.BENCH_INTAKE_SECONDS ?? 15)

export async function intakeBench(): Promise<void> {
  console.log(`intake — POST /api/patients, ${CALLERS} callers, ${SECONDS} s each (load average ${load()})`)
  await withHub(async (hub) => {
    const database = databaseOf(hub)
    const before = await statistics(database)
    const accepted = await measure(hub, 'no connection')
    const after = await statistics(database)
    // Where the time goes: what each create costs the database, and what a bare statement costs.
    line('intake: per create — transactions / rows written', `${((after.commits - before.commits) / accepted).toFixed(1)} / ${((after.rows - before.rows) / accepted).toFixed(1)}`)
    for (const clients of [1, 10]) {
      const perSecond = await bareStatements(database, clients)
      line(`intake: the hub's database, \`select 1\` from ${clients} client${clients > 1 ? 's' : ''} (hub idle)`, `${perSecond.toFixed(0)} /s (${(1000 / perSecond).toFixed(2)} ms each)`)
    }
  })
  const sim = createRittenSimulator()
  const simUrl = await sim.listen(0)
  try {
    await withHub(async (hub) => {
      await connectRitten(hub, simUrl, 'Ritten intake bench')
      await measure(hub, 'with a Ritten connection (pushes enqueued)')
    })
  } finally {
    await sim.close()
  }
}

async function measure(hub: RunningHub, label: string): Promise<number> {
  const cpuBefore = cpuMs(hub.pid)
  const answers: number[] = []
  let refused = 0
  let n = 0
  const t0 = performance.now()
  const end = t0 + SECONDS * 1000
  await Promise.all(
    Array.from({ length: CALLERS }, async () => {
      while (performance.now() < end) {
        const i = n++
        const at = performance.now()
        const { status } = await hub.api('POST', '/api/patients', { firstName: 'Intake', lastName: `Patient${i}`, dob: '1990-01-01', gender: 'male', phone: '913-555-0100', email: `i${i}@example.com` })
        if (status === 201) answers.push(performance.now() - at)
        else refused++
      }
    }),
  )
  const seconds = (performance.now() - t0) / 1000
  line(`intake: creates accepted, ${label}`, `${(answers.length / seconds).toFixed(0)} /s (${answers.length} in ${seconds.toFixed(1)} s${refused ? `, ${refused} refused` : ''})`)
  line('intake: answer time p50 / p95 / p99 (ms)', [50, 95, 99].map((p) => percentile(answers, p).toFixed(1)).join(' / '))
  line('intake: hub process CPU per create (ms)', `${((cpuMs(hub.pid) - cpuBefore) / Math.max(1, answers.length)).toFixed(2)} (load average ${load()})`)
  return answers.length
}

/** `select 1` round trips per second for 3 s from `clients` connections at once. */
async function bareStatements(url: string, clients: number): Promise<number> {
  const pool = Array.from({ length: clients }, () => new pg.Client({ connectionString: url }))
  await Promise.all(pool.map((c) => c.connect()))
  try {
    let count = 0
    const t0 = performance.now()
    const end = t0 + 3000
    await Promise.all(pool.map(async (c) => { while (performance.now() < end) { await c.query('select 1'); count++ } }))
    return count / ((performance.now() - t0) / 1000)
  } finally {
    await Promise.all(pool.map((c) => c.end()))
  }
}

/** User + system CPU time a process has used so far, in ms (Linux: /proc/<pid>/stat, in clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  // The command name (field 2) may hold spaces: count fields from after its closing parenthesis.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}
