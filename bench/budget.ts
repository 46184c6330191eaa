/**
 * Part `budget` (issue 15, benchmark 4; PostgreSQL only): how much of an EMR's request budget a
 * sustained push uses when two worker processes share the connection (one API and 2 workers of 4,
 * as test/workers.e2e.test.ts starts them). The API queues a backlog first; the workers start
 * after it, so the pacer alone sets the pace. Figures come from the simulators' side: the
 * requests they received per second ÷ what the system allows, and the 429s they answered.
 *   Ritten: 50 requests/s (bucket of 100): measured over BENCH_BUDGET_RITTEN_SECONDS (default 30)
 *   from 5 s after the first call (the first seconds spend the burst), and over the whole run.
 *   ECW: 250 requests per clock minute, token included: measured over BENCH_BUDGET_ECW_SECONDS
 *   (default 120) from the first call.
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
async function withBacklog(connect: (api: RunningHub) => Promise<void>, patients: number, patient: (i: number) => Record<string, unknown>, run: () => Promise<void>): Promise<void> {
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
    await withBacklog(
      async (api) => void (await connectEcw(api, world)),
      patients,
      (i) => ({ firstName: 'Budget', lastName: `Patient${i}`, dob: '1990-01-01', gender: 'female' }),
      async () => {
        const loadBefore = load()
        const before = (await ours()).length
        let first = 0
        while ((await ours()).length === before) await sleep(500)
        first = Date.now()
        await sleep(ECW_SECONDS * 1000)
        const requests = await ours()
        // Counted from the poll that saw the first call (up to half a second late): a figure a shade high, never low.
        const perMinute = (requests.length - before) / ((Date.now() - first) / 60_000)
        line(`budget: ECW, ${ECW_SECONDS} s from the first call — requests/min ÷ 250 allowed`, `${perMinute.toFixed(1)} /min = ${((perMinute / ECW_PER_MINUTE) * 100).toFixed(1)}% (target ≥ 95%); load ${loadBefore} → ${load()}`)
        line('budget: ECW answers 429', `${requests.filter((r) => r.status === 429).length} of ${requests.length} (target 0)`)
      },
    )
  } finally {
    await world.close()
  }
}
