import { createServer } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createKipuSimulator, DEMO_KIPU, signApiAuth, type KipuSimulator } from '../simulators/kipu/server.js'
import { createTestDatabase, startHub, waitFor, type RunningHub } from './harness.js'

/**
 * KIPU end to end: the hub and the KIPU simulator as separate servers on loopback. Every call is
 * APIAuth-signed by the hub and verified by the simulator (two independent implementations).
 */
let sim: KipuSimulator
let simUrl: string
let hub: RunningHub
let connectionId: string
let database: Awaited<ReturnType<typeof createTestDatabase>>

const VALUE_MAPS = {
  location: { middletown: '2' },
  referrer: { 'Recovery in the Ocean': '11' },
  payerCode: { AET01: 'Aetna' },
  program: { residential: 'Substance Use' },
}
const SETTINGS = { accessId: DEMO_KIPU.accessId, appId: DEMO_KIPU.appId, pullSchedule: '0 0 1 1 *' }

beforeAll(async () => {
  sim = createKipuSimulator()
  simUrl = await sim.listen(0)
  database = await createTestDatabase()
  hub = await startHub({ databaseUrl: database?.url })
  const created = await hub.api('POST', '/api/connections', { connector: 'kipu', name: 'KIPU test instance', baseUrl: simUrl, settings: SETTINGS, credentials: { secretKey: DEMO_KIPU.secretKey } })
  expect(created.status).toBe(201)
  connectionId = created.body.id
  expect(created.body.inboundUrl).toBe(`${hub.url}/api/inbound/kipu/${connectionId}`)
  expect((await hub.api('PUT', `/api/connections/${connectionId}/mappings`, { valueMaps: VALUE_MAPS })).status).toBe(200)
})

afterAll(async () => {
  await hub?.stop()
  await sim?.close()
  await database?.drop()
})

beforeEach(async () => {
  await simControl('DELETE', '/_sim/faults')
})

async function simControl(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${simUrl}${path}`, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined })
  return res.json()
}
async function charts(patientId: string): Promise<any[]> {
  const { patients } = await simControl('GET', '/_sim/records')
  return patients.filter((p: { data: { sending_app_patient_id?: string } }) => p.data.sending_app_patient_id === patientId)
}
async function linkOf(patientId: string) {
  const { body } = await hub.api('GET', `/api/patients/${patientId}`)
  return body.links.find((l: { connectionId: string }) => l.connectionId === connectionId)
}
async function waitForLink(patientId: string, state: string) {
  return waitFor(`KIPU link ${state}`, async () => {
    const link = await linkOf(patientId)
    return link?.state === state ? link : undefined
  })
}
async function exchangesOf(patientId: string): Promise<any[]> {
  const { body } = await hub.api('GET', `/api/exchanges?patientId=${patientId}&connectionId=${connectionId}&limit=100`)
  return body.items.reverse()
}
async function pullNow(): Promise<any> {
  const started = await hub.api('POST', `/api/connections/${connectionId}/pull`)
  expect(started.status).toBe(202)
  return waitFor('the pull to finish', async () => {
    const { body } = await hub.api('GET', `/api/jobs/${started.body.jobId}`)
    if (body.state === 'failed' || body.state === 'needs_attention') throw new Error(`pull ended ${body.state}: ${JSON.stringify(body.lastError)}`)
    return body.state === 'succeeded' ? body : undefined
  })
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

let counter = 0
/** The KIPU integration article's create payload, as a CRM patient. */
function seedPatient(extra: Record<string, unknown> = {}) {
  counter += 1
  return {
    firstName: 'Test1',
    lastName: `Test2x${counter}`,
    preferredName: 'TJ',
    dob: '2000-01-01',
    maritalStatus: 'single',
    locationId: 'middletown',
    phone: '+15133206417',
    alternatePhone: '+15131234567',
    address: { line1: '123 Oak St', line2: 'Unit B', city: 'Middletown', postalCode: '45044', state: 'OH', country: 'US' },
    gender: 'male',
    email: `test${counter}@example.com`,
    firstContactName: 'Dazos Main Line',
    referrerName: 'Recovery in the Ocean',
    admissionDate: '2025-04-16',
    paymentMethod: 'insurance',
    customFields: { firstContactInformation: 'Phone Inquiry', firstContactRelationship: 'Self' },
    ...extra,
  }
}

describe('KIPU connection', () => {
  it('tests the connection with a signed read, and names the cause of each failure', async () => {
    const ok = await hub.api('POST', `/api/connections/${connectionId}/test`)
    expect(ok.body).toMatchObject({ ok: true, message: expect.stringMatching(/signature accepted, 3 locations readable/) })

    const malformed = await hub.api('POST', '/api/connections', { connector: 'kipu', name: 'x', baseUrl: simUrl, settings: SETTINGS, credentials: { secretKey: 'pasted with spaces\n' } })
    expect(malformed.status).toBe(400)
    expect(malformed.body).toMatchObject({ field: 'credentials.secretKey', message: expect.stringMatching(/no spaces or line breaks/) })

    const probe = async (changes: { settings?: Record<string, unknown>; secretKey?: string; baseUrl?: string }) => {
      const created = await hub.api('POST', '/api/connections', {
        connector: 'kipu',
        name: 'probe',
        enabled: false,
        baseUrl: changes.baseUrl ?? simUrl,
        settings: { ...SETTINGS, ...changes.settings },
        credentials: { secretKey: changes.secretKey ?? DEMO_KIPU.secretKey },
      })
      expect(created.status).toBe(201)
      return (await hub.api('POST', `/api/connections/${created.body.id}/test`)).body
    }
    expect(await probe({ secretKey: 'another-secret-key-of-32-characters' })).toMatchObject({ ok: false, code: 'bad_signature', message: expect.stringMatching(/check the access id and secret key/) })
    expect(await probe({ settings: { appId: 'someone-else' } })).toMatchObject({ ok: false, code: 'app_forbidden', message: expect.stringMatching(/app id "someone-else"/) })
    expect(await probe({ baseUrl: `http://127.0.0.1:${await closedPort()}` })).toMatchObject({ ok: false, code: 'unreachable', message: expect.stringMatching(/unreachable.*ECONNREFUSED/) })

    await simControl('POST', '/_sim/clock', { offsetMs: 20 * 60_000 })
    try {
      const skewed = (await hub.api('POST', `/api/connections/${connectionId}/test`)).body
      expect(skewed).toMatchObject({ ok: false, code: 'clock_skew', message: expect.stringMatching(/20 minutes behind KIPU's, and KIPU allows 15/) })
    } finally {
      await simControl('POST', '/_sim/clock', { offsetMs: 0 })
    }
    const { refusals } = await simControl('GET', '/_sim/records')
    expect(refusals.map((r: { cause: string }) => r.cause)).toEqual(['bad_signature', 'clock_skew'])

    // The exchange keeps what was signed and the headers sent, never the secret.
    const { body: list } = await hub.api('GET', `/api/exchanges?connectionId=${connectionId}&operation=test&limit=5`)
    const test = (await hub.api('GET', `/api/exchanges/${list.items.at(-1).id}`)).body
    expect(test.url).toBe(`${simUrl}/api/locations?app_id=${DEMO_KIPU.appId}`)
    expect(test.requestHeaders).toMatchObject({
      accept: 'application/vnd.kipusystems+json; version=3',
      authorization: `APIAuth ${DEMO_KIPU.accessId}:[redacted]`,
      date: expect.stringMatching(/GMT$/),
    })
    expect(test.details.signed).toBe(`,,/api/locations?app_id=${DEMO_KIPU.appId},${test.requestHeaders.date}`)
    expect(JSON.stringify(test)).not.toContain(DEMO_KIPU.secretKey)
  })

  it('offers its catalog with allowed values and PHI flags, and its capability matrix', async () => {
    const { body } = await hub.api('GET', '/api/connectors')
    const kipu = body.items.find((c: { kind: string }) => c.kind === 'kipu')
    expect(kipu.fields).toContainEqual(expect.objectContaining({ path: 'marital_status', allowed: expect.arrayContaining(['Single', 'Married']), valueMap: 'maritalStatus' }))
    expect(kipu.fields).toContainEqual(expect.objectContaining({ path: 'alternate_phone', phi: true }))
    expect(kipu.fields).toContainEqual(expect.objectContaining({ path: 'mr_number', direction: 'pull' }))
    expect(kipu.inbound).toMatch(/APIAuth/)
    const capabilities = (await hub.api('GET', `/api/connections/${connectionId}/capabilities`)).body.items
    expect(capabilities).toContainEqual(expect.objectContaining({ dataType: 'patient', direction: 'pull', supported: true }))
    expect(capabilities).toContainEqual({ dataType: 'encounter', direction: 'push', supported: false, reason: 'Not part of the KIPU integration' })
  })
})

describe('KIPU push', () => {
  it('creates the KIPU integration article\u2019s payload field for field, with mapped insurance and the subscriber as a contact', async () => {
    const account = (
      await hub.api('POST', '/api/accounts', {
        name: 'Doe family',
        insurances: [
          { payerCode: 'AET01', memberId: 'A123456789', groupNumber: 'GR987654321', priority: 'primary', subscriber: { relationship: 'parent', firstName: 'Jane', lastName: 'Doe', phone: '555-123-4567' } },
          { payerCode: 'ZZZ01', memberId: 'Z1', priority: 'secondary' },
        ],
      })
    ).body
    const { status, body: patient } = await hub.api('POST', '/api/patients', seedPatient({ accountId: account.id }))
    expect(status).toBe(201)
    const link = await waitForLink(patient.id, 'linked')
    const [chart] = await charts(patient.id)
    expect(link.externalId).toBe(chart.casefileId)
    expect(chart.sendingAppName).toBe('carebridge')
    expect(chart.data).toEqual({
      first_name: 'Test1',
      last_name: patient.lastName,
      preferred_name: 'TJ',
      dob: '2000-01-01',
      marital_status: 'Single',
      location_id: '2',
      phone: '+15133206417',
      alternate_phone: '+15131234567',
      address_street: '123 Oak St',
      address_street2: 'Unit B',
      address_city: 'Middletown',
      address_zip: '45044',
      address_state: 'OH',
      address_country: 'US',
      gender: 'Male',
      email: patient.email,
      first_contact_name: 'Dazos Main Line',
      first_contact_information: 'Phone Inquiry',
      first_contact_relationship: 'Self',
      referrer_id: '11',
      referrer_name: 'Recovery in the Ocean',
      admission_date: '2025-04-16 00:00:00',
      payment_method: 'Insurance',
      sending_app_patient_id: patient.id,
    })
    expect(chart.insurances).toEqual([
      { insurance_company: 'Aetna', policy_no: 'A123456789', group_ID: 'GR987654321', insurance_type: 'Primary', subscriber_relationship: 'Parent', subscriber_first_name: 'Jane', subscriber_last_name: 'Doe', subscriber_phone: '+15551234567' },
    ])
    expect(chart.contacts).toEqual([{ full_name: 'Jane Doe', phone: '+15551234567', relationship: 'Parent', contact_type: 'Insurance subscriber' }])

    const create = (await exchangesOf(patient.id)).find((e) => e.operation === 'create')
    expect(create).toMatchObject({ status: 'ok', httpStatus: 201, direction: 'outbound', message: 'insurance partly sent: payer code ZZZ01 is not mapped for this connection' })
    const detail = (await hub.api('GET', `/api/exchanges/${create.id}`)).body
    expect(detail.requestBody.document).toMatchObject({ recipient_id: DEMO_KIPU.appId, sending_app_name: 'carebridge' })
    expect(detail.requestHeaders['content-md5']).toMatch(/^[A-Za-z0-9+/]{22}==$/)

    // Staff see the exchange with every PHI field of KIPU's catalog masked (not only the common key names).
    const staffKey = (await hub.api('POST', '/api/keys', { name: 'intake', role: 'staff' })).body.key
    const staffView = (await hub.api('GET', `/api/exchanges/${create.id}`, undefined, staffKey)).body
    const data = staffView.requestBody.document.data
    for (const key of ['first_name', 'last_name', 'preferred_name', 'dob', 'phone', 'alternate_phone', 'email', 'address_street', 'address_street2', 'address_city', 'address_state', 'address_zip']) {
      expect(data[key], key).toBe('[redacted]')
    }
    expect(data.insurances_attributes[0]).toMatchObject({ policy_no: '[redacted]', subscriber_first_name: '[redacted]', insurance_company: 'Aetna' })
    expect(data.patient_contacts_attributes[0].full_name).toBe('[redacted]')
    expect(data.marital_status).toBe('Single')
    for (const phi of ['+15131234567', '123 Oak St', 'Unit B', '45044', 'A123456789', 'Jane']) expect(JSON.stringify(staffView)).not.toContain(phi)
  })

  it('PATCHes the same KIPU patient on a CRM change, keeping what KIPU changed on its side', async () => {
    const { body: patient } = await hub.api('POST', '/api/patients', seedPatient())
    const link = await waitForLink(patient.id, 'linked')
    // KIPU staff fix the city in KIPU; then the CRM changes the phone.
    await simControl('POST', `/_sim/patients/${encodeURIComponent(link.externalId)}/chart`, { address_city: 'Hamilton' })
    const updated = await hub.api('PATCH', `/api/patients/${patient.id}`, { phone: '(513) 555-0199' })
    expect(updated.status).toBe(200)
    await waitFor('the PATCH with the new phone', async () => (await charts(patient.id))[0]?.data.phone === '+15135550199')
    const all = await charts(patient.id)
    expect(all).toHaveLength(1)
    expect(all[0].data.address_city).toBe('Hamilton')
    await waitFor('KIPU\u2019s city in the CRM', async () => (await hub.api('GET', `/api/patients/${patient.id}`)).body.address.city === 'Hamilton')
    const operations = (await exchangesOf(patient.id)).map((e) => e.operation)
    expect(operations.filter((o) => o === 'create')).toHaveLength(1)
    expect(operations.filter((o) => o === 'patch')).toHaveLength(1)
    const patch = (await exchangesOf(patient.id)).find((e) => e.operation === 'patch')
    const sent = (await hub.api('GET', `/api/exchanges/${patch.id}`)).body.requestBody.document.data
    expect(sent.phone).toBe('+15135550199')
    expect(sent).not.toHaveProperty('address_city')
  })

  it('never makes a second KIPU patient when the create answer is lost or empty', async () => {
    await simControl('POST', '/_sim/faults', { dropResponseRate: 1, count: 1, match: '^POST /api/patients$' })
    const { body: lost } = await hub.api('POST', '/api/patients', seedPatient())
    const link = await waitForLink(lost.id, 'linked')
    const made = await charts(lost.id)
    expect(made).toHaveLength(1)
    expect(link.externalId).toBe(made[0].casefileId)
    const exchanges = await exchangesOf(lost.id)
    expect(exchanges[0]).toMatchObject({ operation: 'create', status: 'error', httpStatus: null, message: expect.stringMatching(/network error/) })
    expect(exchanges.find((e) => e.operation === 'lookup')).toMatchObject({ status: 'ok', httpStatus: 200, attempts: 2 })
    expect(exchanges.filter((e) => e.operation === 'create')).toHaveLength(1)

    await simControl('POST', '/_sim/settings', { createAnswer: 'empty' })
    try {
      const { body: quiet } = await hub.api('POST', '/api/patients', seedPatient())
      const quietLink = await waitForLink(quiet.id, 'linked')
      const [chart, ...others] = await charts(quiet.id)
      expect(others).toEqual([])
      expect(quietLink.externalId).toBe(chart.casefileId)
    } finally {
      await simControl('POST', '/_sim/settings', { createAnswer: 'ids' })
    }
  })

  it('surfaces a KIPU 422 with its message and waits for a person', async () => {
    const { body: patient } = await hub.api('POST', '/api/patients', seedPatient({ address: { line1: '1 Main St', state: 'Ohio', postalCode: '45044' } }))
    const link = await waitForLink(patient.id, 'needs_attention')
    expect(link.message).toMatch(/KIPU create failed \(422\): data\.address_state must be a 2-letter state code/)
    expect((await exchangesOf(patient.id)).filter((e) => e.operation === 'create')).toHaveLength(1)
    expect(await charts(patient.id)).toEqual([])
  })
})

describe('KIPU custom field mapping (F7)', () => {
  it('refuses a mapping KIPU cannot take when it is saved, naming the field and why', async () => {
    const defaults = (await hub.api('GET', `/api/connections/${connectionId}/mappings`)).body.fieldMap
    const put = (body: unknown) => hub.api('PUT', `/api/connections/${connectionId}/mappings`, body)
    const unknown = await put({ fieldMap: [...defaults, { crm: 'customFields.favoriteColor', emr: 'favorite_color' }] })
    expect(unknown.status).toBe(400)
    expect(unknown.body).toMatchObject({ error: 'invalid_input', field: `fieldMap[${defaults.length}].emr`, message: expect.stringMatching(/"favorite_color" is not a field KIPU accepts/) })
    const type = await put({ fieldMap: [{ crm: 'firstName', emr: 'discharge_date' }] })
    expect(type.body.message).toMatch(/"firstName" holds text, but "discharge_date" takes a date and time/)
    const managed = await put({ fieldMap: [{ crm: 'customFields.policy', emr: 'insurances_attributes[0].policy_no' }] })
    expect(managed.body.message).toMatch(/filled by the connector from the parent account's insurance/)
    const choices = await put({ fieldMap: [{ crm: 'gender', emr: 'first_contact_relationship' }] })
    expect(choices.body.message).toMatch(/"gender" holds the CRM's values .* accepts only Self, Mother/)
    const code = await put({ valueMaps: { maritalStatus: { single: 'Unmarried' } } })
    expect(code.status).toBe(400)
    expect(code.body).toMatchObject({ field: 'valueMaps.maritalStatus.single', message: expect.stringMatching(/"Unmarried" is not a value "marital_status" accepts \(one of: Single, Married/) })
    // Nothing was half-saved.
    expect((await hub.api('GET', `/api/connections/${connectionId}/mappings`)).body).toMatchObject({ custom: false, overrides: VALUE_MAPS })
  })

  it('sends a custom field mapped to any catalog field; a value outside its allowed list is left out with the reason', async () => {
    const defaults = (await hub.api('GET', `/api/connections/${connectionId}/mappings`)).body.fieldMap as { crm: string; emr: string }[]
    const fieldMap = [
      ...defaults.filter((m) => !['middle_name', 'first_contact_relationship'].includes(m.emr)),
      { crm: 'customFields.ssn', emr: 'ssn' },
      { crm: 'customFields.secondName', emr: 'middle_name' },
      { crm: 'customFields.inquiryBy', emr: 'first_contact_relationship' },
    ]
    const saved = await hub.api('PUT', `/api/connections/${connectionId}/mappings`, { fieldMap })
    expect(saved.status).toBe(200)
    try {
      const { body: patient } = await hub.api('POST', '/api/patients', seedPatient({ customFields: { ssn: '123-45-6789', secondName: 'Quinn', inquiryBy: 'Neighbor' } }))
      const preview = (await hub.api('GET', `/api/patients/${patient.id}/preview?connectionId=${connectionId}`)).body
      expect(preview.dropped).toContainEqual({ field: 'first_contact_relationship', reason: expect.stringMatching(/customFields\.inquiryBy "Neighbor" is not a value first_contact_relationship accepts/) })
      expect(preview.steps[0].body.document.data).toMatchObject({ ssn: '123-45-6789', middle_name: 'Quinn' })
      await waitForLink(patient.id, 'linked')
      const [chart] = await charts(patient.id)
      expect(chart.data).toMatchObject({ ssn: '123-45-6789', middle_name: 'Quinn' })
      expect(chart.data).not.toHaveProperty('first_contact_relationship')
      const create = (await exchangesOf(patient.id)).find((e) => e.operation === 'create')
      const detail = (await hub.api('GET', `/api/exchanges/${create.id}`)).body
      expect(detail.details.dropped).toContainEqual(expect.objectContaining({ field: 'first_contact_relationship' }))
    } finally {
      await hub.api('PUT', `/api/connections/${connectionId}/mappings`, { fieldMap: null })
    }
  })
})

describe('KIPU pull (gated on admission) and webhooks', () => {
  let pushed: any
  let staffChart: any

  it('lists unadmitted patients as waiting with what they miss, and pulls them once admitted, field for field', async () => {
    pushed = (await hub.api('POST', '/api/patients', seedPatient({ accountId: (await hub.api('POST', '/api/accounts', { name: 'Gated', insurances: [{ payerCode: 'AET01', memberId: 'A123456789', groupNumber: 'GR987654321', subscriber: { relationship: 'parent', firstName: 'Jane', lastName: 'Doe', phone: '555-123-4567' } }] })).body.id }))).body
    const link = await waitForLink(pushed.id, 'linked')
    staffChart = await simControl('POST', '/_sim/patients', { data: { first_name: 'Kim', last_name: 'Staffmade', dob: '1988-03-04', gender: 'Female', location_id: '2', payment_method: 'Self Pay' } })

    const first = await pullNow()
    expect(first.progress.resources.patient.waiting).toBeGreaterThanOrEqual(2)
    const waiting = (await hub.api('GET', `/api/connections/${connectionId}/waiting?limit=500`)).body.items
    expect(waiting).toContainEqual(expect.objectContaining({ externalId: link.externalId, missing: ['MR number'], linkedPatientId: pushed.id, recordType: 'patient' }))
    expect(waiting).toContainEqual(expect.objectContaining({ externalId: staffChart.casefile_id, label: 'Kim Staffmade', missing: ['admission date', 'MR number'], linkedPatientId: null }))
    expect((await hub.api('GET', `/api/patients?q=Staffmade`)).body.items).toEqual([])
    // Reference data (F4): KIPU's lists, to fill value maps from.
    const references = (await hub.api('GET', `/api/connections/${connectionId}/reference-values`)).body.items
    expect(references).toContainEqual(expect.objectContaining({ kind: 'location', value: '2', label: 'Middletown Campus' }))
    expect(references).toContainEqual(expect.objectContaining({ kind: 'care_level', label: 'Residential' }))
    expect(references).toContainEqual(expect.objectContaining({ kind: 'payor', value: 'Aetna' }))
    expect(references).toContainEqual(expect.objectContaining({ kind: 'referrer', value: '11', label: 'Recovery in the Ocean' }))

    // KIPU staff admit both (the staff-made one into a program the connection has not mapped).
    await simControl('POST', `/_sim/patients/${encodeURIComponent(link.externalId)}/admit`, { admission_date: '2025-04-28 00:00:00' })
    await simControl('POST', `/_sim/patients/${encodeURIComponent(staffChart.casefile_id)}/admit`, { program: 'Mental Health' })
    const second = await pullNow()
    expect(second.progress.resources.patient).toMatchObject({ unmapped: 1 })
    const stillWaiting = (await hub.api('GET', `/api/connections/${connectionId}/waiting?limit=500`)).body.items.map((w: { externalId: string }) => w.externalId)
    expect(stillWaiting).not.toContain(link.externalId)
    expect(stillWaiting).not.toContain(staffChart.casefile_id)

    // The KIPU integration article's pull payload, field for field.
    const { body: back } = await hub.api('GET', `/api/patients/${pushed.id}`)
    expect(back).toMatchObject({
      firstName: 'Test1',
      lastName: pushed.lastName,
      gender: 'male',
      dob: '2000-01-01',
      address: { line1: '123 Oak St', line2: 'Unit B', city: 'Middletown', state: 'OH', postalCode: '45044', country: 'US' },
      email: pushed.email,
      admissionDate: '2025-04-28',
      dischargeDate: null,
      firstContactName: 'Dazos Main Line',
      referrerName: 'Recovery in the Ocean',
      paymentMethod: 'insurance',
      phone: '+15133206417',
      levelOfCare: 'Residential',
      programId: 'residential',
      customFields: expect.objectContaining({
        kipuBed: 'A-101',
        kipuRoom: '102',
        kipuBuilding: 'Main Building',
        kipuDischargeOrTransition: 'Outpatient Program',
        kipuDischargeType: 'Planned',
        kipuDischargeTypeCode: 'P01',
      }),
    })
    const kipuLink = back.links.find((l: { connectionId: string }) => l.connectionId === connectionId)
    expect(kipuLink.mrn).toMatch(/^DHR2025-\d+$/)
    expect(back.emrInsurance).toEqual([expect.objectContaining({ connectionId, memberId: 'A123456789', groupNumber: 'GR987654321', company: 'Aetna' })])
    expect(back.emrContacts).toEqual([expect.objectContaining({ connectionId, name: 'Jane Doe', relationship: 'Parent', phone: '+15551234567' })])

    // The staff-made chart became a CRM patient; its unmapped program stayed out and is listed.
    const imported = (await hub.api('GET', `/api/patients?q=Staffmade`)).body.items
    expect(imported).toHaveLength(1)
    expect(imported[0]).toMatchObject({ firstName: 'Kim', dob: '1988-03-04', gender: 'female', paymentMethod: 'self_pay', levelOfCare: 'Residential', programId: null })
    const unmapped = (await hub.api('GET', `/api/connections/${connectionId}/unmapped-pulled-values`)).body.items
    expect(unmapped).toContainEqual(expect.objectContaining({ field: 'programId', value: 'Mental Health', valueMap: 'program', externalId: staffChart.casefile_id }))

    // Once mapped, a full pull (the census again) brings it to the unchanged chart too.
    expect((await hub.api('PUT', `/api/connections/${connectionId}/mappings`, { valueMaps: { ...VALUE_MAPS, program: { ...VALUE_MAPS.program, iop: 'Mental Health' } } })).status).toBe(200)
    expect((await hub.api('GET', `/api/connections/${connectionId}/unmapped-pulled-values`)).body.items).not.toContainEqual(expect.objectContaining({ value: 'Mental Health' }))
    const started = await hub.api('POST', `/api/connections/${connectionId}/pull?full=true`)
    await waitFor('the full pull', async () => (await hub.api('GET', `/api/jobs/${started.body.jobId}`)).body.state === 'succeeded')
    // Newest first: the full pull read the census; the one before it, what changed since the first (latest).
    const pulls = (await hub.api('GET', `/api/exchanges?connectionId=${connectionId}&operation=pull%20patients&limit=3`)).body.items
    const urls = await Promise.all(pulls.map(async (e: { id: string }) => (await hub.api('GET', `/api/exchanges/${e.id}`)).body.url as string))
    expect(urls.map((u) => new URL(u).pathname)).toEqual(['/api/patients/census', '/api/patients/latest', '/api/patients/census'])
    expect((await hub.api('GET', `/api/patients/${imported[0].id}`)).body.programId).toBe('iop')
  })

  it('pulls one patient on a verified KIPU webhook, records the call, and applies a repeated event once', async () => {
    const link = await linkOf(pushed.id)
    const inboundUrl = `${hub.url}/api/inbound/kipu/${connectionId}`
    await simControl('POST', `/_sim/patients/${encodeURIComponent(link.externalId)}/chart`, { phone: '+15135550123', bed_name: 'B-202' })

    const delivered = await simControl('POST', '/_sim/webhooks/send', { url: inboundUrl, casefileId: link.externalId, event: 'Chart Update', eventId: 'evt-chart-1' })
    expect(delivered.http_code).toBe(202)
    expect(JSON.parse(delivered.body)).toMatchObject({ received: 1, accepted: [{ eventId: 'evt-chart-1', type: 'Chart Update', jobId: expect.any(String) }], duplicates: [] })
    await waitFor('the webhook\u2019s pull', async () => {
      const { body } = await hub.api('GET', `/api/patients/${pushed.id}`)
      return body.phone === '+15135550123' && body.customFields.kipuBed === 'B-202'
    })

    const again = await simControl('POST', '/_sim/webhooks/send', { url: inboundUrl, casefileId: link.externalId, event: 'Chart Update', eventId: 'evt-chart-1' })
    expect(again.http_code).toBe(200)
    expect(JSON.parse(again.body)).toMatchObject({ received: 1, accepted: [], duplicates: [{ eventId: 'evt-chart-1' }] })
    const jobs = (await hub.api('GET', `/api/jobs?connectionId=${connectionId}&kind=pull_record`)).body.items
    expect(jobs.filter((j: { recordId: string }) => j.recordId === pushed.id)).toHaveLength(1)

    // Forged, and replayed late: refused, and in the log too.
    const body = JSON.stringify({ event_id: 'evt-forged', event: 'Chart Update', casefile_id: link.externalId })
    const path = `/api/inbound/kipu/${connectionId}`
    const forged = await fetch(inboundUrl, { method: 'POST', headers: signApiAuth({ accessId: DEMO_KIPU.accessId, secretKey: 'not-the-connection-secret', requestUri: path, body, now: Date.now() }), body })
    expect(forged.status).toBe(401)
    expect(await forged.json()).toMatchObject({ error: 'bad_signature' })
    const late = await fetch(inboundUrl, { method: 'POST', headers: signApiAuth({ accessId: DEMO_KIPU.accessId, secretKey: DEMO_KIPU.secretKey, requestUri: path, body, now: Date.now() - 20 * 60_000 }), body })
    expect(late.status).toBe(401)
    expect(await late.json()).toMatchObject({ error: 'clock_skew' })
    const tampered = signApiAuth({ accessId: DEMO_KIPU.accessId, secretKey: DEMO_KIPU.secretKey, requestUri: path, body, now: Date.now() })
    const altered = await fetch(inboundUrl, { method: 'POST', headers: tampered, body: body.replace('evt-forged', 'evt-forgex') })
    expect(await altered.json()).toMatchObject({ error: 'md5_mismatch' })

    const { body: log } = await hub.api('GET', `/api/exchanges?connectionId=${connectionId}&operation=webhook&limit=10`)
    const inbound = log.items.reverse()
    expect(inbound.map((e: { httpStatus: number }) => e.httpStatus)).toEqual([202, 200, 401, 401, 401])
    expect(inbound.every((e: { direction: string }) => e.direction === 'inbound')).toBe(true)
    expect(inbound[1].message).toMatch(/evt-chart-1: duplicate of the event received at .*, nothing done/)
    expect(inbound[2]).toMatchObject({ status: 'error', message: expect.stringMatching(/^refused \(bad_signature\)/) })
    const first = (await hub.api('GET', `/api/exchanges/${inbound[0].id}`)).body
    expect(first).toMatchObject({ method: 'POST', url: path, recordId: pushed.id, requestBody: { event_id: 'evt-chart-1', casefile_id: link.externalId } })
    expect(first.requestHeaders.authorization).toBe(`APIAuth ${DEMO_KIPU.accessId}:[redacted]`)
    // Replaying the inbound exchange runs its pull again (a new job pointing at the first).
    const replay = await hub.api('POST', `/api/exchanges/${inbound[0].id}/replay`)
    expect(replay.status).toBe(202)
    const rerun = await waitFor('the replayed pull', async () => {
      const { body: job } = await hub.api('GET', `/api/jobs/${replay.body.jobId}`)
      return job.state === 'succeeded' ? job : undefined
    })
    expect(rerun).toMatchObject({ kind: 'pull_record', replayOf: first.jobId })
  })
})
