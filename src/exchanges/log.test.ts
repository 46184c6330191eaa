import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertConnection, openTestDatabase, type TestDatabase } from '../../test/database.js'
import { createAccount } from '../crm/accounts.js'
import { createPatient, PatientInput, type Patient } from '../crm/patients.js'
import { getExchange, listExchanges } from './log.js'

/**
 * F18: staff read the integration log with PHI removed — from the bodies (Ritten JSON, FHIR
 * resources, an EMR's error text), the details, the message and the URL of every exchange, also
 * once its bodies were pruned. Admins see it all. PHI values are checked as text in the whole answer.
 */
let database: TestDatabase
let organizationId: string
let connectionId: string
let patient: Patient

/** Every PHI value of the patient and the account, in the forms the log may carry them. */
const PHI = ['Dana', 'Rivers', 'Dee', '1990-02-23', '913-555-2003', '9135552003', 'dana.rivers@example.com', '2222 Home Street', 'Lawrence', '66044', 'W123456789', 'G-77', 'Rivers family']

beforeAll(async () => {
  database = await openTestDatabase()
  ;({ organizationId, connectionId } = await insertConnection(database.db, { connector: 'ecw' }))
  const account = await createAccount(database.db, organizationId, {
    name: 'Rivers family',
    insurances: [{ payerCode: 'AET01', memberId: 'W123456789', groupNumber: 'G-77', priority: 'primary' }],
  })
  patient = await createPatient(
    database.db,
    organizationId,
    PatientInput.parse({
      firstName: 'Dana',
      lastName: 'Rivers',
      preferredName: 'Dee',
      dob: '1990-02-23',
      phone: '913-555-2003',
      email: 'dana.rivers@example.com',
      address: { line1: '2222 Home Street', city: 'Lawrence', state: 'KS', postalCode: '66044' },
      accountId: account.id,
    }),
  )
})

afterAll(async () => {
  await database?.close()
})

async function exchange(values: { operation: string; message?: string | null; url?: string; request?: unknown; response?: unknown; details?: unknown; pruned?: boolean }): Promise<string> {
  const id = randomUUID()
  await database.db
    .insertInto('exchanges')
    .values({
      id,
      organization_id: organizationId,
      connection_id: connectionId,
      connector: 'ecw',
      sync_job_id: null,
      record_type: 'patient',
      record_id: patient.id,
      direction: 'outbound',
      operation: values.operation,
      status: 'error',
      http_status: 400,
      message: values.message ?? null,
      method: 'POST',
      url: values.url ?? null,
      request_body: values.pruned || values.request === undefined ? null : typeof values.request === 'string' ? values.request : JSON.stringify(values.request),
      response_body: values.pruned || values.response === undefined ? null : JSON.stringify(values.response),
      details: values.details === undefined ? null : JSON.stringify(values.details),
      attempt: 1,
      started_at: new Date(),
      duration_ms: 5,
      bodies_pruned_at: values.pruned ? new Date() : null,
    })
    .execute()
  return id
}

const ecwPatient = {
  resourceType: 'Patient',
  identifier: [{ system: 'urn:carebridge:patient', value: 'crm-id' }],
  name: [{ use: 'official', family: 'Rivers', given: ['Dana'] }],
  telecom: [{ system: 'phone', value: '913-555-2003', use: 'home' }, { system: 'email', value: 'dana.rivers@example.com' }],
  birthDate: '1990-02-23',
  address: [{ line: ['2222 Home Street'], city: 'Lawrence', state: 'KS', postalCode: '66044' }],
}

function phiIn(answer: unknown): string[] {
  const text = JSON.stringify(answer)
  return PHI.filter((value) => text.includes(value))
}

describe('the integration log for staff', () => {
  it('removes PHI from every part of every exchange, and admins see it all', async () => {
    const ids = [
      // An ECW create: a FHIR Bundle out, an OperationOutcome back whose text echoes the name.
      await exchange({
        operation: 'create',
        url: 'http://ecw.test/fhir/r4/FFBJCD',
        request: { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: ecwPatient }] },
        response: { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'duplicate', diagnostics: 'A patient Rivers, Dana born 1990-02-23 already exists' }] },
        message: 'ECW create failed (400): A patient Rivers, Dana born 1990-02-23 already exists',
        details: { candidates: [{ id: 'ecw-1', name: 'Dana Rivers' }], note: 'call 913-555-2003 to confirm' },
      }),
      // An ECW search by name and birth date: the PHI is in the URL.
      await exchange({ operation: 'lookup', url: 'http://ecw.test/fhir/r4/FFBJCD/Patient?family=Rivers&given=Dana&birthdate=1990-02-23&_count=50', response: { resourceType: 'Bundle', entry: [{ resource: ecwPatient }] } }),
      // A Ritten PATCH refused with a message naming the values, and the entry it could not remove.
      await exchange({
        operation: 'patch',
        url: 'https://api.ritten.io/v1/patients/4b1c',
        request: { phones: ['+19135552003'], emails: ['dana.rivers@example.com'], insurance: [{ memberIdentifier: 'W123456789', groupNumber: 'G-77' }] },
        response: { message: 'phone +19135552003 is not valid for Dee' },
        message: 'insurance AET01 W123456789 is no longer in the CRM, but stays in Ritten; Ritten patch failed (400): phone +19135552003 is not valid for Dee',
      }),
      // Bodies pruned after the retention days: the message still names the patient.
      await exchange({ operation: 'create', pruned: true, url: 'https://api.ritten.io/v1/patients', message: 'Ritten create failed (400): Rivers Lawrence 66044 refused' }),
      // A body that is not JSON.
      await exchange({ operation: 'read', request: 'name=Dana Rivers&dob=1990-02-23', response: { ok: true } }),
    ]

    for (const id of ids) {
      const staff = await getExchange(database.db, organizationId, id, { showPhi: false })
      expect(staff?.redacted).toBe(true)
      expect(phiIn(staff), `exchange ${staff?.operation} ${id}`).toEqual([])
    }
    const list = await listExchanges(database.db, organizationId, { patientId: patient.id, limit: 50 }, { showPhi: false })
    expect(list.items).toHaveLength(ids.length)
    expect(phiIn(list)).toEqual([])

    // What is not PHI stays readable.
    const create = await getExchange(database.db, organizationId, ids[0]!, { showPhi: false })
    expect(create?.message).toBe('ECW create failed (400): A patient [redacted], [redacted] born [redacted] already exists')
    expect((create?.requestBody as { resourceType: string }).resourceType).toBe('Bundle')
    const search = await getExchange(database.db, organizationId, ids[1]!, { showPhi: false })
    expect(search?.url).toBe('http://ecw.test/fhir/r4/FFBJCD/Patient?family=%5Bredacted%5D&given=%5Bredacted%5D&birthdate=%5Bredacted%5D&_count=50')
    const patch = list.items.find((e) => e.id === ids[2])
    expect(patch?.message).toMatch(/^insurance AET01 \[redacted\] is no longer in the CRM, but stays in Ritten; Ritten patch failed \(400\): phone \[redacted\]/)

    // The control: the same exchanges hold every one of those values, which admins see.
    const admin = await Promise.all(ids.map((id) => getExchange(database.db, organizationId, id, { showPhi: true })))
    expect(admin.every((e) => e?.redacted === false)).toBe(true)
    expect(phiIn(admin).sort()).toEqual([...PHI].filter((v) => v !== 'Rivers family').sort())
    expect(phiIn(await listExchanges(database.db, organizationId, { patientId: patient.id, limit: 50 }, { showPhi: true }))).toContain('W123456789')
  })

  it("removes a referral's registrant from the message of an exchange about that referral", async () => {
    const referralId = randomUUID()
    await database.db
      .insertInto('referrals')
      .values({
        id: referralId,
        organization_id: organizationId,
        source_connection_id: connectionId,
        external_id: 'ref_log',
        fields: JSON.stringify({ registrant: { firstName: 'Marisol', lastName: 'Okafor', dateOfBirth: '1988-04-17', phoneHome: '905-555-0142' } }),
        source: JSON.stringify({}),
        appointments: JSON.stringify([]),
        messages: JSON.stringify([]),
      })
      .execute()
    const id = await exchange({ operation: 'create', message: 'CRMS answered 400: Okafor, Marisol (1988-04-17, 905-555-0142) is already filed' })
    await database.db.updateTable('exchanges').set({ record_type: 'referral', record_id: referralId }).where('id', '=', id).execute()
    const staff = await getExchange(database.db, organizationId, id, { showPhi: false })
    for (const value of ['Okafor', 'Marisol', '1988-04-17', '905-555-0142']) expect(staff!.message).not.toContain(value)
    const listed = await listExchanges(database.db, organizationId, { referralId, limit: 50 }, { showPhi: false })
    expect(listed.items[0]!.message).not.toContain('Okafor')
  })
})
