import { describe, expect, it } from 'vitest'
import { waitFor } from './harness.js'
import { connectEcw, PRACTICE } from './ecwHelpers.js'
import { useEcwHub } from './ecwHub.js'
import { LINES_PER_PAGE } from '../src/connectors/ecw/bulk.js'

/** ECW at volume: a 10,000-patient pull with visible progress (pacing and schedules on the real clock: ecw-pacing.e2e.test.ts). */
const fixture = useEcwHub()

describe('ECW at volume', () => {
  it('pulls 10,000 patients by bulk export, a page at a time, with progress while it runs', async () => {
    const world = await fixture.ecw({ demo: false })
    await world.sim.seedPatients(PRACTICE, 10_000, { replace: true })
    // Patients only (step 4 of the eClinicalWorks integration guide lets the admin choose the modules).
    const { id } = await connectEcw(fixture.hub, world, { settings: { pullModules: ['practitioner', 'location', 'patient'] } })
    const before = (await fixture.hub.api('GET', '/api/patients?limit=1')).body.items.length
    expect(before).toBe(0)

    const { body: started } = await fixture.hub.api('POST', `/api/connections/${id}/pull`)
    // Pull now twice: the second answers with the pull already running.
    expect((await fixture.hub.api('POST', `/api/connections/${id}/pull`)).body).toEqual({ jobId: started.jobId, alreadyRunning: true })
    const seen: number[] = []
    const job = await waitFor(
      'the 10,000-patient pull',
      async () => {
        const { body } = await fixture.hub.api('GET', `/api/jobs/${started.jobId}`)
        const patients = body.progress?.resources?.patient
        if (patients && !patients.done) seen.push(patients.records)
        if (body.state === 'failed' || body.state === 'needs_attention') throw new Error(JSON.stringify(body.lastError))
        return body.state === 'succeeded' ? body : undefined
      },
      240_000,
    )
    expect(job.progress.resources.patient).toMatchObject({ done: true, records: 10_000, total: 10_000, created: 10_000 })
    // One NDJSON file of 10,000 lines, stored LINES_PER_PAGE lines a page.
    expect(job.progress.resources.patient.pages).toBe(Math.ceil(10_000 / LINES_PER_PAGE))
    // Progress was visible part-way through the patients.
    expect(seen.some((n) => n > 0 && n < 10_000)).toBe(true)

    let count = 0
    let cursor: string | null = null
    do {
      const { body }: { body: { items: unknown[]; next: string | null } } = await fixture.hub.api('GET', `/api/patients?limit=500${cursor ? `&cursor=${cursor}` : ''}`)
      count += body.items.length
      cursor = body.next
    } while (cursor)
    expect(count).toBe(10_000)

    // A second pull exports only what changed since the first (nothing): no patient is read again.
    const { body: again } = await fixture.hub.api('POST', `/api/connections/${id}/pull`)
    const second = await waitFor('the second pull', async () => {
      const { body } = await fixture.hub.api('GET', `/api/jobs/${again.jobId}`)
      return body.state === 'succeeded' ? body : undefined
    }, 240_000)
    expect(second.progress.resources.patient).toMatchObject({ done: true, records: 0, created: 0 })
    expect(second.progress.checkpoint.since).toBe(job.progress.checkpoint.highWater)
    await fixture.hub.api('PATCH', `/api/connections/${id}`, { enabled: false })
  }, 300_000)
})
