import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { canonicalString, hmacSignature, md5Base64, signApiAuth } from './apiAuth.js'
import { createKipuSimulator, DEMO_KIPU, type KipuSimulator } from './server.js'

const ACCEPT = 'application/vnd.kipusystems+json; version=3'
let sim: KipuSimulator
let base: string

beforeAll(async () => {
  sim = createKipuSimulator()
  base = await sim.listen(0)
})
afterAll(async () => {
  await sim.close()
})
beforeEach(async () => {
  await fetch(`${base}/_sim/reset`, { method: 'POST' })
})

/** A request signed as KIPU's documentation says, with hooks to tamper with each part. */
async function call(
  method: 'GET' | 'POST' | 'PATCH',
  uri: string,
  body?: unknown,
  tamper: { secret?: string; dateOffsetMs?: number; md5?: string; signedUri?: string; accept?: string; contentTypeSigned?: string; dropDate?: boolean } = {},
): Promise<{ status: number; body: any }> {
  const text = body === undefined ? null : JSON.stringify(body)
  const date = new Date(Date.now() + (tamper.dateOffsetMs ?? 0)).toUTCString()
  const contentType = text === null ? '' : 'application/json'
  const md5 = text === null ? '' : md5Base64(text)
  const canonical = canonicalString({ contentType: tamper.contentTypeSigned ?? contentType, contentMd5: md5, requestUri: tamper.signedUri ?? uri, date })
  const signature = hmacSignature(tamper.secret ?? DEMO_KIPU.secretKey, canonical)
  const headers: Record<string, string> = { accept: tamper.accept ?? ACCEPT, authorization: `APIAuth ${DEMO_KIPU.accessId}:${signature}` }
  if (!tamper.dropDate) headers.date = date
  if (text !== null) {
    headers['content-type'] = contentType
    headers['content-md5'] = tamper.md5 ?? md5
  }
  const res = await fetch(`${base}${uri}`, { method, headers, body: text ?? undefined })
  const raw = await res.text()
  return { status: res.status, body: raw ? JSON.parse(raw) : null }
}

const SEED_002 = {
  first_name: 'Test1',
  last_name: 'Test2',
  preferred_name: 'TJ',
  dob: '2000-01-01',
  marital_status: 'Single',
  location_id: '2',
  mr: '',
  phone: '+15133206417',
  alternate_phone: '+15131234567',
  address_street: '123 Oak St',
  address_street2: 'Unit B',
  address_city: 'Middletown',
  address_zip: '45044',
  address_state: 'OH',
  address_country: 'US',
  gender: 'Male',
  email: 'test1@example.com',
  first_contact_name: 'Dazos Main Line',
  first_contact_information: 'Phone Inquiry',
  first_contact_relationship: 'Self',
  referrer_id: '11',
  referrer_name: 'Recovery in the Ocean',
  admission_date: '2025-04-16 00:00:00',
  discharge_date: '',
  payment_method: 'Insurance',
}
const document = (data: Record<string, unknown>, recipient: string = DEMO_KIPU.appId) => ({ document: { recipient_id: recipient, sending_app_name: 'carebridge', data } })
const census = `/api/patients/census?app_id=${DEMO_KIPU.appId}&phi_level=high`

describe('KIPU simulator: APIAuth', () => {
  it('computes the documented canonical string and HMAC-SHA1 signature (vectors from openssl)', () => {
    expect(canonicalString({ contentType: 'application/json', contentMd5: 'VpofNeoRAzRvCD/YjO1mSw==', requestUri: '/api/patients', date: 'Wed, 06 Nov 2019 15:38:34 GMT' })).toBe(
      'application/json,VpofNeoRAzRvCD/YjO1mSw==,/api/patients,Wed, 06 Nov 2019 15:38:34 GMT',
    )
    expect(hmacSignature('test-secret-key', 'application/json,VpofNeoRAzRvCD/YjO1mSw==,/api/patients,Wed, 06 Nov 2019 15:38:34 GMT')).toBe('c0JXkBHNqhuFtHII9HlgCez63GY=')
    expect(hmacSignature('test-secret-key', ',,/api/patients/census?phi_level=high&app_id=42,Thu, 07 Nov 2019 20:08:59 GMT')).toBe('vAlkw+pC3HUUghYdM0cphGlYOJw=')
    expect(md5Base64('{"document":{"recipient_id":"42","data":{"first_name":"Test1"}}}')).toBe('Tbd9pnuneqjtkUNo2NWXyA==')
  })

  it('accepts a correctly signed read and refuses each tampering with 401 {"errors"}', async () => {
    expect((await call('GET', census)).status).toBe(200)
    const refused = [
      await call('GET', census, undefined, { secret: 'wrong-secret' }),
      await call('GET', census, undefined, { signedUri: `/api/patients/census?phi_level=high&app_id=${DEMO_KIPU.appId}` }),
      await call('GET', census, undefined, { dateOffsetMs: 16 * 60_000 }),
      await call('GET', census, undefined, { dateOffsetMs: -16 * 60_000 }),
      await call('GET', census, undefined, { dropDate: true }),
    ]
    for (const answer of refused) {
      expect(answer.status).toBe(401)
      expect(typeof answer.body.errors).toBe('string')
    }
    expect(refused[2]!.body.errors).toMatch(/15 minutes/)
    // Within the window is fine.
    expect((await call('GET', census, undefined, { dateOffsetMs: 14 * 60_000 })).status).toBe(200)
    const { refusals } = await (await fetch(`${base}/_sim/records`)).json()
    expect(refusals.map((r: { cause: string }) => r.cause)).toEqual(['bad_signature', 'bad_signature', 'clock_skew', 'clock_skew', 'missing_date'])
  })

  it('checks Content-MD5 against the raw body and signs the Content-Type', async () => {
    const body = document({ first_name: 'A', last_name: 'B' })
    const badMd5 = await call('POST', '/api/patients', body, { md5: md5Base64('{}') })
    expect(badMd5).toMatchObject({ status: 401, body: { errors: expect.stringMatching(/Content-MD5/) } })
    const otherType = await call('POST', '/api/patients', body, { contentTypeSigned: 'multipart/form-data' })
    expect(otherType.status).toBe(401)
    expect((await call('POST', '/api/patients', body)).status).toBe(201)
  })

  it('accepts X-Auth-Date instead of Date', async () => {
    const date = new Date().toUTCString()
    const signature = hmacSignature(DEMO_KIPU.secretKey, canonicalString({ contentType: '', contentMd5: '', requestUri: census, date }))
    const res = await fetch(`${base}${census}`, { headers: { accept: ACCEPT, 'x-auth-date': date, authorization: `APIAuth ${DEMO_KIPU.accessId}:${signature}` } })
    expect(res.status).toBe(200)
  })

  it('refuses another app id (403), a missing one (400) and another Accept header (406)', async () => {
    expect((await call('GET', '/api/patients/census?app_id=someone-else&phi_level=high')).status).toBe(403)
    expect((await call('GET', '/api/patients/census?phi_level=high')).status).toBe(400)
    expect((await call('POST', '/api/patients', document({ first_name: 'A', last_name: 'B' }, 'someone-else'))).status).toBe(403)
    expect((await call('GET', census, undefined, { accept: 'application/json' })).status).toBe(406)
  })

  it('follows the simulated clock: a skewed KIPU refuses the machine\u2019s Date', async () => {
    await fetch(`${base}/_sim/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ offsetMs: 20 * 60_000 }) })
    expect((await call('GET', census)).status).toBe(401)
    expect((await call('GET', census, undefined, { dateOffsetMs: 20 * 60_000 })).status).toBe(200)
  })
})

describe('KIPU simulator: patients', () => {
  it('creates the KIPU integration article\u2019s payload (201), PATCHes it, and reads it back in the pull shape', async () => {
    const created = await call('POST', '/api/patients', document({ ...SEED_002, sending_app_patient_id: 'crm-1', insurances_attributes: [{ insurance_company: 'Aetna', policy_no: 'A123456789', group_ID: 'GR987654321', insurance_type: 'Primary' }], patient_contacts_attributes: [{ full_name: 'Jane Doe', relationship: 'Mother', phone: '555-123-4567' }] }))
    expect(created.status).toBe(201)
    const { id, patient_master_id: master, casefile_id: casefile } = created.body
    expect(casefile).toBe(`${id}:${master}`)

    const patched = await call('PATCH', `/api/patients/${id}?patient_master_id=${master}`, document({ phone: '+15135550000', insurances_attributes: [{ insurance_company: 'Aetna', policy_no: 'A123456789', group_ID: 'GR2' }] }))
    expect(patched.status).toBe(200)
    expect(patched.body.patient).toMatchObject({ phone: '+15135550000', insurances: [{ member_id: 'A123456789', group_number: 'GR2' }] })

    const read = await call('GET', `/api/patients/${id}?patient_master_id=${master}&app_id=${DEMO_KIPU.appId}&phi_level=high`)
    expect(read.status).toBe(200)
    expect(read.body.patient).toMatchObject({
      casefile_id: casefile,
      sending_app_patient_id: 'crm-1',
      first_name: 'Test1',
      state: 'OH',
      address_country: 'United States',
      admission_date: '2025-04-16T07:00:00.000Z',
      mr_number: '',
      payment_method_category: '2',
      patient_contacts: [{ name: 'Jane Doe', relationship: 'Mother', phone: '555-123-4567' }],
    })
    const { patients } = await (await fetch(`${base}/_sim/records`)).json()
    expect(patients).toHaveLength(1)
    expect(patients[0].data).toMatchObject({ ...SEED_002, phone: '+15135550000' })
  })

  it('refuses unknown fields and wrong types with 422 naming each', async () => {
    const answer = await call('POST', '/api/patients', document({ first_name: 'A', last_name: 'B', favorite_color: 'blue', dob: '01/02/2000', gender: 'male', location_id: '99' }))
    expect(answer.status).toBe(422)
    expect(answer.body.errors).toContain('data.favorite_color is not a patient field')
    expect(answer.body.errors).toContain('data.dob must be a date as YYYY-MM-DD')
    expect(answer.body.errors).toMatch(/data\.gender must be one of: Male, Female/)
    expect(answer.body.errors).toMatch(/data\.location_id 99 is not a location/)
    expect((await call('POST', '/api/patients', document({ last_name: 'B' }))).body.errors).toBe('data.first_name is required')
  })

  it('PATCH and GET of an unknown chart answer 404', async () => {
    expect((await call('PATCH', '/api/patients/9999?patient_master_id=00000000-0000-4000-8000-000000000000', document({ phone: '+15135550000' }))).status).toBe(404)
    expect((await call('GET', `/api/patients/9999?patient_master_id=x&app_id=${DEMO_KIPU.appId}`)).status).toBe(404)
  })

  it('pages the census with string pagination and lists updates in a window (latest)', async () => {
    await fetch(`${base}/_sim/patients/seed`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ count: 45 }) })
    const first = await call('GET', `${census}&page=1&per=20`)
    expect(first.body.pagination).toEqual({ current_page: '1', total_pages: '3', records_per_page: '20', total_records: '45' })
    const last = await call('GET', `${census}&page=3&per=20`)
    expect(last.body.patients).toHaveLength(5)
    expect(last.body.patients[0]).toMatchObject({ mr_number: expect.stringMatching(/^DHR\d{4}-\d+$/), level_of_care: 'Residential' })
    expect((await call('GET', `${census}&per=101`)).status).toBe(400)

    const since = new Date(Date.now() - 60_000).toISOString()
    const latest = await call('GET', `/api/patients/latest?app_id=${DEMO_KIPU.appId}&phi_level=high&start_date=${encodeURIComponent(since)}&per=100`)
    expect(latest.body.pagination.total_records).toBe('45')
    const future = new Date(Date.now() + 60_000).toISOString()
    expect((await call('GET', `/api/patients/latest?app_id=${DEMO_KIPU.appId}&start_date=${encodeURIComponent(future)}`)).body.patients).toEqual([])
  })

  it('admits a chart through /_sim: MR number, admission and the KIPU integration article\u2019s post-admission fields', async () => {
    const created = await call('POST', '/api/patients', document({ first_name: 'A', last_name: 'B', dob: '1990-01-01', sending_app_patient_id: 'crm-2' }))
    const casefile = created.body.casefile_id
    const res = await fetch(`${base}/_sim/patients/${encodeURIComponent(casefile)}/admit`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ admission_date: '2025-04-28 00:00:00' }) })
    expect(await res.json()).toMatchObject({
      admission_date: '2025-04-28T07:00:00.000Z',
      mr_number: 'DHR2025-63',
      level_of_care: 'Residential',
      program: 'Substance Use',
      bed_name: 'A-101',
      room_name: '102',
      building_name: 'Main Building',
      discharge_or_transition_id: '4',
      discharge_or_transition_name: 'Outpatient Program',
      discharge_type: 'Planned',
      discharge_type_code: 'P01',
    })
  })

  it('serves the reference lists (locations, care levels, payors, referrers)', async () => {
    const app = `app_id=${DEMO_KIPU.appId}`
    expect((await call('GET', `/api/locations?${app}`)).body.locations).toContainEqual(expect.objectContaining({ location_id: 2 }))
    expect((await call('GET', `/api/care_levels?${app}`)).body.care_levels).toContainEqual({ id: 2, name: 'Residential' })
    expect((await call('GET', `/api/settings/payors?${app}`)).body.payors).toContainEqual(expect.objectContaining({ name: 'Aetna' }))
    expect((await call('GET', `/api/contacts/referrers?${app}`)).body.referrers).toContainEqual(expect.objectContaining({ id: 11, name: 'Recovery in the Ocean' }))
  })

  it('answers injected faults in KIPU\u2019s error shape', async () => {
    await fetch(`${base}/_sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ errorRate: 1, status: 503, count: 1 }) })
    expect(await call('GET', census)).toEqual({ status: 503, body: { errors: 'The service is overloaded with requests' } })
  })
})

describe('KIPU simulator: webhooks', () => {
  it('signs its deliveries with APIAuth and answers with the receiver\u2019s code and body', async () => {
    const received: { headers: Record<string, string>; body: string; url: string }[] = []
    const { createServer } = await import('node:http')
    const receiver = createServer((req, res) => {
      let body = ''
      req.on('data', (c) => (body += c))
      req.on('end', () => {
        received.push({ headers: req.headers as Record<string, string>, body, url: req.url! })
        res.writeHead(202, { 'content-type': 'application/json' }).end('{"ok":true}')
      })
    })
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r))
    const port = (receiver.address() as { port: number }).port
    try {
      const created = await call('POST', '/api/patients', document({ first_name: 'A', last_name: 'B' }))
      const url = `http://127.0.0.1:${port}/api/inbound/kipu/abc?x=1`
      const res = await fetch(`${base}/_sim/webhooks/send`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url, casefileId: created.body.casefile_id, event: 'Chart Update', eventId: 'evt-1' }) })
      expect(await res.json()).toEqual({ event_id: 'evt-1', http_code: 202, body: '{"ok":true}' })
      const [delivery] = received
      const body = JSON.parse(delivery!.body)
      expect(body).toMatchObject({ event_id: 'evt-1', event: 'Chart Update', casefile_id: created.body.casefile_id, app_id: DEMO_KIPU.appId })
      const expected = signApiAuth({ accessId: DEMO_KIPU.accessId, secretKey: DEMO_KIPU.secretKey, requestUri: '/api/inbound/kipu/abc?x=1', body: delivery!.body, now: Date.parse(delivery!.headers.date!) })
      expect(delivery!.headers.authorization).toBe(expected.authorization)
      expect(delivery!.headers['content-md5']).toBe(md5Base64(delivery!.body))
    } finally {
      receiver.close()
    }
  })
})
