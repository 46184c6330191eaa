import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { insertConnection, openTestDatabase, runQueuedJob, startTestEngine, type TestDatabase } from '../../test/database.js'
import { noPatientsConnector, noPushFlowConnector } from '../../test/testConnectors.js'
import { patientPushRefusal } from '../connectors/connector.js'
import { getConnector, listConnectors } from '../connectors/registry.js'
import { createPatient, PatientInput } from '../crm/patients.js'
import type { Engine } from './engine.js'
import { enqueueJob } from './jobs.js'
import { ensureLink } from './links.js'
import type { EngineDeps } from './runner.js'

vi.mock('../connectors/registry.js', async (real) => (await import('../../test/testConnectors.js')).withTestConnectors(await real()))

/**
 * F9: a connector that cannot receive patients is refused by one shared check wherever a push
 * could start — the push on change, "push now", a link set by hand, and a job already queued.
 */
let database: TestDatabase
let engine: Engine
let deps: EngineDeps
let stop: () => Promise<void>
let organizationId: string
let ritten: string
let noPatients: string
let noFlow: string

beforeAll(async () => {
  database = await openTestDatabase()
  ;({ engine, deps, stop } = await startTestEngine(database))
  ;({ organizationId, connectionId: ritten } = await insertConnection(database.db, { connector: 'ritten', settings: { clientId: 'c', tenant: 't' } }))
  noPatients = (await insertConnection(database.db, { connector: noPatientsConnector.kind, organizationId })).connectionId
  noFlow = (await insertConnection(database.db, { connector: noPushFlowConnector.kind, organizationId })).connectionId
})

afterAll(async () => {
  await stop?.()
  await database?.close()
})

async function newPatient() {
  return createPatient(database.db, organizationId, PatientInput.parse({ firstName: 'Ada', lastName: 'Refused', dob: '1980-01-01' }))
}

describe('a connector that cannot receive patients', () => {
  it('is named by the shared check with its reason; the installed EMR connectors pass it', () => {
    expect(patientPushRefusal(noPatientsConnector)).toBe('Read-only EMR cannot receive patients: API limitation: this EMR accepts no patients')
    expect(patientPushRefusal(noPushFlowConnector)).toBe('Half-built EMR cannot receive patients: this connector has no patient push flow')
    expect(patientPushRefusal(getConnector('ritten')!)).toBeNull()
    expect(patientPushRefusal(getConnector('ecw')!)).toBeNull()
    // Every installed connector either passes or says why, in the same words the API and the log use.
    for (const connector of listConnectors()) {
      const refusal = patientPushRefusal(connector)
      const capability = connector.capabilities.patient?.push
      expect(refusal === null, connector.kind).toBe(capability?.supported === true && connector.flows.pushPatient !== undefined)
    }
  })

  it('gets no push when a patient changes, while the EMR that can receive them does', async () => {
    const patient = await newPatient()
    const jobs = await database.db.transaction().execute((trx) => engine.patientChanged(trx, organizationId, patient.id))
    expect(jobs).toHaveLength(1)
    const queued = await database.db.selectFrom('sync_jobs').select('connection_id').where('record_id', '=', patient.id).execute()
    expect(queued.map((j) => j.connection_id)).toEqual([ritten])
    const links = await database.db.selectFrom('links').select('connection_id').where('record_id', '=', patient.id).execute()
    expect(links.map((l) => l.connection_id)).toEqual([ritten])
  })

  it('refuses "push now" and a link set by hand, with the reason', async () => {
    const patient = await newPatient()
    await expect(database.db.transaction().execute((trx) => engine.pushPatientTo(trx, organizationId, patient.id, noPatients))).rejects.toThrow(
      'Read-only EMR cannot receive patients: API limitation: this EMR accepts no patients',
    )
    await expect(database.db.transaction().execute((trx) => engine.pushPatientTo(trx, organizationId, patient.id, noFlow))).rejects.toThrow(/no patient push flow/)
    await expect(engine.setPatientLink(organizationId, patient.id, noPatients, { externalId: 'emr-1' })).rejects.toThrow(/cannot receive patients/)
    await expect(engine.setPatientLink(organizationId, patient.id, noFlow, { externalId: null })).rejects.toThrow(/cannot receive patients/)
    expect(await database.db.selectFrom('sync_jobs').select('id').where('record_id', '=', patient.id).execute()).toEqual([])
  })

  it('settles a push job already queued for it as needs_attention with the reason, without a retry', async () => {
    const patient = await newPatient()
    const job = await database.db.transaction().execute(async (trx) => {
      await ensureLink(trx, { organizationId, recordType: 'patient', recordId: patient.id, connectionId: noFlow, connector: noPushFlowConnector.kind })
      return enqueueJob(trx, { organizationId, connectionId: noFlow, kind: 'push_patient', recordType: 'patient', recordId: patient.id })
    })
    expect(await runQueuedJob(deps, job.id)).toBe(true)
    const settled = await database.db.selectFrom('sync_jobs').selectAll().where('id', '=', job.id).executeTakeFirstOrThrow()
    expect(settled).toMatchObject({ state: 'needs_attention', attempts: 1 })
    expect(settled.last_error).toMatchObject({ code: 'unsupported', message: 'Half-built EMR cannot receive patients: this connector has no patient push flow' })
    const link = await database.db.selectFrom('links').selectAll().where('record_id', '=', patient.id).executeTakeFirstOrThrow()
    expect(link).toMatchObject({ state: 'needs_attention', message: 'Half-built EMR cannot receive patients: this connector has no patient push flow' })
    // In the log too, as an exchange that no call carried.
    const logged = await database.db.selectFrom('exchanges').selectAll().where('sync_job_id', '=', job.id).execute()
    expect(logged).toEqual([expect.objectContaining({ status: 'error', http_status: null, message: settled.last_error!.message })])
  })
})
