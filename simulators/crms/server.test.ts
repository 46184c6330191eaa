import { createHash } from 'node:crypto'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createCrmsSimulator, DEMO_CRMS, type CrmsSimulator } from './server.js'

let sim: CrmsSimulator
let base: string

beforeAll(async () => {
  sim = createCrmsSimulator()
  base = await sim.listen(0)
})
afterAll(async () => {
  await sim.close()
})
beforeEach(async () => {
  await fetch(`${base}/_sim/reset`, { method: 'POST' })
})

async function call(method: string, path: string, body?: unknown, apiKey: string | null = DEMO_CRMS.apiKey): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = {}
  if (apiKey !== null) headers['x-api-key'] = apiKey
  if (body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : null }
}

const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n')
const referral = (overrides: Record<string, unknown> = {}) => ({
  external_id: 'ref_1001',
  registrant: {
    first_name: 'Amelia',
    middle_name: 'Rose',
    last_name: 'Tremblay',
    date_of_birth: '1988-04-12',
    gender: 'Female',
    address: '12 King St W',
    city: 'Hamilton',
    province: 'ON',
    country: 'Canada',
    postal_code: 'L8P 1A1',
    preferred_language: 'English',
    phone_home: '905-555-0134',
    phone_alt: null,
    email: 'amelia@example.com',
  },
  requester: { first_name: 'Dr. Priya', last_name: 'Shah', organization: 'Hamilton Family Health Team', phone: '905-555-0100' },
  appointment: { start: '2026-12-03T15:00:00Z', duration_minutes: 60, location: 'Main clinic', provider_full_name: 'Jordan Lee' },
  referral_note: 'Reason for referral: low mood',
  attachments: [{ filename: 'summary.pdf', content_type: 'application/pdf', data_base64: PDF.toString('base64') }],
  ...overrides,
})

describe('CRMS simulator: API key', () => {
  it('refuses a missing or wrong X-API-Key with 401 {"message"} and stores nothing', async () => {
    const missing = await call('POST', '/referrals', referral(), null)
    const wrong = await call('POST', '/referrals', referral(), 'nope')
    expect(missing).toMatchObject({ status: 401, body: { message: expect.stringMatching(/X-API-Key/) } })
    expect(wrong).toMatchObject({ status: 401, body: { message: expect.any(String) } })
    expect((await call('GET', '/referrals', undefined, 'nope')).status).toBe(401)
    const records = await (await fetch(`${base}/_sim/records`)).json()
    expect(records.referrals).toEqual([])
  })
})

describe('CRMS simulator: referrals', () => {
  it('files a referral (201 {id, status: new}), finds it by external_id and serves its attachment byte for byte', async () => {
    const created = await call('POST', '/referrals', referral())
    expect(created.status).toBe(201)
    expect(created.body).toEqual({ id: expect.stringMatching(/^crms_ref_/), status: 'new' })
    const { id } = created.body

    expect((await call('GET', '/referrals?external_id=ref_1001')).body).toEqual({ items: [{ id, external_id: 'ref_1001', status: 'new' }] })
    expect((await call('GET', '/referrals?external_id=ref_other')).body).toEqual({ items: [] })

    const read = await call('GET', `/referrals/${id}`)
    expect(read.body).toMatchObject({
      id,
      external_id: 'ref_1001',
      status: 'new',
      registrant: { first_name: 'Amelia', date_of_birth: '1988-04-12', postal_code: 'L8P 1A1' },
      requester: { organization: 'Hamilton Family Health Team' },
      appointment: { duration_minutes: 60 },
      referral_note: 'Reason for referral: low mood',
      revision: 1,
    })
    expect(read.body.registrant).not.toHaveProperty('phone_alt')
    expect(read.body.attachments).toEqual([
      { id: 'att_1', filename: 'summary.pdf', content_type: 'application/pdf', size_bytes: PDF.length, sha256: createHash('sha256').update(PDF).digest('hex') },
    ])
    const bytes = await fetch(`${base}/referrals/${id}/attachments/att_1`, { headers: { 'x-api-key': DEMO_CRMS.apiKey } })
    expect(bytes.headers.get('content-type')).toBe('application/pdf')
    expect(Buffer.from(await bytes.arrayBuffer()).equals(PDF)).toBe(true)
    expect((await call('GET', '/referrals/crms_ref_nope')).status).toBe(404)
  })

  it('answers 400 with one sentence naming the field: required, unknown, wrong type, bad value, bad base64', async () => {
    const { date_of_birth: _dob, ...noDob } = referral().registrant
    const cases: [unknown, string][] = [
      [referral({ registrant: noDob }), 'Date of birth is required'],
      [referral({ registrant: { ...referral().registrant, first_name: '  ' } }), 'First name is required'],
      [referral({ registrant: null }), 'First name is required'],
      [referral({ registrant: { ...referral().registrant, last_name: null } }), 'Last name is required'],
      [{ ...referral(), external_id: undefined }, 'external_id is required'],
      [referral({ registrant: { ...referral().registrant, ssn: '123' } }), 'registrant.ssn is not a CRMS referral field'],
      [referral({ favourite_colour: 'blue' }), 'favourite_colour is not a CRMS referral field'],
      [referral({ registrant: { ...referral().registrant, date_of_birth: '12/04/1988' } }), 'registrant.date_of_birth must be a date in YYYY-MM-DD format'],
      [referral({ registrant: { ...referral().registrant, date_of_birth: '2999-01-01' } }), 'registrant.date_of_birth cannot be in the future'],
      [referral({ registrant: { ...referral().registrant, first_name: 42 } }), 'registrant.first_name must be a string'],
      [referral({ registrant: { ...referral().registrant, email: 'not-an-email' } }), 'registrant.email must be an email address'],
      [referral({ appointment: { start: 'tomorrow' } }), expect.stringMatching(/^appointment\.start must be an ISO 8601 date-time/)],
      [referral({ appointment: { duration_minutes: '60' } }), 'appointment.duration_minutes must be a number'],
      [referral({ attachments: [{ filename: 'scan.png', content_type: 'image/png', data_base64: 'not base64!' }] }), 'Attachment "scan.png" data_base64 is not valid base64'],
      [referral({ attachments: [{ filename: 'scan.png', content_type: 'image/png', data_base64: '' }] }), 'Attachment "scan.png" data_base64 must not be empty'],
      [referral({ attachments: [{ filename: 'scan.png', content_type: 'png', data_base64: 'AAAA' }] }), 'Attachment "scan.png" content_type must be a media type such as application/pdf'],
      [referral({ attachments: [{ content_type: 'image/png', data_base64: 'AAAA' }] }), 'Attachment #1 filename must be a string'],
      [referral({ attachments: {} }), 'attachments must be a list'],
      [[referral()], 'The request body must be a JSON object'],
    ]
    for (const [body, message] of cases) {
      const answer = await call('POST', '/referrals', body)
      expect(answer, JSON.stringify(body).slice(0, 300)).toEqual({ status: 400, body: { message } })
    }
    expect(await call('POST', '/referrals', '{"external_id":')).toEqual({ status: 400, body: { message: 'The request body is not valid JSON' } })
    const records = await (await fetch(`${base}/_sim/records`)).json()
    expect(records.referrals).toEqual([])
    expect(records.refusals.map((r: { message: string }) => r.message)).toContain('Date of birth is required')
  })

  it('answers 409 with the existing id when the external_id is already filed', async () => {
    const first = await call('POST', '/referrals', referral())
    const again = await call('POST', '/referrals', referral())
    expect(again).toEqual({ status: 409, body: { message: expect.stringContaining('ref_1001'), id: first.body.id } })
    expect((await call('GET', '/referrals?external_id=ref_1001')).body.items).toHaveLength(1)
  })

  it('PATCH replaces sent fields, clears nulls, keeps the rest, adds only new attachments, and keeps required fields', async () => {
    const { id } = (await call('POST', '/referrals', referral())).body
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3])
    const patched = await call('PATCH', `/referrals/${id}`, {
      registrant: { phone_home: '905-555-0199', middle_name: null },
      appointment: { start: '2026-12-04T16:00:00Z' },
      referral_note: 'Reason for referral: low mood\nMessage: please call first',
      attachments: [
        { filename: 'summary.pdf', content_type: 'application/pdf', data_base64: PDF.toString('base64') },
        { filename: 'scan.png', content_type: 'image/png', data_base64: png.toString('base64') },
      ],
    })
    expect(patched.status).toBe(200)
    expect(patched.body.registrant).toMatchObject({ first_name: 'Amelia', phone_home: '905-555-0199' })
    expect(patched.body.registrant).not.toHaveProperty('middle_name')
    expect(patched.body.appointment).toEqual({ start: '2026-12-04T16:00:00Z', duration_minutes: 60, location: 'Main clinic', provider_full_name: 'Jordan Lee' })
    expect(patched.body.referral_note).toMatch(/please call first/)
    expect(patched.body.attachments.map((a: { filename: string }) => a.filename)).toEqual(['summary.pdf', 'scan.png'])
    expect(patched.body.revision).toBe(2)

    expect(await call('PATCH', `/referrals/${id}`, { registrant: { date_of_birth: null } })).toEqual({ status: 400, body: { message: 'Date of birth is required' } })
    expect(await call('PATCH', `/referrals/${id}`, { registrant: { nickname: 'Amy' } })).toEqual({ status: 400, body: { message: 'registrant.nickname is not a CRMS referral field' } })
    expect((await call('PATCH', '/referrals/crms_ref_nope', { referral_note: 'x' })).status).toBe(404)
    expect((await call('GET', `/referrals/${id}`)).body.revision).toBe(2)
  })

  it('refuses updates with 409 once CRMS staff accept the referral', async () => {
    const { id } = (await call('POST', '/referrals', referral())).body
    const accepted = await fetch(`${base}/_sim/referrals/${id}/accept`, { method: 'POST' })
    expect(accepted.status).toBe(200)
    expect(await accepted.json()).toMatchObject({ id, status: 'accepted', accepted_at: expect.any(String) })
    expect((await call('GET', '/referrals?external_id=ref_1001')).body.items[0].status).toBe('accepted')
    const patch = await call('PATCH', `/referrals/${id}`, { referral_note: 'late update' })
    expect(patch).toEqual({ status: 409, body: { message: `Referral ${id} was accepted in CRMS and can no longer be updated`, id } })
    expect((await fetch(`${base}/_sim/referrals/crms_ref_nope/accept`, { method: 'POST' })).status).toBe(404)
  })

  it('takes the /_sim faults: an injected 503 answers {"message"} and files nothing; a dropped answer still files', async () => {
    await fetch(`${base}/_sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ errorRate: 1, status: 503, count: 1, match: '^POST /referrals$' }) })
    expect(await call('POST', '/referrals', referral())).toEqual({ status: 503, body: { message: 'CRMS is temporarily unavailable' } })
    expect((await call('GET', '/referrals')).body.items).toEqual([])

    await fetch(`${base}/_sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ dropResponseRate: 1, count: 1, match: '^POST /referrals$' }) })
    await expect(call('POST', '/referrals', referral())).rejects.toThrow()
    // The lost answer's referral is there: a client looks it up by external_id instead of filing twice.
    expect((await call('GET', '/referrals?external_id=ref_1001')).body.items).toHaveLength(1)
  })
})
