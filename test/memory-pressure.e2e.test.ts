import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, startHub, waitFor, WAIT, type RunningHub } from './harness.js'

/**
 * Memory pressure (issue 15, "Faults"): the hub on a small heap takes a burst of the largest
 * bodies it allows (just under 5 MiB each, many at once). Every answer is a 201 or a refusal that
 * says so (413, 503 with Retry-After) — never a 500 — every create it acknowledged is there whole
 * afterwards, nothing it refused is, and it goes on serving. Should the process die of it, it must
 * say why in its output and a restart on the same data must lose nothing acknowledged — and the
 * test fails all the same. On a 128 MB heap the hub admits two such bodies at once and refuses the
 * rest with 503 `busy` (src/api/admission.ts); before, it died of its heap on PostgreSQL, and on the
 * embedded database a large answer broke its client's framing and left creates unanswered (see
 * NotificationFilter in src/db/pgliteServer.ts).
 */
const HEAP_MB = 128
const ROUNDS = 2
const AT_ONCE = 10
/** Custom fields take 2,000 characters a value: 2,400 of them make a body just under the 5 MiB limit. */
const FIELDS = 2_400

let database: Awaited<ReturnType<typeof createTestDatabase>>
let hub: RunningHub

beforeAll(async () => {
  database = await createTestDatabase()
  hub = await startHub({ databaseUrl: database?.url, env: { NODE_OPTIONS: `--max-old-space-size=${HEAP_MB}` } })
}, WAIT.start)

afterAll(async () => {
  await hub?.stop()
  await database?.drop()
}, WAIT.start)

function largePatient(n: number): { lastName: string; body: Record<string, unknown> } {
  const lastName = `Heavy${n}x${Date.now().toString(36)}`
  const customFields: Record<string, string> = {}
  // Padded with b…z: a run of 64 a's is the suite's hub secret key (test/harness.ts), which the after-suite scan finds.
  for (let i = 0; i < FIELDS; i++) customFields[`f${i}`] = `${n}-${i}-`.padEnd(2_000, String.fromCharCode(98 + ((n + i) % 25)))
  return { lastName, body: { firstName: 'Mnemosyne', lastName, dob: '1966-08-19', customFields } }
}

describe(`the hub on a ${HEAP_MB} MB heap under a burst of ~5 MiB bodies`, () => {
  it('answers each 201, or 413 or 503 with Retry-After (never 500, never a hang); stores all it acknowledged and nothing it refused; survives', async () => {
    const answers: { lastName: string; status: number | 'no answer'; id?: string; why?: string; retryAfter?: string | null }[] = []
    for (let round = 0; round < ROUNDS && hub.running(); round++) {
      await Promise.all(
        Array.from({ length: AT_ONCE }, async (_, i) => {
          const { lastName, body } = largePatient(round * AT_ONCE + i)
          expect(JSON.stringify(body).length).toBeLessThan(5 * 1024 * 1024)
          try {
            const res = await hub.api('POST', '/api/patients', body)
            answers.push({ lastName, status: res.status, id: res.status === 201 ? res.body.id : undefined, why: res.status === 201 ? undefined : res.body?.error, retryAfter: res.headers.get('retry-after') })
          } catch (err) {
            answers.push({ lastName, status: 'no answer', why: String((err as Error).cause ?? (err as Error).message).slice(0, 200) })
          }
        }),
      )
    }
    // A process dying of its heap closes its sockets a moment before it exits: wait for that before judging which of the two happened.
    if (answers.some((a) => a.status === 'no answer')) await waitFor('the hub to exit after dropping requests', async () => !hub.running(), 10_000).catch(() => undefined)
    const statuses = answers.map((a) => (a.why ? `${a.status} ${a.why}` : a.status))
    const survived = hub.running()
    console.log(`memory-pressure.e2e: ${answers.length} bodies of ~4.8 MiB, ${AT_ONCE} at once; answers ${JSON.stringify(countOf(statuses))}; the hub ${survived ? 'kept running' : 'died'}`)
    expect(answers.filter((a) => a.status !== 201 && a.status !== 413 && a.status !== 503 && a.status !== 'no answer'), 'every answer is 201, 413 or 503').toEqual([])
    expect(answers.filter((a) => a.status === 503 && !/^\d+$/.test(a.retryAfter ?? '')), 'every 503 says when to retry').toEqual([])
    if (answers.some((a) => a.status === 'no answer' || a.why === 'database_unavailable')) console.log(`memory-pressure.e2e: the hub's last output: ${hub.output().slice(-3_000)}`)
    if (survived) {
      expect(answers.filter((a) => a.status === 'no answer'), 'a running hub answers every request').toEqual([])
    } else {
      // It died: of the heap, and said so (V8's own message), not silently.
      console.log(`memory-pressure.e2e: the hub's last words: ${hub.output().slice(-600)}`)
      expect(hub.output()).toMatch(/heap out of memory|Allocation failed/i)
      hub = await hub.restart({ NODE_OPTIONS: '' })
    }
    const acknowledged = answers.filter((a) => a.status === 201)
    for (const a of acknowledged) {
      const { status, body } = await hub.api('GET', `/api/patients/${a.id}`)
      expect(status, `acknowledged patient ${a.lastName} is there`).toBe(200)
      expect(Object.keys(body.customFields)).toHaveLength(FIELDS)
    }
    // A refusal changed nothing: no part of a refused patient was stored.
    for (const a of answers.filter((a) => a.status === 413 || a.status === 503)) {
      const { status, body } = await hub.api('GET', `/api/patients?q=${a.lastName}`)
      expect(status).toBe(200)
      expect(body.items, `refused patient ${a.lastName} (${a.why}) is absent`).toEqual([])
    }
    // And the hub goes on serving: the largest body, alone, is taken whole.
    const { lastName, body } = largePatient(ROUNDS * AT_ONCE)
    const after = await hub.api('POST', '/api/patients', body)
    expect(after.status, `a create alone after the burst (${after.body?.error ?? ''})`).toBe(201)
    expect((await hub.api('GET', `/api/patients/${after.body.id}`)).body).toMatchObject({ lastName, customFields: body.customFields })
    // Dying of the heap is checked above (it says why, it loses nothing acknowledged), but it is a failure:
    // bodies beyond the heap budget are refused, not taken.
    expect(survived, 'the hub survives the burst').toBe(true)
  }, WAIT.start * 2 + WAIT.jobs(ROUNDS * AT_ONCE) * 4)
})

function countOf(values: (number | string)[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const v of values) counts[String(v)] = (counts[String(v)] ?? 0) + 1
  return counts
}
