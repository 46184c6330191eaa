import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertConnection, openTestDatabase, type TestDatabase } from '../../test/database.js'
import { auditEventRecord } from '../security/audit.js'
import type { Actor } from '../security/apiKeys.js'
import { PatientInput, getPatient, insertPatientWithAudit } from './patients.js'

/**
 * The API's create of a patient writes the patient and its audit event in one statement, and
 * writes nothing when the organization has an enabled connection (its pushes must be enqueued in
 * the patient's transaction, which the route then opens).
 */
let database: TestDatabase

beforeAll(async () => {
  database = await openTestDatabase()
})

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
    const { patient, hasPushTargets } = await insertPatientWithAudit(database.db, organizationId, every, auditedAs(actor), { unlessPushTargets: true })
    expect(hasPushTargets).toBe(false)
    expect(patient).not.toBeNull()
    expect(patient).toEqual(await getPatient(database.db, organizationId, patient!.id))
    expect(patient).toMatchObject({ ...every, version: 1 })
    const [event, ...more] = await auditsOf(patient!.id)
    expect(more).toEqual([])
    expect(event).toMatchObject({ organization_id: organizationId, actor_key_id: actor.keyId, actor_name: 'intake desk', action: 'patient.create', target_type: 'patient', details: null })
  })

  it('keeps fields left out as nulls and an empty customFields', async () => {
    const { organizationId, actor } = await organization()
    const { patient } = await insertPatientWithAudit(database.db, organizationId, PatientInput.parse({ firstName: 'Bo', lastName: 'Min' }), auditedAs(actor), { unlessPushTargets: true })
    expect(patient).toMatchObject({ firstName: 'Bo', lastName: 'Min', dob: null, address: null, customFields: {}, accountId: null })
  })

  it('writes nothing, patient nor audit, when the organization has an enabled connection — and says so', async () => {
    const { organizationId, actor } = await organization()
    const { connectionId } = await insertConnection(database.db, { connector: 'ritten', organizationId })
    let written: string | undefined
    const auditEvent = (id: string) => ((written = id), auditedAs(actor)(id))
    const result = await insertPatientWithAudit(database.db, organizationId, every, auditEvent, { unlessPushTargets: true })
    expect(result).toEqual({ patient: null, hasPushTargets: true, enabled: [{ id: connectionId, connector: 'ritten' }] })
    expect(await getPatient(database.db, organizationId, written!)).toBeNull()
    expect(await auditsOf(written!)).toEqual([])
  })

  it('writes in the transaction way whatever the connections, and says whether there is one', async () => {
    const { organizationId, actor } = await organization()
    const { connectionId } = await insertConnection(database.db, { connector: 'ritten', organizationId })
    const pushed = await insertPatientWithAudit(database.db, organizationId, every, auditedAs(actor), { unlessPushTargets: false })
    expect(pushed.hasPushTargets).toBe(true)
    // The enabled connections themselves, for the engine to push to without reading them again.
    expect(pushed.enabled).toEqual([{ id: connectionId, connector: 'ritten' }])
    expect(await auditsOf(pushed.patient!.id)).toHaveLength(1)
    // A disabled connection pushes nothing: the one statement writes the patient.
    await database.db.updateTable('connections').set({ enabled: false }).where('id', '=', connectionId).execute()
    const alone = await insertPatientWithAudit(database.db, organizationId, every, auditedAs(actor), { unlessPushTargets: true })
    expect(alone.hasPushTargets).toBe(false)
    expect(alone.enabled).toEqual([])
    expect(alone.patient).not.toBeNull()
  })

  it('looks only at the organization’s own connections', async () => {
    const other = await organization()
    await insertConnection(database.db, { connector: 'ritten', organizationId: other.organizationId })
    const { organizationId, actor } = await organization()
    const { patient, hasPushTargets } = await insertPatientWithAudit(database.db, organizationId, every, auditedAs(actor), { unlessPushTargets: true })
    expect(hasPushTargets).toBe(false)
    expect(patient).not.toBeNull()
  })

  it('writes no audit event when the patient is refused (one statement: both or neither)', async () => {
    const { organizationId, actor } = await organization()
    let written: string | undefined
    const auditEvent = (id: string) => ((written = id), auditedAs(actor)(id))
    const noSuchAccount = PatientInput.parse({ firstName: 'Cy', lastName: 'Ng', accountId: randomUUID() })
    await expect(insertPatientWithAudit(database.db, organizationId, noSuchAccount, auditEvent, { unlessPushTargets: true })).rejects.toMatchObject({ code: '23503' })
    expect(await auditsOf(written!)).toEqual([])
  })
})
