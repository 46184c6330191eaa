import { describe, expect, it } from 'vitest'
import { waitFor } from './harness.js'
import { connectEcw, PRACTICE, type EcwWorld } from './ecwHelpers.js'
import { useEcwHub } from './ecwHub.js'

/** ECW pulls through FHIR Bulk Data: Group/{id}/$export, polled, NDJSON streamed, `_since` for the next pull. */
const fixture = useEcwHub()

const origin = (world: EcwWorld) => new URL(world.base).origin
const simRecords = async (world: EcwWorld) => (await (await fetch(`${origin(world)}/_sim/records`)).json()).practices[PRACTICE]
const simRequests = async (world: EcwWorld): Promise<{ method: string; path: string; status: number }[]> => (await (await fetch(`${origin(world)}/_sim/requests`)).json()).items
const exportsOf = async (world: EcwWorld, clientId: string) => (await simRecords(world)).bulkExports.filter((j: { clientId: string }) => j.clientId === clientId)

async function pull(connectionId: string, until: string[] = ['succeeded']) {
  const { body } = await fixture.hub.api('POST', `/api/connections/${connectionId}/pull`)
  return waitFor(
    'the pull',
    async () => {
      const { body: job } = await fixture.hub.api('GET', `/api/jobs/${body.jobId}`)
      if (until.includes(job.state)) return job
      if (job.state === 'failed' || job.state === 'needs_attention') throw new Error(JSON.stringify(job.lastError))
      return undefined
    },
    120_000,
  )
}

describe('ECW pulls by bulk export', () => {
  it('reads the whole seed through $export, then only what changed since the last export', async () => {
    const world = await fixture.ecw({ bulk: { resourcesPerFile: 7 } })
    const clientId = 'bulk-full'
    const { id } = await connectEcw(fixture.hub, world, { clientId })
    const counts = (await simRecords(world)).counts
    const requestsBefore = (await simRequests(world)).length

    const first = await pull(id)
    expect(first.progress.resources.patient).toMatchObject({ done: true, records: counts.Patient, total: counts.Patient, created: counts.Patient })
    expect(first.progress.resources.insurance).toMatchObject({ done: true, records: counts.Coverage, total: counts.Coverage })
    expect(first.progress.resources.encounter).toMatchObject({ done: true, records: counts.Encounter, total: counts.Encounter })
    // 20 patients at 7 a file: 3 files, each one page of data.
    expect(first.progress.resources.patient.pages).toBe(3)
    expect(first.progress.checkpoint).toMatchObject({ since: null, highWater: expect.any(String) })

    // One export of the three types without _since; the hub deleted it once read. Patients, coverage and encounters were never searched.
    const [fullExport] = await exportsOf(world, clientId)
    expect(fullExport).toMatchObject({ state: 'deleted', since: null, types: ['Patient', 'Coverage', 'Encounter'] })
    expect(fullExport.request).toBe(`${world.base}/Group/all-patients/$export?_type=Patient,Coverage,Encounter`)
    expect(first.progress.checkpoint.highWater).toBe(fullExport.transactionTime)
    const requests = (await simRequests(world)).slice(requestsBefore)
    expect(requests.filter((r) => /\/(Patient|Coverage|Encounter)$/.test(r.path))).toEqual([])
    expect(requests.filter((r) => r.path.includes('/bulkfiles/')).length).toBe(fullExport.files.length)
    expect(requests.some((r) => r.path.includes('/bulkstatus/') && r.method === 'GET' && r.status === 202)).toBe(true)

    // The log holds each call; file bodies as a summary, not stored.
    const { body: log } = await fixture.hub.api('GET', `/api/exchanges?jobId=${first.id}&operation=${encodeURIComponent('pull Patient')}`)
    expect(log.items.length).toBe(3)
    const file = (await fixture.hub.api('GET', `/api/exchanges/${log.items[0].id}`)).body
    expect(file).toMatchObject({ status: 'ok', httpStatus: 200, message: expect.stringMatching(/^streamed \d+ lines, \d+ bytes \(body not stored\)$/), responseBody: null })
    expect((await fixture.hub.api('GET', `/api/exchanges?jobId=${first.id}&operation=${encodeURIComponent('export kick-off')}`)).body.items).toHaveLength(1)

    // ECW changes one patient and registers another.
    const imported = (await simRecords(world)).patients as { id: string; name: { family: string }[] }[]
    const changed = imported[5]!
    const { body: remote } = await world.fhir('GET', `/Patient/${changed.id}`)
    expect((await world.fhir('PUT', `/Patient/${changed.id}`, { ...remote, telecom: [{ system: 'phone', value: '7855550142', use: 'home' }] })).status).toBe(200)
    const family = `Newcomer${Math.random().toString(36).slice(2, 7)}`
    expect((await world.fhir('POST', '/Patient', { resourceType: 'Patient', name: [{ family, given: ['Nell'] }], gender: 'female', birthDate: '1984-04-04' })).status).toBe(201)

    const second = await pull(id)
    const [, incremental] = await exportsOf(world, clientId)
    expect(incremental.since).toBe(fullExport.transactionTime)
    expect(incremental.request).toBe(`${world.base}/Group/all-patients/$export?_type=Patient,Coverage,Encounter&_since=${encodeURIComponent(fullExport.transactionTime)}`)
    expect(second.progress.resources.patient).toMatchObject({ done: true, records: 2, total: 2, created: 1, updated: 1 })
    expect(second.progress.resources.insurance).toMatchObject({ done: true, records: 0 })
    expect(second.progress.resources.encounter).toMatchObject({ done: true, records: 0 })
    expect(second.progress.checkpoint.highWater).toBe(incremental.transactionTime)

    const everyone = (await fixture.hub.api('GET', '/api/patients?limit=500')).body.items as { id: string; lastName: string; phone: string | null }[]
    expect(everyone.filter((p) => p.lastName === family)).toHaveLength(1)
    const linked = await Promise.all(everyone.map(async (p) => (await fixture.hub.api('GET', `/api/patients/${p.id}`)).body))
    const local = linked.find((p) => p.links.some((l: { connectionId: string; externalId: string }) => l.connectionId === id && l.externalId === changed.id))
    expect(local.phone).toBe('7855550142')

    // Nothing changed: the next pull's export is empty.
    const third = await pull(id)
    expect(third.progress.resources.patient).toMatchObject({ done: true, records: 0 })
    await fixture.hub.api('PATCH', `/api/connections/${id}`, { enabled: false })
  })

  it('picks up the same export after a failed file download, and starts over when the mapping changes', async () => {
    const world = await fixture.ecw({ bulk: { resourcesPerFile: 7 } })
    const clientId = 'bulk-resume'
    const { id } = await connectEcw(fixture.hub, world, { clientId, settings: { importNewPatients: false } })
    // The second Coverage file fails once (503): the job retries and goes on with the export it had.
    await fetch(`${origin(world)}/_sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ errorRate: 1, status: 503, count: 1, match: '^GET /fhir/r4/FFBJCD/bulkfiles/[^/]+/Coverage-2\\.ndjson$' }),
    })
    const job = await pull(id)
    expect(job.attempts).toBe(2)
    expect(await exportsOf(world, clientId)).toHaveLength(1)
    const files = (await simRequests(world)).filter((r) => r.path.includes('/bulkfiles/'))
    // Patient files once each, Coverage-1 once (its records were stored before the failure), Coverage-2 twice.
    expect(files.filter((r) => r.path.endsWith('/Coverage-1.ndjson'))).toHaveLength(1)
    expect(files.filter((r) => r.path.endsWith('/Coverage-2.ndjson')).map((r) => r.status)).toEqual([503, 200])
    // No new CRM patient while the connection does not import them (each of the 20 is skipped, or
    // matched by demographics to a CRM patient an earlier test of this file imported).
    expect(job.progress.resources.patient).toMatchObject({ done: true, records: 20, created: 0 })

    // The connection now imports new patients: the last export's _since no longer covers what it needs.
    expect((await fixture.hub.api('PATCH', `/api/connections/${id}`, { settings: { importNewPatients: true } })).status).toBe(200)
    const full = await pull(id)
    expect((await exportsOf(world, clientId)).at(-1).since).toBeNull()
    const patients = full.progress.resources.patient
    expect(patients).toMatchObject({ done: true, records: 20, skipped: 0 })
    expect(patients.created + patients.updated + patients.unchanged).toBe(20)
    await fixture.hub.api('PATCH', `/api/connections/${id}`, { enabled: false })
  })

  it('names a group ECW does not know, in Test connection and in the pull', async () => {
    const world = await fixture.ecw()
    const good = await connectEcw(fixture.hub, world)
    expect((await fixture.hub.api('POST', `/api/connections/${good.id}/test`)).body).toMatchObject({ ok: true, message: expect.stringContaining('Group all-patients exportable') })
    // The test's probe export was cancelled at once.
    expect((await simRecords(world)).bulkExports.map((j: { state: string }) => j.state)).toEqual(['deleted'])

    const { id } = await connectEcw(fixture.hub, world, { settings: { groupId: 'no-such-group' } })
    const tested = (await fixture.hub.api('POST', `/api/connections/${id}/test`)).body
    expect(tested).toMatchObject({ ok: false, code: 'export_group_refused', message: expect.stringContaining('Group no-such-group') })
    const job = await pull(id, ['needs_attention'])
    expect(job.lastError).toMatchObject({ code: 'export_group_refused', message: expect.stringContaining("set the connection's groupId") })
    for (const c of [good.id, id]) await fixture.hub.api('PATCH', `/api/connections/${c}`, { enabled: false })
  })
})
