import { describe, expect, it } from 'vitest'
import { waitFor } from './harness.js'
import { connectEcw, PRACTICE, type EcwWorld } from './ecwHelpers.js'
import { useEcwHub } from './ecwHub.js'

/**
 * A long pull rides through a flaky EMR: failures count only in a row without progress, and a
 * pull that did give up is resumed from its saved cursor by the next one.
 */
/** The default: at a 20% page error rate, 8 failures in a row on one page is a 1-in-390,625 event. */
const MAX_ATTEMPTS = 8

const fixture = useEcwHub({
  env: {
    CAREBRIDGE_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
    CAREBRIDGE_RETRY_BASE_MS: '50',
    CAREBRIDGE_RETRY_MAX_MS: '400',
    // Counting failed pages in a row is this file's subject: the circuit (test/circuit.e2e.test.ts) would pause them.
    CAREBRIDGE_CIRCUIT_FAILURES: '1000',
  },
})

/**
 * What a pull of patients reads from ECW: its Bulk Data export's status polls and NDJSON files
 * (not the token endpoint, nor the kick-off).
 */
const PULL_READS = '^GET /fhir/r4/[^/]+/(bulkstatus|bulkfiles)/'
const FILE_READS = /\/bulkfiles\//

async function ecwWorld(patients: number, resourcesPerFile: number): Promise<EcwWorld> {
  // Patients one test pulls would otherwise be pushed on to another test's ECW connection.
  for (const c of (await fixture.hub.api('GET', '/api/connections')).body.items as { id: string; enabled: boolean }[])
    if (c.enabled) expect((await fixture.hub.api('PATCH', `/api/connections/${c.id}`, { enabled: false })).status).toBe(200)
  // Small export files: each file is a page the pull stores (and a point it resumes from).
  const world = await fixture.ecw({ demo: false, ratePerMinute: 100_000, bulk: { resourcesPerFile } })
  await world.sim.seedPatients(PRACTICE, patients, { replace: true })
  return world
}

async function setFaults(world: EcwWorld, rules: unknown[]): Promise<void> {
  const res = await fetch(`${new URL(world.base).origin}/_sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(rules) })
  expect(res.status).toBe(200)
}

async function settledJob(jobId: string, timeoutMs: number): Promise<any> {
  return waitFor(
    `pull job ${jobId} to settle`,
    async () => {
      const { body } = await fixture.hub.api('GET', `/api/jobs/${jobId}`)
      return ['succeeded', 'failed', 'needs_attention'].includes(body.state) ? body : undefined
    },
    timeoutMs,
  )
}

/** ECW patient id → how many CRM patients link to it on this connection. */
async function linkCounts(connectionId: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>()
  let cursor: string | null = null
  do {
    const { body }: { body: { items: { externalId: string | null }[]; next: string | null } } = await fixture.hub.api(
      'GET',
      `/api/links?connectionId=${connectionId}&limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    )
    for (const l of body.items) if (l.externalId) counts.set(l.externalId, (counts.get(l.externalId) ?? 0) + 1)
    cursor = body.next
  } while (cursor)
  return counts
}

async function ecwPatientTotal(world: EcwWorld): Promise<number> {
  const records = await (await fetch(`${new URL(world.base).origin}/_sim/records`)).json()
  return records.practices[PRACTICE].patientsTotal
}

describe('a long pull through a flaky EMR', () => {
  it('succeeds through 20% failed reads, and links every EMR patient once', async () => {
    // 125 export files of 4: the pages (and their failures) matter here, not the patients in them.
    const world = await ecwWorld(500, 4)
    const { id } = await connectEcw(fixture.hub, world, { settings: { pullModules: ['patient'] } })
    await setFaults(world, [{ match: PULL_READS, errorRate: 0.2, status: 500 }])

    const { body: started } = await fixture.hub.api('POST', `/api/connections/${id}/pull`)
    const job = await settledJob(started.jobId, 240_000)
    expect(job.lastError?.message ?? null, 'the pull gave up').toBe(null)
    expect(job.state).toBe('succeeded')
    // 125 files at 20% failures: ~31 failed attempts in all (more than MAX_ATTEMPTS all but
    // certainly: fewer than 9 is over 4 standard deviations away), none of them fatal.
    expect(job.attempts).toBeGreaterThan(MAX_ATTEMPTS)
    expect(job.progress.resources.patient).toMatchObject({ done: true, records: 500, created: 500 })

    // Every link names a distinct ECW patient, and there are as many as ECW holds: each one once.
    const counts = await linkCounts(id)
    expect(await ecwPatientTotal(world)).toBe(500)
    expect(counts.size).toBe(500)
    expect([...counts.entries()].filter(([, n]) => n !== 1)).toEqual([])
  }, 300_000)

  it('resumes from the saved cursor after a pull gave up during a longer outage', async () => {
    // 30 files of 10: enough pages for the outage to begin part-way through.
    const TOTAL = 300
    const PER_FILE = 10
    const world = await ecwWorld(TOTAL, PER_FILE)
    const { id } = await connectEcw(fixture.hub, world, { settings: { pullModules: ['patient'] } })
    // Slow files, so that the outage begins part-way through.
    await setFaults(world, [{ match: PULL_READS, latencyMs: 150 }])
    const { body: first } = await fixture.hub.api('POST', `/api/connections/${id}/pull`)
    await waitFor('a few pages stored', async () => ((await fixture.hub.api('GET', `/api/jobs/${first.jobId}`)).body.progress?.resources?.patient?.pages ?? 0) >= 5, 60_000)
    await setFaults(world, [{ match: PULL_READS, errorRate: 1, status: 503 }])
    const failed = await settledJob(first.jobId, 60_000)
    expect(failed.state).toBe('failed')
    expect(failed.lastError.message).toMatch(new RegExp(`gave up after ${MAX_ATTEMPTS} failures in a row without progress`))
    const storedBefore = failed.progress.resources.patient.records as number
    expect(storedBefore).toBeGreaterThan(0)
    expect(storedBefore).toBeLessThan(TOTAL)

    await setFaults(world, [])
    const requestsBefore = (await (await fetch(`${new URL(world.base).origin}/_sim/requests`)).json()).items.length
    const { body: second } = await fixture.hub.api('POST', `/api/connections/${id}/pull`)
    const resumed = await settledJob(second.jobId, 120_000)
    expect(resumed.state).toBe('succeeded')
    expect(resumed.progress.resumedFrom).toMatchObject({ jobId: first.jobId, resource: 'patient' })
    expect(resumed.progress.resumedFrom.cursor).toBeTruthy()
    expect(resumed.progress.resources.patient).toMatchObject({ done: true, records: TOTAL })

    // The same export, and only the files not yet stored were read again.
    const requests: { method: string; path: string }[] = (await (await fetch(`${new URL(world.base).origin}/_sim/requests`)).json()).items.slice(requestsBefore)
    expect(requests.filter((r) => r.path.includes('$export'))).toEqual([])
    expect(requests.filter((r) => FILE_READS.test(r.path) && r.method === 'GET').length).toBe((TOTAL - storedBefore) / PER_FILE)

    const counts = await linkCounts(id)
    expect(counts.size).toBe(TOTAL)
    expect([...counts.values()].every((n) => n === 1)).toBe(true)
  }, 300_000)
})
