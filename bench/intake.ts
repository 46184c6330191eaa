/**
 * Part `intake`: POST /api/patients from BENCH_CONCURRENCY callers (default 10) for
 * BENCH_INTAKE_SECONDS (default 15): creates accepted per second and the answer time. Once on a hub
 * with no connection (the API path alone: validation, the transaction, the audit), once with a Ritten
 * connection, where every create also enqueues its push and the workers run beside the API.
 */
import { createRittenSimulator } from '../simulators/ritten/server.js'
import { connectRitten } from '../test/rittenHelpers.js'
import type { RunningHub } from '../test/harness.js'
import { line, load, percentile, withHub } from './kit.js'

const CALLERS = Number(process.env.BENCH_CONCURRENCY ?? 10)
const SECONDS = Number(process.env.BENCH_INTAKE_SECONDS ?? 15)

export async function intakeBench(): Promise<void> {
  console.log(`intake — POST /api/patients, ${CALLERS} callers, ${SECONDS} s each (load average ${load()})`)
  await withHub((hub) => measure(hub, 'no connection'))
  const sim = createRittenSimulator()
  const simUrl = await sim.listen(0)
  try {
    await withHub(async (hub) => {
      await connectRitten(hub, simUrl, 'Ritten intake bench')
      await measure(hub, 'a Ritten connection (each create enqueues a push)')
    })
  } finally {
    await sim.close()
  }
}

async function measure(hub: RunningHub, label: string): Promise<void> {
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
}
