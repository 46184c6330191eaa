import { describe, expect, it } from 'vitest'
import { waitFor } from './harness.js'
import { connectEcw } from './ecwHelpers.js'
import { useEcwHub } from './ecwHub.js'

/**
 * ECW on the real clock, end to end: pushes paced under the practice's per-minute limit with
 * ECW's minute not ours. It waits for clock minutes doing little, so it is a file of its own that
 * runs beside the busy ones (and beside test/ecw-schedule.e2e.test.ts, on a hub of its own: a
 * patient is pushed to every connection a hub has). The same rules on an injected clock, in no
 * time: src/engine/rateLimiter.test.ts, src/connectors/ecw/client.test.ts.
 */
const fixture = useEcwHub()

describe('ECW on the real clock', () => {
  it('paces a sustained push under the per-minute limit with ECW’s clock 29.5 s ahead of ours: zero 429s', async () => {
    // ECW's minute is not ours: the hub must stay under the limit in every 60-second span.
    const world = await fixture.ecw({ demo: true, ratePerMinute: 20, clockOffsetMs: 29_500 })
    const { id } = await connectEcw(fixture.hub, world, { settings: { requestsPerMinute: 20 } })
    const ids: string[] = []
    for (let i = 0; i < 24; i++) {
      const { body } = await fixture.hub.api('POST', '/api/patients', { firstName: 'Pace', lastName: `Patient${i}`, dob: '1990-01-01', gender: 'female' })
      ids.push(body.id)
    }
    // One read of the connection's linked patients per look (not a patient's view each: audited PHI reads).
    await waitFor(
      'every patient in ECW',
      async () => {
        const { body } = await fixture.hub.api('GET', `/api/links?state=linked&connectionId=${id}&limit=500`)
        const linked = new Set((body.items as { patientId: string }[]).map((l) => l.patientId))
        return ids.every((patientId) => linked.has(patientId))
      },
      240_000,
    )
    const { items } = await (await fetch(`${new URL(world.base).origin}/_sim/requests`)).json()
    expect(items.filter((r: { status: number }) => r.status === 429)).toEqual([])
    expect(items.length).toBeGreaterThan(20)
  }, 300_000)
})
