/**
 * `npm run bench`: end-to-end figures for the Ritten push, hub and simulator as separate
 * processes on loopback — the same path a user's change takes. Prints figures; asserts nothing.
 *   BENCH_PATIENTS (default 300), BENCH_CONCURRENCY (API callers, default 10),
 *   BENCH_DATABASE_URL (run on PostgreSQL instead of the embedded database).
 */
import { createRittenSimulator, DEMO_RITTEN } from '../simulators/ritten/server.js'
import { createTestDatabase, startHub, sleep } from '../test/harness.js'

const PATIENTS = Number(process.env.BENCH_PATIENTS ?? 300)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 10)
const LATENCY_SAMPLES = 20

if (process.env.BENCH_DATABASE_URL) process.env.TEST_DATABASE_URL = process.env.BENCH_DATABASE_URL
const sim = createRittenSimulator()
const simUrl = await sim.listen(0)
const database = await createTestDatabase()
const hub = await startHub({ databaseUrl: database?.url, env: { LOG_LEVEL: 'error' } })
try {
  const connection = await hub.api('POST', '/api/connections', {
    connector: 'ritten',
    name: 'Ritten bench',
    baseUrl: simUrl,
    settings: { clientId: DEMO_RITTEN.clientId, tenant: DEMO_RITTEN.tenant },
    credentials: { clientSecret: DEMO_RITTEN.clientSecret },
  })
  if (connection.status !== 201) throw new Error(`connection: ${JSON.stringify(connection.body)}`)
  const patient = (i: number) => ({ firstName: 'Bench', lastName: `Patient${i}`, dob: '1990-01-01', gender: 'female', phone: '913-555-0000', email: `b${i}@example.com` })

  // 1. Latency: API create → linked in Ritten (both steps), one patient at a time.
  const latencies: number[] = []
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const started = performance.now()
    const { body } = await hub.api('POST', '/api/patients', patient(i))
    for (;;) {
      const { body: p } = await hub.api('GET', `/api/patients/${body.id}`)
      if (p.links[0]?.state === 'linked') break
      await sleep(10)
    }
    latencies.push(performance.now() - started)
  }

  // 2. Throughput: PATIENTS creates from CONCURRENCY callers, until every one is linked.
  const started = performance.now()
  let next = 0
  const ids: string[] = []
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < PATIENTS) {
        const i = next++
        const { body } = await hub.api('POST', '/api/patients', patient(1000 + i))
        ids.push(body.id)
      }
    }),
  )
  const accepted = performance.now() - started
  for (;;) {
    const records = await (await fetch(`${new URL(simUrl).origin}/_sim/records`)).json()
    const done = records.patients.filter((p: { phones?: string[] }) => (p.phones?.length ?? 0) > 0).length
    if (done >= PATIENTS + LATENCY_SAMPLES) break
    await sleep(50)
  }
  const total = performance.now() - started

  const sorted = [...latencies].sort((a, b) => a - b)
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!.toFixed(0)
  const line = (k: string, v: string) => console.log(`  ${k.padEnd(44)} ${v}`)
  console.log(`carebridge bench — Ritten two-step push, ${database ? 'PostgreSQL' : 'embedded PGlite'}, 4 workers, queue poll 0.5 s`)
  line('create → linked latency p50 / p95 / max (ms)', `${pct(50)} / ${pct(95)} / ${sorted[sorted.length - 1]!.toFixed(0)}`)
  line(`API creates accepted (${PATIENTS}, ${CONCURRENCY} callers)`, `${(PATIENTS / (accepted / 1000)).toFixed(0)} patients/s`)
  line('pushed end to end (create + PATCH each)', `${(PATIENTS / (total / 1000)).toFixed(1)} patients/s (${(total / 1000).toFixed(1)} s)`)
  const metrics = await (await fetch(`${hub.url}/metrics`)).text()
  const mints = (await (await fetch(`${new URL(simUrl).origin}/_sim/records`)).json()).tokens.mints
  line('Ritten token mints', String(mints))
  line('exchanges recorded', String(metrics.match(/carebridge_exchanges_total\{[^}]*\} \d+/g)?.reduce((n, l) => n + Number(l.split(' ').pop()), 0)))
} finally {
  await hub.stop()
  await sim.close()
  await database?.drop()
}
