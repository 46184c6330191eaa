/**
 * Part `latency` (issue 15, benchmark 3): BENCH_LATENCY_RATE patients a second (default 20) created
 * through the API for BENCH_LATENCY_SECONDS (default 60), open loop (a create leaves on its
 * schedule whether the earlier ones were answered or not), with a Ritten connection on Ritten's
 * normal limits. Create → linked is from the moment the create leaves to the moment the hub marks
 * the link linked (both Ritten steps done; the link's own time, read from the hub's database).
 * Once with the hub as one process; on PostgreSQL also as one API and two worker processes, where
 * only the LISTEN wake-up tells the workers of a new job. Then where a push job's time goes.
 */
import pg from 'pg'
import { createRittenSimulator } from '../simulators/ritten/server.js'
import { connectRitten } from '../test/rittenHelpers.js'
import { createTestDatabase, sleep, startHub, type RunningHub } from '../test/harness.js'
import { cpuSeconds, databaseOf, line, load, percentile, withHub } from './kit.js'

const RATE = Number(process.env.BENCH_LATENCY_RATE ?? 20)
const SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 60)
const TOPOLOGY_ONE = 'one process (API + 4 workers)'
/** The percentiles every latency line prints. */
const PERCENTILES = [50, 95, 99]
const onPostgres = Boolean(process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL)

export async function latencyBench(): Promise<void> {
  console.log(`latency — ${RATE} patients/s created for ${SECONDS} s, Ritten on its normal limits (load average ${load()})`)
  await withHub((hub) => steadyRate(hub, TOPOLOGY_ONE))
  if (onPostgres) await split((api) => steadyRate(api, 'one API + 2 worker processes of 4'))
}

/** One API process and two worker processes on a PostgreSQL database of their own. */
async function split(run: (api: RunningHub) => Promise<void>): Promise<void> {
  const database = await createTestDatabase()
  const processes: RunningHub[] = []
  try {
    processes.push(await startHub({ databaseUrl: database!.url, role: 'api', env: { LOG_LEVEL: 'error' } }))
    for (let i = 0; i < 2; i++) processes.push(await startHub({ databaseUrl: database!.url, role: 'worker', env: { LOG_LEVEL: 'error' } }))
    await run(processes[0]!)
  } finally {
    for (const p of processes) await p.stop()
    await database?.drop()
  }
}

async function steadyRate(hub: RunningHub, topology: string): Promise<void> {
  const sim = createRittenSimulator()
  const simUrl = await sim.listen(0)
  try {
    const connection = await connectRitten(hub, simUrl, 'Ritten latency bench')
    const loadBefore = load()
    const cpuBefore = cpuSeconds(hub.pid)
    const leftAt = new Map<string, number>()
    const answers: number[] = []
    const refused: number[] = []
    const total = Math.round(RATE * SECONDS)
    const t0 = Date.now() + 200
    const creates: Promise<void>[] = []
    for (let i = 0; i < total; i++) {
      const due = t0 + (i * 1000) / RATE
      const wait = due - Date.now()
      if (wait > 0) await sleep(wait)
      creates.push(
        (async () => {
          const at = Date.now()
          const { status, body } = await hub.api('POST', '/api/patients', { firstName: 'Steady', lastName: `Patient${i}`, dob: '1990-01-01', gender: 'female', phone: '913-555-0100', email: `s${i}@example.com` })
          if (status !== 201) {
            refused.push(status)
            return
          }
          answers.push(Date.now() - at)
          leftAt.set(body.id as string, at)
        })(),
      )
    }
    const sentFor = (Date.now() - t0) / 1000
    await Promise.all(creates)
    // The hub's CPU for the creates and their pushes (read once all are linked): it moves far less with the machine's load than wall time.
    let cpuAfter = cpuBefore
    const client = new pg.Client({ connectionString: databaseOf(hub) })
    await client.connect()
    try {
      const deadline = Date.now() + 120_000
      for (;;) {
        const { rows } = await client.query<{ n: number }>("select count(*)::int as n from links where connection_id = $1 and state = 'linked'", [connection.id])
        if (rows[0]!.n >= leftAt.size) {
          cpuAfter = cpuSeconds(hub.pid)
          break
        }
        if (Date.now() > deadline) throw new Error(`only ${rows[0]!.n} of ${leftAt.size} patients linked 2 minutes after the last create`)
        await sleep(200)
      }
      const { rows: links } = await client.query<{ record_id: string; at: Date }>("select record_id, updated_at as at from links where connection_id = $1 and state = 'linked'", [connection.id])
      const latencies = links.flatMap((l) => {
        const at = leftAt.get(l.record_id)
        return at === undefined ? [] : [l.at.getTime() - at]
      })
      const phases = await pushPhases(client, connection.id)
      const requests = (await (await fetch(`${new URL(simUrl).origin}/_sim/requests`)).json()) as { items: { status: number | null }[] }
      line(`latency: ${topology} — creates sent`, `${total} in ${sentFor.toFixed(1)} s (${(total / sentFor).toFixed(1)} /s), ${leftAt.size} accepted${refused.length ? `, ${refused.length} refused (${[...new Set(refused)].join(', ')})` : ''}; load ${loadBefore} → ${load()}`)
      line('latency: create answered p50 / p95 / p99 (ms)', PERCENTILES.map((p) => percentile(answers, p).toFixed(0)).join(' / '))
      line('latency: create → linked p50 / p95 / p99 / max (ms)', `${PERCENTILES.map((p) => percentile(latencies, p).toFixed(0)).join(' / ')} / ${Math.max(...latencies).toFixed(0)} (${latencies.length} patients; target p50 < 30, p99 < 100)`)
      line(`latency: ${topology === TOPOLOGY_ONE ? 'hub process CPU per patient (create and push)' : 'API process CPU per patient (its creates only)'}`, `${(((cpuAfter - cpuBefore) * 1000) / leftAt.size).toFixed(1)} ms`)
      line('latency: push job p50 / p95 / p99 (ms) — committed → first call', phases('to_first_call'))
      line('latency: push job p50 / p95 / p99 (ms) — its 2 calls; between them; last answer → linked', `${phases('in_calls')}; ${phases('between_calls')}; ${phases('to_linked')}`)
      line('latency: Ritten answers 429', String(requests.items.filter((r) => r.status === 429).length))
    } finally {
      await client.end()
    }
    await hub.api('PATCH', `/api/connections/${connection.id}`, { enabled: false })
  } finally {
    await sim.close()
  }
}

/**
 * Where a push job's time goes, from the hub's own records: from its commit (the API's transaction
 * began a moment before) to its first call — the wake-up, the claim, loading the connection, the
 * pacer — the calls as the hub timed them, the work between them, and from the last answer to the
 * link marked linked (storing the exchange, the step, the link).
 */
async function pushPhases(client: pg.Client, connectionId: string): Promise<(name: string) => string> {
  const { rows } = await client.query<Record<string, number>>(
    `with x as (
       select j.id,
              extract(epoch from (min(e.started_at) - j.created_at)) * 1000 as to_first_call,
              sum(e.duration_ms) as in_calls,
              extract(epoch from (max(e.started_at) - min(e.started_at + e.duration_ms * interval '1 millisecond'))) * 1000 as between_calls,
              extract(epoch from (l.updated_at - max(e.started_at + e.duration_ms * interval '1 millisecond'))) * 1000 as to_linked
       from sync_jobs j
       join exchanges e on e.sync_job_id = j.id and e.operation in ('create', 'patch')
       join links l on l.record_id = j.record_id and l.connection_id = j.connection_id and l.state = 'linked'
       where j.connection_id = $1 and j.kind = 'push_patient' and j.state = 'succeeded'
       group by j.id, j.created_at, l.updated_at
       having count(*) = 2)
     select ${['to_first_call', 'in_calls', 'between_calls', 'to_linked']
       .map((c) => PERCENTILES.map((p) => `percentile_cont(${p / 100}) within group (order by ${c})::float8 as ${c}_${p}`).join(', '))
       .join(', ')}
     from x`,
    [connectionId],
  )
  const row = rows[0] ?? {}
  return (name) => PERCENTILES.map((p) => Number(row[`${name}_${p}`]).toFixed(1)).join(' / ')
}
