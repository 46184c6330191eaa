import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, startHub, waitFor, type RunningHub } from './harness.js'
import { connectEcw, PRACTICE, startEcw, type EcwWorld } from './ecwHelpers.js'

/**
 * ECW on the real clock, end to end: pushes paced under the practice's per-minute limit with
 * ECW's minute not ours, a pull started by its schedule, and a retry that waits for ECW's next
 * minute after a 429. They wait for clock minutes doing little, so they are a file of their own
 * that runs beside the busy ones (one after the other: a patient is pushed to every connection
 * there is, so at once each would meet the other's). The same rules on an injected clock, in no
 * time: src/engine/rateLimiter.test.ts, src/engine/scheduledPulls.test.ts,
 * src/connectors/ecw/client.test.ts.
 */
let hub: RunningHub
let database: Awaited<ReturnType<typeof createTestDatabase>>
const worlds: EcwWorld[] = []

beforeAll(async () => {
  database = await createTestDatabase()
  hub = await startHub({ databaseUrl: database?.url })
})

afterAll(async () => {
  await hub?.stop()
  for (const w of worlds) await w.close()
  await database?.drop()
})

describe('ECW on the real clock', () => {
  it('paces a sustained push under the per-minute limit with ECW’s clock 29.5 s ahead of ours: zero 429s', async () => {
    // ECW's minute is not ours: the hub must stay under the limit in every 60-second span.
    const world = await startEcw({ demo: true, ratePerMinute: 20, clockOffsetMs: 29_500 })
    worlds.push(world)
    const { id } = await connectEcw(hub, world, { settings: { requestsPerMinute: 20 } })
    const ids: string[] = []
    for (let i = 0; i < 24; i++) {
      const { body } = await hub.api('POST', '/api/patients', { firstName: 'Pace', lastName: `Patient${i}`, dob: '1990-01-01', gender: 'female' })
      ids.push(body.id)
    }
    await waitFor(
      'every patient in ECW',
      async () => {
        for (const patientId of ids) {
          const { body } = await hub.api('GET', `/api/patients/${patientId}`)
          if (body.links.find((l: { connectionId: string }) => l.connectionId === id)?.state !== 'linked') return false
        }
        return true
      },
      240_000,
    )
    const { items } = await (await fetch(`${new URL(world.base).origin}/_sim/requests`)).json()
    expect(items.filter((r: { status: number }) => r.status === 429)).toEqual([])
    expect(items.length).toBeGreaterThan(20)
  }, 300_000)

  it('starts a pull when its schedule comes due, and waits for the next minute after a 429', async () => {
    const world = await startEcw({ demo: true })
    worlds.push(world)
    // A schedule twelve hours away cannot come due during the test (the default, every 2 hours, would on an even hour).
    const now = new Date()
    const farOff = `${now.getUTCMinutes()} ${(now.getUTCHours() + 12) % 24} * * *`
    const limited = await connectEcw(hub, world, { settings: { pullModules: ['location'], pullSchedule: farOff } })
    // ECW's 429 carries no Retry-After and holds for the rest of the clock minute.
    await fetch(`${new URL(world.base).origin}/_sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ errorRate: 1, status: 429, count: 1, match: `^POST /fhir/r4/${PRACTICE}$` }),
    })
    const { body: patient } = await hub.api('POST', '/api/patients', { firstName: 'Rate', lastName: 'Limited', dob: '1991-02-03', gender: 'male' })
    const scheduled = await connectEcw(hub, world, { settings: { pullSchedule: '* * * * *', pullModules: ['location'] } })

    const pulls = await waitFor(
      'the scheduled pull',
      async () => {
        const { body } = await hub.api('GET', `/api/jobs?connectionId=${scheduled.id}&kind=pull`)
        return body.items.find((j: { state: string }) => j.state === 'succeeded') ? body.items : undefined
      },
      100_000,
    )
    expect(pulls.length).toBeGreaterThanOrEqual(1)
    expect((await hub.api('GET', `/api/connections/${scheduled.id}/reference-values?kind=location`)).body.items.length).toBe(3)
    // The connection whose schedule is not due has not pulled.
    expect((await hub.api('GET', `/api/jobs?connectionId=${limited.id}&kind=pull`)).body.items).toEqual([])

    const creates = await waitFor(
      'the create after the 429',
      async () => {
        const { body } = await hub.api('GET', `/api/exchanges?patientId=${patient.id}&connectionId=${limited.id}&operation=create&limit=20`)
        return body.items.some((e: { httpStatus: number }) => e.httpStatus === 200) ? body.items.reverse() : undefined
      },
      100_000,
    )
    expect(creates.map((e: { httpStatus: number }) => e.httpStatus)).toEqual([429, 200])
    // The retry waited for the next clock minute.
    expect(Math.floor(Date.parse(creates[1].startedAt) / 60_000)).toBeGreaterThan(Math.floor(Date.parse(creates[0].startedAt) / 60_000))
  }, 300_000)
})
