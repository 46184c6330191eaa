import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, startHub, waitFor, type RunningHub } from './harness.js'
import { connectEcw, PRACTICE, startEcw, type EcwWorld } from './ecwHelpers.js'

/** ECW at volume: a 10,000-patient pull with visible progress, and pushes paced under the practice limit. */
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

describe('ECW at volume', () => {
  it('pulls 10,000 patients by bulk export, a page at a time, with progress while it runs', async () => {
    const world = await startEcw({ demo: false })
    worlds.push(world)
    await world.sim.seedPatients(PRACTICE, 10_000, { replace: true })
    // Patients only (step 4 of the eClinicalWorks integration guide lets the admin choose the modules).
    const { id } = await connectEcw(hub, world, { settings: { pullModules: ['practitioner', 'location', 'patient'] } })
    const before = (await hub.api('GET', '/api/patients?limit=1')).body.items.length
    expect(before).toBe(0)

    const { body: started } = await hub.api('POST', `/api/connections/${id}/pull`)
    // Pull now twice: the second answers with the pull already running.
    expect((await hub.api('POST', `/api/connections/${id}/pull`)).body).toEqual({ jobId: started.jobId, alreadyRunning: true })
    const seen: number[] = []
    const job = await waitFor(
      'the 10,000-patient pull',
      async () => {
        const { body } = await hub.api('GET', `/api/jobs/${started.jobId}`)
        const patients = body.progress?.resources?.patient
        if (patients && !patients.done) seen.push(patients.records)
        if (body.state === 'failed' || body.state === 'needs_attention') throw new Error(JSON.stringify(body.lastError))
        return body.state === 'succeeded' ? body : undefined
      },
      240_000,
    )
    expect(job.progress.resources.patient).toMatchObject({ done: true, records: 10_000, total: 10_000, created: 10_000 })
    // One NDJSON file of 10,000 lines, stored 500 lines a page.
    expect(job.progress.resources.patient.pages).toBe(20)
    // Progress was visible part-way through the patients.
    expect(seen.some((n) => n > 0 && n < 10_000)).toBe(true)

    let count = 0
    let cursor: string | null = null
    do {
      const { body }: { body: { items: unknown[]; next: string | null } } = await hub.api('GET', `/api/patients?limit=500${cursor ? `&cursor=${cursor}` : ''}`)
      count += body.items.length
      cursor = body.next
    } while (cursor)
    expect(count).toBe(10_000)

    // A second pull exports only what changed since the first (nothing): no patient is read again.
    const { body: again } = await hub.api('POST', `/api/connections/${id}/pull`)
    const second = await waitFor('the second pull', async () => {
      const { body } = await hub.api('GET', `/api/jobs/${again.jobId}`)
      return body.state === 'succeeded' ? body : undefined
    }, 240_000)
    expect(second.progress.resources.patient).toMatchObject({ done: true, records: 0, created: 0 })
    expect(second.progress.checkpoint.since).toBe(job.progress.checkpoint.highWater)
    await hub.api('PATCH', `/api/connections/${id}`, { enabled: false })
  }, 300_000)

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
