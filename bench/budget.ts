/**
 * Part `budget` (issue 15, benchmark 4; PostgreSQL only): how much of an EMR's request budget a
 * sustained push uses when two worker processes share the connection (one API and 2 workers of 4,
 * as test/workers.e2e.test.ts starts them). The API queues a backlog first; the workers start
 * after it, so the pacer alone sets the pace. Figures come from the simulators' side: the
 * requests they received per second ÷ what the system allows, and the 429s they answered.
 *   Ritten: 50 requests/s (bucket of 100): measured over BENCH_BUDGET_RITTEN_SECONDS (default 30)
 *   from 5 s after the first call (the first seconds spend the burst), and over the whole run.
 *   ECW: 250 requests per clock minute, token included, timed by the simulator's log: over
 *   BENCH_BUDGET_ECW_SECONDS (default 120) from the first call, over the whole spans of 62 s in
 *   it (the pacing's span), the span of 250 calls in a row, and the most calls in any 60 s.
 */
import type { FastifyInstance } from 'fastify'
import { createRittenSimulator } from '../simulators/ritten/server.js'
import { connectRitten } from '../test/rittenHelpers.js'
import { connectEcw, startEcw } from '../test/ecwHelpers.js'
import { createTestDatabase, sleep, startHub, type RunningHub } from '../test/harness.js'
import { line, load } from './kit.js'

const RITTEN_SECONDS = Number(process.env.BENCH_BUDGET_RITTEN_SECONDS ?? 30)
const ECW_SECONDS = Number(process.env.BENCH_BUDGET_ECW_SECONDS ?? 120)
const RITTEN_PER_SECOND = 50
const ECW_PER_MINUTE = 250

export async function budgetBench(): Promise<void> {
  if (!process.env.BENCH_DATABASE_URL && !process.env.TEST_DATABASE_URL) {
    console.log('budget — skipped: worker processes share a connection on PostgreSQL only (BENCH_DATABASE_URL)')
    return
  }
  console.log(`budget — one API + 2 worker processes of 4 share each connection (load average ${load()})`)
  await rittenBudget()
  await ecwBudget()
}

/** Arrival times (ms) of the simulator's requests and its answers' statuses, by its own hooks. */
function watch(app: FastifyInstance, counts: (url: string) => boolean) {
  const arrivals: number[] = []
  const statuses: number[] = []
  app.addHook('onRequest', async (request) => {
    if (counts(request.url)) arrivals.push(Date.now())
  })
  app.addHook('onResponse', async (request, reply) => {
    if (counts(request.url)) statuses.push(reply.statusCode)
  })
  return { arrivals, statuses }
}

/** An API process with its backlog queued, then two worker processes to drain it. */
async function withBacklog(
  connect: (api: RunningHub) => Promise<void>,
  patients: number,
  patient: (i: number) => Record<string, unknown>,
  run: () => Promise<void>,
  beforeWorkers: () => Promise<void> = async () => undefined,
): Promise<void> {
  const database = await createTestDatabase()
  const processes: RunningHub[] = []
  try {
    const api = await startHub({ databaseUrl: database!.url, role: 'api', env: { LOG_LEVEL: 'error' } })
    processes.push(api)
    await connect(api)
    let next = 0
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        while (next < patients) {
          const i = next++
          const { status, body } = await api.api('POST', '/api/patients', patient(i))
          if (status !== 201) throw new Error(`create ${i}: ${status} ${JSON.stringify(body)}`)
        }
      }),
    )
    await beforeWorkers()
    for (let i = 0; i < 2; i++) processes.push(await startHub({ databaseUrl: database!.url, role: 'worker', env: { LOG_LEVEL: 'error' } }))
    await run()
  } finally {
    for (const p of processes) await p.stop()
    await database?.drop()
  }
}

async function rittenBudget(): Promise<void> {
  const sim = createRittenSimulator()
  // Ritten's bucket counts its API, not the token endpoint (which has a limit of its own).
  const watched = watch(sim.app, (url) => !url.startsWith('/_sim') && !url.includes('/oauth/'))
  const simUrl = await sim.listen(0)
  try {
    // Two calls a patient: a backlog that outlasts the run at the full rate.
    const patients = Math.ceil(((RITTEN_SECONDS + 10) * RITTEN_PER_SECOND) / 2) + 100
    await withBacklog(
      async (api) => void (await connectRitten(api, simUrl, 'Ritten budget bench')),
      patients,
      (i) => ({ firstName: 'Budget', lastName: `Patient${i}`, dob: '1990-01-01', gender: 'female', phone: '913-555-0100' }),
      async () => {
        const loadBefore = load()
        while (watched.arrivals.length === 0) await sleep(50)
        const first = watched.arrivals[0]!
        await sleep(first + (RITTEN_SECONDS + 5) * 1000 - Date.now())
        const between = (from: number, to: number) => watched.arrivals.filter((t) => t >= from && t < to).length
        const steady = between(first + 5000, first + 5000 + RITTEN_SECONDS * 1000) / RITTEN_SECONDS
        const whole = between(first, first + (RITTEN_SECONDS + 5) * 1000) / (RITTEN_SECONDS + 5)
        line(`budget: Ritten, ${RITTEN_SECONDS} s after the first 5 — requests/s ÷ 50 allowed`, `${steady.toFixed(1)} /s = ${((steady / RITTEN_PER_SECOND) * 100).toFixed(1)}% (target ≥ 95%); load ${loadBefore} → ${load()}`)
        line(`budget: Ritten, the whole ${RITTEN_SECONDS + 5} s, burst included`, `${whole.toFixed(1)} /s = ${((whole / RITTEN_PER_SECOND) * 100).toFixed(1)}%`)
        line('budget: Ritten answers 429', `${watched.statuses.filter((s) => s === 429).length} of ${watched.statuses.length} (target 0)`)
      },
    )
  } finally {
    await sim.close()
  }
}

async function ecwBudget(): Promise<void> {
  const world = await startEcw({ demo: true })
  // ECW counts every request under the practice's base, the token endpoint included. The
  // simulator is listening already (no hook can be added): its request log is read twice a second.
  const base = new URL(world.base).pathname
  const ours = async () => (await world.requests()).filter((r) => r.path.startsWith(base))
  try {
    const minutes = ECW_SECONDS / 60
    const patients = Math.ceil(ECW_PER_MINUTE * (minutes + 1)) + 50
    // What the log holds before the workers start (the connection's own calls): not the backlog's.
    let before = 0
    await withBacklog(
      async (api) => void (await connectEcw(api, world)),
      patients,
      (i) => ({ firstName: 'Budget', lastName: `Patient${i}`, dob: '1990-01-01', gender: 'female' }),
      async () => {
        const loadBefore = load()
        while ((await ours()).length === before) await sleep(500)
        // Timed and counted by the simulator's log (when each call reached it), from the log's
        // length before the workers started: the first worker process sends for a second or
        // more while the second one starts (60–100 calls), which a count begun afterwards missed.
        const first = Date.parse((await ours())[before]!.at)
        await sleep(first + ECW_SECONDS * 1000 + 1000 - Date.now())
        const requests = await ours()
        const arrivals = requests
          .slice(before)
          .map((r) => Date.parse(r.at))
          .sort((a, b) => a - b)
        const figures = ecwFigures(arrivals, ECW_SECONDS * 1000)
        const share = (perMinute: number) => `${perMinute.toFixed(1)} /min = ${((perMinute / ECW_PER_MINUTE) * 100).toFixed(1)}%`
        line(`budget: ECW, ${ECW_SECONDS} s from the first call — requests/min ÷ 250 allowed`, `${share(figures.fromFirst)}; load ${loadBefore} → ${load()}`)
        line(`budget: ECW, the first ${figures.cycles} × 62 s (the pacing's span)`, `${share(figures.wholeSpans)} (target ≥ 95%; 250 in every 62 s is 96.8%)`)
        line('budget: ECW, 250 calls in a row span', `${(figures.ringMeanMs / 1000).toFixed(2)} s on average = ${share((ECW_PER_MINUTE * 60_000) / figures.ringMeanMs)}; shortest ${(figures.ringMinMs / 1000).toFixed(2)} s`)
        line('budget: ECW, most calls in any 60 s', `${figures.mostIn60s} (ECW allows 250 in each minute of its clock; any 60 s is the stricter test)`)
        line('budget: ECW answers 429', `${requests.filter((r) => r.status === 429).length} of ${requests.length} (target 0)`)
      },
      async () => {
        before = (await ours()).length
      },
    )
  } finally {
    await world.close()
  }
}

/**
 * What ECW's arrival times (ms, sorted) say of the budget used. The pacing lets 250 calls through
 * in any 62 s, and a backlog's calls leave in cycles of 62 s that each begin with a burst: a span
 * from the first call that ends inside a cycle counts that cycle's burst in full and reads high
 * (120 s: two bursts, 100%; 615 s: ten, 97.6% — for a pacing at 96.8%), so the figure to hold
 * against the target is the count over whole spans of 62 s. The span of 250 calls in a row is the cycle's length as the pacing
 * kept it (62 s exactly when every slot was reused as soon as it freed), whatever the phase.
 */
export function ecwFigures(arrivals: readonly number[], spanMs: number) {
  const first = arrivals[0] ?? 0
  const within = (ms: number) => arrivals.filter((t) => t < first + ms).length
  const cycles = Math.max(1, Math.floor(spanMs / 62_000))
  const rings = arrivals.slice(250).map((t, i) => t - arrivals[i]!)
  let mostIn60s = 0
  for (let i = 0, j = 0; j < arrivals.length; j++) {
    while (arrivals[j]! - arrivals[i]! >= 60_000) i++
    mostIn60s = Math.max(mostIn60s, j - i + 1)
  }
  return {
    fromFirst: within(spanMs) / (spanMs / 60_000),
    cycles,
    wholeSpans: within(cycles * 62_000) / ((cycles * 62_000) / 60_000),
    ringMeanMs: rings.length ? rings.reduce((a, b) => a + b, 0) / rings.length : NaN,
    ringMinMs: rings.length ? Math.min(...rings) : NaN,
    mostIn60s,
  }
}
