import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { insertConnection, openTestDatabase, runQueuedJob, startTestEngine, type TestDatabase } from '../../test/database.js'
import { pulledPages, pullingConnector } from '../../test/testConnectors.js'
import type { PulledItem } from '../connectors/connector.js'
import type { Engine } from './engine.js'
import type { EngineDeps } from './runner.js'
import { patientLinksByExternalId } from './pull.js'
import { anyoneWants } from './pullEvents.js'
import { sql } from 'kysely'

vi.mock('../connectors/registry.js', async (real) => (await import('../../test/testConnectors.js')).withTestConnectors(await real()))

/** F14/F5: a pull makes one CRM patient per EMR record, however often its pages repeat one. */
let database: TestDatabase
let engine: Engine
let deps: EngineDeps
let stop: () => Promise<void>
let organizationId: string
let connectionId: string

beforeAll(async () => {
  database = await openTestDatabase()
  ;({ engine, deps, stop } = await startTestEngine(database))
  ;({ organizationId, connectionId } = await insertConnection(database.db, { connector: pullingConnector.kind }))
})

afterAll(async () => {
  await stop?.()
  await database?.close()
})

function emrPatient(externalId: string, lastName: string): PulledItem {
  return { type: 'patient', externalId, crmId: null, fields: { firstName: 'Pulled', lastName, dob: '1970-01-01' }, emrUpdatedAt: null, unmapped: [] }
}

describe('a pull', () => {
  it('imports a patient a page repeats, and one the next page repeats, once', async () => {
    pulledPages.splice(0, pulledPages.length, {
      // EMR paging is not stable under concurrent writes: the same record may come twice in one page…
      items: [emrPatient('emr-a', 'Alpha'), emrPatient('emr-a', 'Alpha'), emrPatient('emr-b', 'Beta')],
      next: '1',
    }, {
      // …or again on the next one.
      items: [emrPatient('emr-a', 'Alpha'), emrPatient('emr-c', 'Gamma')],
      next: null,
    })
    const { jobId } = await engine.startPull(organizationId, connectionId)
    expect(await runQueuedJob(deps, jobId)).toBe(true)

    const job = await database.db.selectFrom('sync_jobs').selectAll().where('id', '=', jobId).executeTakeFirstOrThrow()
    expect(job.state, JSON.stringify(job.last_error)).toBe('succeeded')
    expect((job.progress as any).resources.patient).toMatchObject({ done: true, pages: 2, records: 5, created: 3 })

    const links = await database.db.selectFrom('links').select(['external_id', 'record_id']).where('connection_id', '=', connectionId).execute()
    expect(links.map((l) => l.external_id).sort()).toEqual(['emr-a', 'emr-b', 'emr-c'])
    const patients = await database.db.selectFrom('patients').select(['id', 'last_name']).where('organization_id', '=', organizationId).execute()
    expect(patients.map((p) => p.last_name).sort()).toEqual(['Alpha', 'Beta', 'Gamma'])
    expect(new Set(links.map((l) => l.record_id))).toEqual(new Set(patients.map((p) => p.id)))
  })

  it('stores a page that lists an insurance or a reference value twice, with the later copy', async () => {
    const coverage = (plan: string): PulledItem => ({ type: 'insurance', externalId: 'cov-twice', patientExternalId: 'emr-t', data: { plan } })
    const reference = (label: string): PulledItem => ({ type: 'reference', kind: 'location', externalId: 'loc-twice', label, data: { label } })
    pulledPages.splice(0, pulledPages.length, {
      items: [emrPatient('emr-t', 'Twice'), coverage('first'), reference('First'), coverage('second'), reference('Second')],
      next: null,
    })
    const { jobId } = await engine.startPull(organizationId, connectionId)
    expect(await runQueuedJob(deps, jobId)).toBe(true)
    const job = await database.db.selectFrom('sync_jobs').selectAll().where('id', '=', jobId).executeTakeFirstOrThrow()
    expect(job.state, JSON.stringify(job.last_error)).toBe('succeeded')
    const stored = await database.db.selectFrom('emr_insurances').select(['data', 'patient_id']).where('connection_id', '=', connectionId).where('external_id', '=', 'cov-twice').execute()
    expect(stored).toEqual([{ data: { plan: 'second' }, patient_id: expect.any(String) }])
    const labels = await database.db.selectFrom('reference_values').select('label').where('connection_id', '=', connectionId).where('external_id', '=', 'loc-twice').execute()
    expect(labels).toEqual([{ label: 'Second' }])
  })

  it('stores a page with the progress that says so, or nothing of it: a retried pull neither stores a page twice nor skips one', async () => {
    const other = await insertConnection(database.db, { connector: pullingConnector.kind })
    const refused: PulledItem = { type: 'insurance', externalId: null as unknown as string, patientExternalId: 'emr-two', data: {} }
    pulledPages.splice(0, pulledPages.length, { items: [emrPatient('emr-one', 'One')], next: '1' }, {
      // Its patient goes in first; its Coverage, without an id, is then refused by the database.
      items: [emrPatient('emr-two', 'Two'), refused],
      next: null,
    })
    const { jobId } = await engine.startPull(other.organizationId, other.connectionId)
    await runQueuedJob(deps, jobId)

    const failed = await database.db.selectFrom('sync_jobs').selectAll().where('id', '=', jobId).executeTakeFirstOrThrow()
    expect(failed.state).not.toBe('succeeded')
    expect((failed.progress as any).cursor).toBe('1')
    expect((failed.progress as any).resources.patient).toMatchObject({ pages: 1, records: 1, created: 1 })
    const linked = async () => (await database.db.selectFrom('links').select('external_id').where('connection_id', '=', other.connectionId).execute()).map((l) => l.external_id).sort()
    // The failed page's patient went with its Coverage: stored without its progress, a retry would meet it again as already linked.
    expect(await linked()).toEqual(['emr-one'])

    pulledPages[1] = { items: [emrPatient('emr-two', 'Two')], next: null }
    await database.db.updateTable('sync_jobs').set({ next_attempt_at: new Date() }).where('id', '=', jobId).execute()
    expect(await runQueuedJob(deps, jobId)).toBe(true)
    const job = await database.db.selectFrom('sync_jobs').selectAll().where('id', '=', jobId).executeTakeFirstOrThrow()
    expect(job.state, JSON.stringify(job.last_error)).toBe('succeeded')
    expect((job.progress as any).resources.patient).toMatchObject({ done: true, pages: 2, records: 2, created: 2, unchanged: 0 })
    expect(await linked()).toEqual(['emr-one', 'emr-two'])
  })
})

describe('a page looking up its patients by EMR id', () => {
  it('probes the links index once per id, not every link of the connection, on a table no ANALYZE has seen', async () => {
    // A connection of its own with 10,000 links, inserted at once as a bulk pull's pages would: the
    // planner's statistics (none, or those of an empty table) know nothing of them.
    const other = await insertConnection(database.db, { connector: pullingConnector.kind })
    await sql`
      insert into patients (id, organization_id, first_name, last_name, custom_fields)
      select gen_random_uuid(), ${other.organizationId}::uuid, 'Bulk', 'Patient ' || g, '{}' from generate_series(1, 10000) g`.execute(database.db)
    await sql`
      insert into links (id, organization_id, record_type, record_id, connection_id, connector, external_id, state, synced_values)
      select gen_random_uuid(), ${other.organizationId}::uuid, 'patient', p.id, ${other.connectionId}::uuid, ${pullingConnector.kind}, 'bulk-' || p.last_name, 'linked', jsonb_build_object('lastName', p.last_name, 'note', repeat('x', 200))
      from patients p where p.organization_id = ${other.organizationId}::uuid`.execute(database.db)
    const wanted = Array.from({ length: 20 }, (_, i) => `bulk-Patient ${i * 500 + 1}`)

    const { rows } = await patientLinksByExternalId(other.connectionId, [...wanted, 'bulk-nobody']).execute(database.db)
    expect(rows.map((r) => r.external_id).sort()).toEqual([...wanted].sort())

    const query = patientLinksByExternalId(other.connectionId, wanted).compile(database.db)
    const explained = await database.db.executeQuery<{ 'QUERY PLAN': [{ Plan: { 'Shared Hit Blocks': number; 'Shared Read Blocks': number } }] }>({
      ...query,
      sql: `explain (analyze, buffers, format json) ${query.sql}`,
    })
    const plan = explained.rows[0]!['QUERY PLAN'][0].Plan
    // ~4 buffers an id (the index's levels and the row's heap page); the connection's links alone
    // fill some 500 pages, which a plan that filters them all would read.
    expect(plan['Shared Hit Blocks'] + plan['Shared Read Blocks']).toBeLessThan(wanted.length * 6)
  })
})

describe('whether anyone wants an event', () => {
  it("is an enabled subscription of the organization's that names the event", async () => {
    const other = await insertConnection(database.db, { connector: pullingConnector.kind })
    const subscribe = (organization: string, events: string[], enabled: boolean) =>
      sql`insert into event_subscriptions (id, organization_id, url, events, enabled, secret)
          values (gen_random_uuid(), ${organization}::uuid, 'http://127.0.0.1:9/hook', ${JSON.stringify(events)}::jsonb, ${enabled}, 'sealed')`.execute(database.db)
    expect(await anyoneWants(database.db, other.organizationId, 'insurance.pulled')).toBe(false)
    await subscribe(other.organizationId, ['insurance.pulled'], false)
    await subscribe(other.organizationId, ['patient.linked'], true)
    await subscribe(organizationId, ['insurance.pulled'], true)
    expect(await anyoneWants(database.db, other.organizationId, 'insurance.pulled')).toBe(false)
    expect(await anyoneWants(database.db, other.organizationId, 'patient.linked')).toBe(true)
    await subscribe(other.organizationId, ['patient.linked', 'insurance.pulled'], true)
    expect(await anyoneWants(database.db, other.organizationId, 'insurance.pulled')).toBe(true)
  })
})
