import { describe, expect, it } from 'vitest'
import { waitFor } from './harness.js'
import { connectEcw, PRACTICE } from './ecwHelpers.js'
import { useEcwHub } from './ecwHub.js'

/**
 * ECW on the real clock, end to end: a pull started by its schedule, and a retry that waits for
 * ECW's next minute after a 429. It waits for clock minutes doing little, so it is a file of its
 * own that runs beside the busy ones (and beside test/ecw-pacing.e2e.test.ts, on a hub of its
 * own). The same rules on an injected clock, in no time: src/engine/scheduledPulls.test.ts,
 * src/connectors/ecw/client.test.ts.
 */
const fixture = useEcwHub()

describe('ECW on the real clock', () => {
  it('starts a pull when its schedule comes due, and waits for the next minute after a 429', async () => {
    const world = await fixture.ecw({ demo: true })
    // A schedule twelve hours away cannot come due during the test (the default, every 2 hours, would on an even hour).
    const now = new Date()
    const farOff = `${now.getUTCMinutes()} ${(now.getUTCHours() + 12) % 24} * * *`
    const limited = await connectEcw(fixture.hub, world, { settings: { pullModules: ['location'], pullSchedule: farOff } })
    // ECW's 429 carries no Retry-After and holds for the rest of the clock minute.
    await fetch(`${new URL(world.base).origin}/_sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ errorRate: 1, status: 429, count: 1, match: `^POST /fhir/r4/${PRACTICE}$` }),
    })
    const { body: patient } = await fixture.hub.api('POST', '/api/patients', { firstName: 'Rate', lastName: 'Limited', dob: '1991-02-03', gender: 'male' })
    const scheduled = await connectEcw(fixture.hub, world, { settings: { pullSchedule: '* * * * *', pullModules: ['location'] } })

    const pulls = await waitFor(
      'the scheduled pull',
      async () => {
        const { body } = await fixture.hub.api('GET', `/api/jobs?connectionId=${scheduled.id}&kind=pull`)
        return body.items.find((j: { state: string }) => j.state === 'succeeded') ? body.items : undefined
      },
      100_000,
    )
    expect(pulls.length).toBeGreaterThanOrEqual(1)
    expect((await fixture.hub.api('GET', `/api/connections/${scheduled.id}/reference-values?kind=location`)).body.items.length).toBe(3)
    // The connection whose schedule is not due has not pulled.
    expect((await fixture.hub.api('GET', `/api/jobs?connectionId=${limited.id}&kind=pull`)).body.items).toEqual([])

    const creates = await waitFor(
      'the create after the 429',
      async () => {
        const { body } = await fixture.hub.api('GET', `/api/exchanges?patientId=${patient.id}&connectionId=${limited.id}&operation=create&limit=20`)
        return body.items.some((e: { httpStatus: number }) => e.httpStatus === 200) ? body.items.reverse() : undefined
      },
      100_000,
    )
    // Should this fail, the jobs and calls of the connection say which job made which call, and when.
    const { body: jobs } = await fixture.hub.api('GET', `/api/jobs?connectionId=${limited.id}&limit=20`)
    const story = JSON.stringify({ creates: creates.map((e: Record<string, unknown>) => ({ job: e.jobId, status: e.httpStatus, at: e.startedAt })), jobs: jobs.items.map((j: Record<string, unknown>) => ({ id: j.id, kind: j.kind, state: j.state, attempts: j.attempts, created: j.createdAt, finished: j.finishedAt })) })
    expect(creates.map((e: { httpStatus: number }) => e.httpStatus), story).toEqual([429, 200])
    // The retry waited for the next clock minute.
    expect(Math.floor(Date.parse(creates[1].startedAt) / 60_000), story).toBeGreaterThan(Math.floor(Date.parse(creates[0].startedAt) / 60_000))
  }, 300_000)
})
