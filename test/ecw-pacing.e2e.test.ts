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
    const linked = new Set<string>()
    await waitFor(
      'every patient in ECW',
      async () => {
        for (const patientId of ids) {
          if (linked.has(patientId)) continue
          const { body } = await fixture.hub.api('GET', `/api/patients/${patientId}`)
          if (body.links.find((l: { connectionId: string }) => l.connectionId === id)?.state !== 'linked') return false
          linked.add(patientId)
        }
        return true
      },
      240_000,
    )
    const { items } = await (await fetch(`${new URL(world.base).origin}/_sim/requests`)).json()
    expect(items.filter((r: { status: number }) => r.status === 429)).toEqual([])
    expect(items.length).toBeGreaterThan(20)
  }, 300_000)
})
