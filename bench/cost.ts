/**
 * Part `cost`: the hub's own cost over Ritten's round trips. Ritten's limit is lifted on both sides
 * (the simulator's `apiRateLimit: null`, the hub's CAREBRIDGE_UNPACED_CONNECTORS=ritten; both
 * bench-only, never the default), so that what is left is the hub's work and the two calls.
 * Then the same calls (token once, create, PATCH, with the very bodies the hub sent) go straight
 * at a fresh simulator with as many at once as the hub has workers.
 */
import type { FastifyInstance } from 'fastify'
import { createRittenSimulator, DEMO_RITTEN } from '../simulators/ritten/server.js'
import { connectRitten } from '../test/rittenHelpers.js'
import { sleep, startHub, type RunningHub } from '../test/harness.js'
import pg from 'pg'
import { cpuSeconds, databaseOf, line, load, percentile, statistics, withHub } from './kit.js'

const PATIENTS = Number(process.env.BENCH_COST_PATIENTS ?? 1000)
const CALLERS = Number(process.env.BENCH_CONCURRENCY ?? 10)
/** The hub's jobs at once (CAREBRIDGE_WORKER_CONCURRENCY's default): the raw calls go as many at once. */
const WORKERS = 4
/** Worker processes beside the hub (PostgreSQL only; the embedded database serves one process): BENCH_COST_WORKER_PROCESSES. */
/** How long the idle hub's own transactions are counted before the patients are created. */
const IDLE_SAMPLE_MS = 3000
const EXTRA_WORKERS = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL ? Number(process.env.BENCH_COST_WORKER_PROCESSES ?? 0) : 0

interface SentCall {
  headers: Record<string, string>
  body: Record<string, unknown>
}

/** Notes when each PATCH was answered (by Ritten patient id), and the first create and PATCH the hub sent. */
function watchCalls(app: FastifyInstance) {
  const patched = new Map<string, number>()
  const sent: { create?: SentCall; patch?: SentCall } = {}
  const copy = (headers: Record<string, unknown>): Record<string, string> =>
    Object.fromEntries(Object.entries(headers).filter(([k, v]) => typeof v === 'string' && !['host', 'content-length', 'authorization', 'connection'].includes(k))) as Record<string, string>
  app.addHook('preHandler', async (request) => {
    if (request.method === 'POST' && request.url === '/v1/patients' && !sent.create) sent.create = { headers: copy(request.headers), body: request.body as Record<string, unknown> }
    if (request.method === 'PATCH' && !sent.patch) sent.patch = { headers: copy(request.headers), body: request.body as Record<string, unknown> }
  })
  app.addHook('onResponse', async (request, reply) => {
    const id = /^\/v1\/patients\/([^/?]+)$/.exec(request.url)?.[1]
    if (request.method === 'PATCH' && id && reply.statusCode < 300) patched.set(decodeURIComponent(id), Date.now())
  })
  return { patched, sent }
}

export async function costBench(): Promise<void> {
  console.log(`cost — the hub's own cost over Ritten's round trips (${PATIENTS} patients, limits lifted; load average ${load()})`)
  const sim = createRittenSimulator({ apiRateLimit: null })
  const watched = watchCalls(sim.app)
  const simUrl = await sim.listen(0)
  const started = new Map<string, number>()
  let hubSeconds = 0
  let phases: Record<string, number> = {}
  let idlePerSecond = 0
  /** CPU seconds the hub's processes (the hub and its worker processes) spent from the first create to the last PATCH answered. */
  let hubCpu = 0
  /** The same processes' CPU per second while idle (polling, lease renewals): a run stretched by a loaded machine pays more of it. */
  let idleCpuPerSecond = 0
  let loadDuring = ''
  try {
    await withHub(
      async (hub) => {
        await connectRitten(hub, simUrl, 'Ritten cost bench')
        const workers: RunningHub[] = []
        for (let w = 0; w < EXTRA_WORKERS; w++) workers.push(await startHub({ databaseUrl: hub.databaseUrl, role: 'worker', env: { LOG_LEVEL: 'error', CAREBRIDGE_UNPACED_CONNECTORS: 'ritten', ...(process.env.BENCH_HUB_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_HUB_NODE_OPTIONS } : {}) } }))
        try {
          // The hub's transactions while idle (queue polling, lease renewals, housekeeping) over a few
          // seconds: under a loaded machine a run stretches, and its idle share per patient with it.
          const processes = [hub, ...workers]
          const processCpu = () => processes.reduce((sum, p) => sum + cpuSeconds(p.pid), 0)
          const idleFrom = await statistics(databaseOf(hub))
          const idleCpuFrom = processCpu()
          const idleAt = Date.now()
          await sleep(IDLE_SAMPLE_MS)
          const before = await statistics(databaseOf(hub))
          idlePerSecond = (before.commits - idleFrom.commits) / ((Date.now() - idleAt) / 1000)
          idleCpuPerSecond = (processCpu() - idleCpuFrom) / ((Date.now() - idleAt) / 1000)
          const measuredFrom = Date.now()
          const patient = (i: number) => ({ firstName: 'Cost', lastName: `Patient${i}`, dob: '1990-01-01', gender: 'female', phone: '913-555-0000', email: `c${i}@example.com` })
          const cpuFrom = processCpu()
          const t0 = Date.now()
          let next = 0
          await Promise.all(
            Array.from({ length: CALLERS }, async () => {
              while (next < PATIENTS) {
                const i = next++
                const at = Date.now()
                const { status, body } = await hub.api('POST', '/api/patients', patient(i))
                if (status !== 201) throw new Error(`create ${i}: ${status} ${JSON.stringify(body)}`)
                started.set(body.id as string, at)
              }
            }),
          )
          const deadline = Date.now() + 600_000
          while (watched.patched.size < PATIENTS) {
            if (Date.now() > deadline) throw new Error(`only ${watched.patched.size} of ${PATIENTS} patients reached Ritten in 10 minutes`)
            await sleep(20)
          }
          hubSeconds = (Math.max(...watched.patched.values()) - t0) / 1000
          hubCpu = processCpu() - cpuFrom
          loadDuring = load()
          await sleep(1000) // the last jobs settle after their PATCH is answered
          phases = await jobPhases(databaseOf(hub))
          const after = await statistics(databaseOf(hub))
          phases.commits = (after.commits - before.commits) / PATIENTS
          phases.netCommits = (after.commits - before.commits - idlePerSecond * ((Date.now() - measuredFrom) / 1000)) / PATIENTS
          phases.rows = (after.rows - before.rows) / PATIENTS
        } finally {
          for (const w of workers) await w.stop()
        }
      },
      { env: { CAREBRIDGE_UNPACED_CONNECTORS: 'ritten' } },
    )
    const records = (await (await fetch(`${new URL(simUrl).origin}/_sim/records`)).json()) as { patients: { id: string; externalId?: string }[] }
    const latencies = records.patients.flatMap((p) => {
      const at = p.externalId ? started.get(p.externalId) : undefined
      const done = watched.patched.get(p.id)
      return at !== undefined && done !== undefined ? [done - at] : []
    })
    const raw = await rawCalls(watched.sent)
    const hubRate = PATIENTS / hubSeconds
    const hubMs = (hubSeconds * 1000) / PATIENTS
    const rawMs = (raw.seconds * 1000) / PATIENTS
    line(`cost: through the hub (${CALLERS} API callers, ${WORKERS} workers${EXTRA_WORKERS ? ` + ${EXTRA_WORKERS} worker process(es) of ${WORKERS}` : ''})`, `${hubRate.toFixed(0)} patients/s (${hubSeconds.toFixed(1)} s)`)
    line(`cost: the same calls straight at Ritten (${WORKERS} at once)`, `${(PATIENTS / raw.seconds).toFixed(0)} patients/s (${raw.seconds.toFixed(1)} s)`)
    line('cost: hub CPU per patient (create + push; all hub processes, embedded database included)', `${((hubCpu * 1000) / PATIENTS).toFixed(2)} ms (load average ${loadDuring} at the end)`)
    line("cost: the same net of the idle hub's own CPU over the run", `${(((hubCpu - idleCpuPerSecond * hubSeconds) * 1000) / PATIENTS).toFixed(2)} ms (idle: ${(idleCpuPerSecond * 1000).toFixed(0)} ms of CPU a second)`)
    line('cost: hub rate ÷ raw rate', (hubRate / (PATIENTS / raw.seconds)).toFixed(3))
    line("cost: hub's wall time per patient beyond the raw (× raw)", `${(hubMs - rawMs).toFixed(2)} ms (${((hubMs - rawMs) / rawMs).toFixed(1)}×; raw ${rawMs.toFixed(2)} ms)`)
    line('cost: create → linked (PATCH answered) p50 / p95 / p99 (ms)', `${[50, 95, 99].map((p) => percentile(latencies, p).toFixed(0)).join(' / ')} (${latencies.length} patients)`)
    line('cost: raw create + PATCH round trip p50 / p95 / p99 (ms)', [50, 95, 99].map((p) => percentile(raw.roundTrips, p).toFixed(1)).join(' / '))
    line('cost: a push job, median ms — queued (created → first call)', phases.queued!.toFixed(0))
    line('cost: a push job, median ms — its 2 calls as the hub timed them', phases.calls!.toFixed(1))
    line('cost: a push job, median ms — between the calls / after the last', `${phases.between!.toFixed(1)} / ${phases.after!.toFixed(1)}`)
    line('cost: per patient (create + push) — transactions / rows written', `${phases.commits!.toFixed(1)} / ${phases.rows!.toFixed(1)}`)
    line('cost: per patient — transactions net of the idle hub\'s own rate', `${phases.netCommits!.toFixed(1)} (idle: ${idlePerSecond.toFixed(1)} transactions/s)`)
  } finally {
    await sim.close()
  }
}

/** Token once, then create + PATCH per patient, WORKERS at once, at a fresh unlimited simulator. */
async function rawCalls(sent: { create?: SentCall; patch?: SentCall }): Promise<{ seconds: number; roundTrips: number[] }> {
  if (!sent.create || !sent.patch) throw new Error('the hub sent no create or PATCH to copy')
  const { create, patch } = sent
  const sim = createRittenSimulator({ apiRateLimit: null })
  const base = await sim.listen(0)
  try {
    const t0 = performance.now()
    const token = await fetch(`${base}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials', client_id: DEMO_RITTEN.clientId, client_secret: DEMO_RITTEN.clientSecret, audience: DEMO_RITTEN.audience }),
    })
    const { access_token } = (await token.json()) as { access_token: string }
    const roundTrips: number[] = []
    let next = 0
    await Promise.all(
      Array.from({ length: WORKERS }, async () => {
        while (next < PATIENTS) {
          const i = next++
          const at = performance.now()
          const created = await fetch(`${base}/patients`, {
            method: 'POST',
            headers: { ...create.headers, authorization: `Bearer ${access_token}` },
            body: JSON.stringify({ ...create.body, externalId: `raw-${i}` }),
          })
          if (created.status !== 201 && created.status !== 200) throw new Error(`raw create ${i}: ${created.status} ${await created.text()}`)
          const { id } = (await created.json()) as { id: string }
          const patched = await fetch(`${base}/patients/${id}`, { method: 'PATCH', headers: { ...patch.headers, authorization: `Bearer ${access_token}` }, body: JSON.stringify(patch.body) })
          if (!patched.ok) throw new Error(`raw PATCH ${i}: ${patched.status} ${await patched.text()}`)
          await patched.arrayBuffer()
          roundTrips.push(performance.now() - at)
        }
      }),
    )
    return { seconds: (performance.now() - t0) / 1000, roundTrips }
  } finally {
    await sim.close()
  }
}

/**
 * Where a push job's time goes, from the hub's own records (sync_jobs and their exchanges): waiting
 * in the queue, the calls as the hub timed them, the hub's work between them and after the last.
 */
async function jobPhases(url: string): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const { rows } = await client.query<Record<string, string>>(`
      with x as (
        select j.id, j.created_at, j.finished_at,
               min(e.started_at) as first_call,
               max(e.started_at + e.duration_ms * interval '1 millisecond') as last_end,
               sum(e.duration_ms) as in_calls,
               extract(epoch from (max(e.started_at) - min(e.started_at + e.duration_ms * interval '1 millisecond'))) * 1000 as between_ms
        from sync_jobs j join exchanges e on e.sync_job_id = j.id
        where j.kind = 'push_patient' and j.state = 'succeeded' and e.operation in ('create', 'patch')
        group by j.id, j.created_at, j.finished_at
        having count(*) = 2)
      select percentile_cont(0.5) within group (order by extract(epoch from (first_call - created_at)) * 1000) as queued,
             percentile_cont(0.5) within group (order by in_calls) as calls,
             percentile_cont(0.5) within group (order by between_ms) as between,
             percentile_cont(0.5) within group (order by extract(epoch from (finished_at - last_end)) * 1000) as after
      from x`)
    return Object.fromEntries(Object.entries(rows[0] ?? {}).map(([k, v]) => [k, Number(v)]))
  } finally {
    await client.end()
  }
}
