import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertConnection, openTestDatabase, type TestDatabase } from '../../test/database.js'
import { auditEventRecord } from '../security/audit.js'
import type { Actor } from '../security/apiKeys.js'
import { PatientInput, createPatient, getPatient, getPatientWithAccount, insertPatientWithAudit } from './patients.js'
import { AccountInput, createAccount, getAccount } from './accounts.js'
import pg from 'pg'
import { JOBS_CHANNEL } from '../db/queue.js'
import { enqueueJob, newRecordPushes } from '../engine/jobs.js'
import { linksOf } from '../engine/links.js'

/**
 * The API's create of a patient is one statement: the patient, its audit event, and for an
 * organization with connections its pushes (links, jobs, the wake-up).
 */
let database: TestDatabase

beforeAll(async () => {
  database = await openTestDatabase()
}, 120_000)

afterAll(async () => {
  await database?.close()
})

async function organization(): Promise<{ organizationId: string; actor: Actor }> {
  const organizationId = randomUUID()
  await database.db.insertInto('organizations').values({ id: organizationId, name: 'Clinic' }).execute()
  return { organizationId, actor: { keyId: randomUUID(), name: 'intake desk', role: 'staff', organizationId } }
}

const every = PatientInput.parse({
  firstName: 'Ana',
  middleName: 'Maria',
  lastName: "O'Neil \\ \"quoted\" 😀",
  preferredName: 'Annie',
  dob: '1990-02-28',
  gender: 'female',
  maritalStatus: 'single',
  phone: '913-555-0100',
  alternatePhone: '913-555-0101',
  email: 'ana@example.com',
  address: { line1: '1 Main St', line2: null, city: 'Olathe', state: 'KS', postalCode: '66061' },
  language: 'Spanish',
  race: 'white',
  ethnicity: 'hispanic_or_latino',
  birthSex: 'female',
  admissionDate: '2026-11-01',
  dischargeDate: null,
  programId: 'php',
  levelOfCare: 'residential',
  locationId: 'loc-1',
  referrerName: 'Dr. Who',
  firstContactName: 'Sam',
  paymentMethod: 'insurance',
  customFields: { bed: 12, veteran: true, note: 'line\nbreak', none: null },
})

const auditedAs = (actor: Actor) => (id: string) => auditEventRecord(actor, 'patient.create', { type: 'patient', id })

async function auditsOf(patientId: string) {
  return database.db.selectFrom('audit_events').selectAll().where('target_id', '=', patientId).execute()
}

describe('insertPatientWithAudit', () => {
  it('writes every field and the audit event, and answers what a read of the patient answers', async () => {
    const { organizationId, actor } = await organization()
    const { patient: made, links } = await insertPatientWithAudit(database.db, organizationId, every, auditedAs(actor))
    const patient = made!
    expect(links).toEqual([])
    expect(patient).toEqual(await getPatient(database.db, organizationId, patient.id))
    expect(patient).toMatchObject({ ...every, version: 1 })
    const [event, ...more] = await auditsOf(patient.id)
    expect(more).toEqual([])
    expect(event).toMatchObject({ organization_id: organizationId, actor_key_id: actor.keyId, actor_name: 'intake desk', action: 'patient.create', target_type: 'patient', details: null })
  })

  it('keeps fields left out as nulls and an empty customFields', async () => {
    const { organizationId, actor } = await organization()
    const { patient } = await insertPatientWithAudit(database.db, organizationId, PatientInput.parse({ firstName: 'Bo', lastName: 'Min' }), auditedAs(actor))
    expect(patient).not.toBeNull()
    expect(patient).toMatchObject({ firstName: 'Bo', lastName: 'Min', dob: null, address: null, customFields: {}, accountId: null })
  })

  it('writes no audit event when the patient is refused (one statement: both or neither)', async () => {
    const { organizationId, actor } = await organization()
    let written: string | undefined
    const auditEvent = (id: string) => ((written = id), auditedAs(actor)(id))
    const noSuchAccount = PatientInput.parse({ firstName: 'Cy', lastName: 'Ng', accountId: randomUUID() })
    await expect(insertPatientWithAudit(database.db, organizationId, noSuchAccount, auditEvent)).rejects.toMatchObject({ code: '23503' })
    expect(await auditsOf(written!)).toEqual([])
  })
})

describe('getPatientWithAccount', () => {
  it('reads a patient with its account in one statement, as getPatient and getAccount read them one after the other', async () => {
    const { organizationId } = await organization()
    const account = await createAccount(database.db, organizationId, AccountInput.parse({ name: 'The Family', email: 'f@example.com', insurances: [{ payerCode: 'AET', payerName: 'Aetna', memberId: 'M1', priority: 'primary' }] }))
    const patient = await createPatient(database.db, organizationId, { ...every, accountId: account.id })
    const found = await getPatientWithAccount(database.db, organizationId, patient.id)
    expect(found).toEqual({ patient: await getPatient(database.db, organizationId, patient.id), account: await getAccount(database.db, organizationId, account.id) })
    expect(found!.account).toMatchObject({ name: 'The Family', insurances: [{ payerName: 'Aetna', memberId: 'M1' }] })
  })

  it('gives a patient without an account null as its account, and nothing for a patient of another organization', async () => {
    const { organizationId } = await organization()
    const other = await organization()
    const patient = await createPatient(database.db, organizationId, every)
    expect(await getPatientWithAccount(database.db, organizationId, patient.id)).toEqual({ patient: await getPatient(database.db, organizationId, patient.id), account: null })
    expect(await getPatientWithAccount(database.db, other.organizationId, patient.id)).toBeNull()
  })
})

describe('insertPatientWithAudit with its pushes (the API create of an organization with connections)', () => {
  const pushesFor = (organizationId: string, sender = 'sender-under-test') =>
    newRecordPushes({ organizationId, kind: 'push_patient', recordType: 'patient', sender }, ['ritten', 'ecw'])
  const jobsOf = (patientId: string) => database.db.selectFrom('sync_jobs').selectAll().where('record_id', '=', patientId).execute()

  it('writes the patient, its audit, and for each enabled connection that takes patients a pending link, a queued job; the wake-up on commit', async () => {
    const { organizationId, actor } = await organization()
    const first = await insertConnection(database.db, { connector: 'ritten', organizationId })
    await new Promise((resolve) => setTimeout(resolve, 5))
    const second = await insertConnection(database.db, { connector: 'ritten', organizationId })
    const disabled = await insertConnection(database.db, { connector: 'ritten', organizationId })
    await database.db.updateTable('connections').set({ enabled: false }).where('id', '=', disabled.connectionId).execute()
    const notTaking = await insertConnection(database.db, { connector: 'kipu', organizationId }) // not in this call's connectors
    const listener = new pg.Client({ connectionString: database.connectionString })
    await listener.connect()
    const payloads: string[] = []
    listener.on('notification', (m) => { if (m.channel === JOBS_CHANNEL) payloads.push(m.payload ?? '') })
    await listener.query(`LISTEN ${JOBS_CHANNEL}`)
    try {
      const { patient: made, links } = await insertPatientWithAudit(database.db, organizationId, every, auditedAs(actor), { pushes: pushesFor(organizationId), unlessPushTargets: false })
      const patient = made!
      expect(await auditsOf(patient.id)).toHaveLength(1)
      const pending = { connector: 'ritten', externalId: null, mrn: null, state: 'pending', message: null, lastSyncedAt: null, syncedVersion: null }
      expect(links).toEqual([{ ...pending, connectionId: first.connectionId }, { ...pending, connectionId: second.connectionId }])
      // The answer's links are the links a read shows.
      expect(await linksOf(database.db, 'patient', patient.id)).toEqual(expect.arrayContaining(links))
      const jobs = await jobsOf(patient.id)
      expect(jobs.map((j) => j.connection_id).sort()).toEqual([first.connectionId, second.connectionId].sort())
      for (const job of jobs) {
        expect(job).toMatchObject({ organization_id: organizationId, kind: 'push_patient', record_type: 'patient', state: 'queued', attempts: 0, replay_of: null })
      }
      expect(jobs.map((j) => j.connection_id)).not.toContain(notTaking.connectionId)
      for (let i = 0; i < 100 && payloads.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20))
      expect(payloads).toEqual(['sender-under-test'])

      // A later change of the patient coalesces onto its waiting job, as every change does.
      const job = jobs.find((j) => j.connection_id === first.connectionId)!
      const later = await database.db.transaction().execute((trx) => enqueueJob(trx, { organizationId, connectionId: first.connectionId, kind: 'push_patient', recordType: 'patient', recordId: patient.id }))
      expect(later).toEqual({ id: job.id, coalesced: true })
    } finally {
      await listener.end()
    }
  })

  it('with unlessPushTargets writes nothing while a connection takes patients — and says so — and the patient alone otherwise', async () => {
    const { organizationId, actor } = await organization()
    await insertConnection(database.db, { connector: 'kipu', organizationId }) // not one of this call's connectors
    const alone = await insertPatientWithAudit(database.db, organizationId, every, auditedAs(actor), { pushes: pushesFor(organizationId), unlessPushTargets: true })
    expect(alone).toMatchObject({ hasPushTargets: false, links: [] })
    expect(await auditsOf(alone.patient!.id)).toHaveLength(1)
    expect(await jobsOf(alone.patient!.id)).toEqual([])
    await insertConnection(database.db, { connector: 'ritten', organizationId })
    let written: string | undefined
    const auditEvent = (id: string) => ((written = id), auditedAs(actor)(id))
    expect(await insertPatientWithAudit(database.db, organizationId, every, auditEvent, { pushes: pushesFor(organizationId), unlessPushTargets: true })).toEqual({ patient: null, hasPushTargets: true, links: [] })
    expect(await getPatient(database.db, organizationId, written!)).toBeNull()
    expect(await auditsOf(written!)).toEqual([])
    expect(await jobsOf(written!)).toEqual([])
  })

  it('writes no link, job, message nor wake-up when nothing takes the patient, or when the patient is refused', async () => {
    const { organizationId, actor } = await organization()
    const alone = await insertPatientWithAudit(database.db, organizationId, every, auditedAs(actor), { pushes: pushesFor(organizationId), unlessPushTargets: false })
    expect(alone.links).toEqual([])
    expect(await jobsOf(alone.patient!.id)).toEqual([])
    // Another organization's connection is not this one's.
    const other = await organization()
    await insertConnection(database.db, { connector: 'ritten', organizationId: other.organizationId })
    expect((await insertPatientWithAudit(database.db, organizationId, every, auditedAs(actor), { pushes: pushesFor(organizationId), unlessPushTargets: false })).links).toEqual([])

    const { connectionId } = await insertConnection(database.db, { connector: 'ritten', organizationId })
    let written: string | undefined
    const auditEvent = (id: string) => ((written = id), auditedAs(actor)(id))
    const noSuchAccount = PatientInput.parse({ firstName: 'Cy', lastName: 'Ng', accountId: randomUUID() })
    await expect(insertPatientWithAudit(database.db, organizationId, noSuchAccount, auditEvent, { pushes: pushesFor(organizationId), unlessPushTargets: false })).rejects.toMatchObject({ code: '23503' })
    expect(await auditsOf(written!)).toEqual([])
    expect(await jobsOf(written!)).toEqual([])
    expect(await linksOf(database.db, 'patient', written!)).toEqual([])
    expect(await database.db.selectFrom('links').select('id').where('connection_id', '=', connectionId).execute()).toEqual([])
  })
})
