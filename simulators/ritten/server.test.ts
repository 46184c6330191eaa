import { afterEach, describe, expect, it } from 'vitest'
import { createRittenSimulator, DEMO_RITTEN, RITTEN_SEEDED_PAYERS, type RittenSimulatorOptions } from './server.js'

const running: { close(): Promise<void> }[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((sim) => sim.close()))
})

const T0 = Date.parse('2026-03-02T09:00:00Z')
const HOUR = 3_600_000

/** A simulator on a free port with a clock the test moves, plus small HTTP helpers. */
async function startRitten(options: RittenSimulatorOptions = {}) {
  let clock = T0
  const sim = createRittenSimulator({ now: () => clock, ...options })
  running.push(sim)
  const base = await sim.listen(0)
  const origin = base.replace(/\/v1$/, '')

  const requestToken = (body: Record<string, string>, form = false) =>
    fetch(`${base}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json' },
      body: form ? new URLSearchParams(body).toString() : JSON.stringify(body),
    })
  const goodTokenBody = {
    grant_type: 'client_credentials',
    client_id: DEMO_RITTEN.clientId,
    client_secret: DEMO_RITTEN.clientSecret,
    audience: DEMO_RITTEN.audience,
  }
  const token = async (): Promise<string> => {
    const response = await requestToken(goodTokenBody)
    expect(response.status).toBe(200)
    return ((await response.json()) as { access_token: string }).access_token
  }
  // One token request for any number of concurrent calls: the token endpoint has its own limit.
  let bearer: Promise<string> | null = null
  const api = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    bearer ??= token()
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${await bearer}`,
        'x-ritten-tenant': DEMO_RITTEN.tenant,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    })
    const text = await response.text()
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null }
  }
  const control = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${origin}${path}`, {
      method,
      ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
    })
    return { status: response.status, body: await response.json() }
  }
  return {
    base,
    origin,
    advance: (ms: number) => {
      clock += ms
    },
    requestToken,
    goodTokenBody,
    token,
    api,
    /** Makes the next `api` call fetch a new token (after a reset). */
    forgetToken: () => {
      bearer = null
    },
    control,
  }
}

const AETNA = RITTEN_SEEDED_PAYERS.find((p) => p.payerIdentifier === '60054')!
const CIGNA = RITTEN_SEEDED_PAYERS.find((p) => p.payerIdentifier === '62308')!

describe('POST /v1/oauth/token', () => {
  it('issues a Bearer token from a JSON or a form body', async () => {
    const ritten = await startRitten()
    const json = await ritten.requestToken(ritten.goodTokenBody)
    expect(json.status).toBe(200)
    const grant = await json.json()
    expect(grant).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 86400, scope: '' })

    const form = await ritten.requestToken(ritten.goodTokenBody, true)
    expect(form.status).toBe(200)
    expect(((await form.json()) as { access_token: string }).access_token).toBe(grant.access_token)
  })

  it('answers each malformed or rejected request with its OAuth error', async () => {
    const ritten = await startRitten()
    const cases: [Record<string, string>, number, string][] = [
      [{ grant_type: 'client_credentials', client_id: DEMO_RITTEN.clientId, audience: DEMO_RITTEN.audience }, 400, 'invalid_request'],
      [{ ...ritten.goodTokenBody, grant_type: 'password' }, 400, 'unsupported_grant_type'],
      [{ ...ritten.goodTokenBody, audience: 'https://external-api.beta.ritten.io' }, 400, 'invalid_audience'],
      [{ ...ritten.goodTokenBody, client_secret: 'wrong' }, 401, 'invalid_client'],
      [{ ...ritten.goodTokenBody, client_id: 'someone-else' }, 401, 'invalid_client'],
    ]
    for (const [body, status, error] of cases) {
      const response = await ritten.requestToken(body, true)
      expect(response.status).toBe(status)
      const answer = (await response.json()) as { error: string; error_description: string }
      expect(answer.error).toBe(error)
      expect(answer.error_description).toEqual(expect.any(String))
    }
    const missing = await ritten.requestToken({ grant_type: 'client_credentials' })
    expect(((await missing.json()) as { error_description: string }).error_description).toMatch(/client_id, client_secret, audience/)
    expect((await ritten.control('GET', '/_sim/records')).body.tokens).toEqual({ requests: 6, mints: 0 })
  })

  it('serves the cached token until it expires, counting requests and mints', async () => {
    const ritten = await startRitten()
    const first = await ritten.token()
    ritten.advance(HOUR)
    const again = await ritten.requestToken(ritten.goodTokenBody)
    const grant = (await again.json()) as { access_token: string; expires_in: number }
    expect(grant.access_token).toBe(first)
    expect(grant.expires_in).toBe(86400 - 3600)
    expect((await ritten.control('GET', '/_sim/records')).body.tokens).toEqual({ requests: 2, mints: 1 })

    ritten.advance(23 * HOUR)
    expect(await ritten.token()).not.toBe(first)
    expect((await ritten.control('GET', '/_sim/records')).body.tokens).toEqual({ requests: 3, mints: 2 })
  })

  it('refuses a mint over the quota of 2 per hour and 3 per day with 429 rate_limit_exceeded', async () => {
    const ritten = await startRitten({ tokenTtlSeconds: 60 })
    await ritten.token() // mint 1 at T0
    ritten.advance(61_000)
    await ritten.token() // mint 2
    ritten.advance(61_000)
    const hourly = await ritten.requestToken(ritten.goodTokenBody)
    expect(hourly.status).toBe(429)
    expect(hourly.headers.get('retry-after')).toBeNull()
    expect(await hourly.json()).toMatchObject({ error: 'rate_limit_exceeded', error_description: expect.stringMatching(/per hour/) })

    ritten.advance(HOUR)
    await ritten.token() // mint 3: the first two left the hour window
    ritten.advance(61_000)
    const daily = await ritten.requestToken(ritten.goodTokenBody)
    expect(daily.status).toBe(429)
    expect(await daily.json()).toMatchObject({ error: 'rate_limit_exceeded', error_description: expect.stringMatching(/per day/) })

    ritten.advance(24 * HOUR)
    expect((await ritten.requestToken(ritten.goodTokenBody)).status).toBe(200)
    expect((await ritten.control('GET', '/_sim/records')).body.tokens).toEqual({ requests: 6, mints: 4 })
  })
})

describe('the token endpoint\u2019s own request limit', () => {
  it('answers 429 rate_limit_exceeded beyond 10 token requests from one address, cache hits and refused credentials included, and refills one every 6 s', async () => {
    const ritten = await startRitten()
    const first = await ritten.token() // the one mint
    // Nine more: five served from the cache, four refused for their secret. All count.
    for (let i = 0; i < 5; i += 1) expect(await ritten.token()).toBe(first)
    for (let i = 0; i < 4; i += 1) expect((await ritten.requestToken({ ...ritten.goodTokenBody, client_secret: 'wrong' })).status).toBe(401)

    const limited = await ritten.requestToken(ritten.goodTokenBody)
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBeNull()
    expect(await limited.json()).toEqual({ error: 'rate_limit_exceeded', error_description: expect.stringMatching(/Too many token requests/) })
    expect((await ritten.control('GET', '/_sim/records')).body.tokens).toEqual({ requests: 11, mints: 1 })

    ritten.advance(5_999)
    expect((await ritten.requestToken(ritten.goodTokenBody)).status).toBe(429)
    ritten.advance(6_000)
    expect(await ritten.token()).toBe(first)
    expect((await ritten.requestToken(ritten.goodTokenBody)).status).toBe(429)

    // The API's own bucket is separate: calls with the token go on.
    const call = await fetch(`${ritten.base}/insurance/payers`, { headers: { authorization: `Bearer ${first}`, 'x-ritten-tenant': DEMO_RITTEN.tenant } })
    expect(call.status).toBe(200)
    // A reset empties the record of token requests too.
    await ritten.control('POST', '/_sim/reset')
    expect((await ritten.requestToken(ritten.goodTokenBody)).status).toBe(200)
  })

  it('takes its figures from the options', async () => {
    const ritten = await startRitten({ tokenRequestLimit: { capacity: 2, refillPerSecond: 1 } })
    expect((await ritten.requestToken(ritten.goodTokenBody)).status).toBe(200)
    expect((await ritten.requestToken(ritten.goodTokenBody)).status).toBe(200)
    expect((await ritten.requestToken(ritten.goodTokenBody)).status).toBe(429)
    ritten.advance(1000)
    expect((await ritten.requestToken(ritten.goodTokenBody)).status).toBe(200)
  })
})

describe('authentication and tenant', () => {
  it('answers 401 without, with an unknown or with an expired Bearer token', async () => {
    const ritten = await startRitten({ tokenTtlSeconds: 60 })
    const none = await fetch(`${ritten.base}/insurance/payers`, { headers: { 'x-ritten-tenant': DEMO_RITTEN.tenant } })
    expect(none.status).toBe(401)
    expect(await none.json()).toEqual({ message: expect.stringMatching(/Bearer/) })

    const unknown = await ritten.api('GET', '/insurance/payers', undefined, { authorization: 'Bearer not-a-token' })
    expect(unknown).toMatchObject({ status: 401, body: { message: 'Invalid access token' } })

    expect((await ritten.api('GET', '/insurance/payers')).status).toBe(200)
    ritten.advance(60_000)
    const expired = await ritten.api('GET', '/insurance/payers')
    expect(expired.status).toBe(401)
    expect(expired.body.message).toMatch(/expired/)
  })

  it('answers 400 without X-Ritten-Tenant and 403 for another tenant', async () => {
    const ritten = await startRitten()
    const missing = await ritten.api('GET', '/insurance/payers', undefined, { 'x-ritten-tenant': '' })
    expect(missing).toMatchObject({ status: 400, body: { message: expect.stringMatching(/X-Ritten-Tenant/) } })
    const wrong = await ritten.api('GET', '/insurance/payers', undefined, { 'x-ritten-tenant': 'otherclinic' })
    expect(wrong).toMatchObject({ status: 403, body: { message: expect.stringMatching(/otherclinic/) } })
  })

  it('honours custom credentials and tenant', async () => {
    const ritten = await startRitten({ clientId: 'c1', clientSecret: 's1', tenant: 'ritclinic' })
    const response = await ritten.requestToken({ ...ritten.goodTokenBody, client_id: 'c1', client_secret: 's1' })
    expect(response.status).toBe(200)
    const { access_token } = (await response.json()) as { access_token: string }
    const answer = await fetch(`${ritten.base}/insurance/payers`, {
      headers: { authorization: `Bearer ${access_token}`, 'x-ritten-tenant': 'ritclinic' },
    })
    expect(answer.status).toBe(200)
  })
})

describe('rate limit', () => {
  it('answers 429 once the bucket of 100 is empty, and refills at 50 per second', async () => {
    const ritten = await startRitten() // the clock stands still until advanced
    const burst = await Promise.all(Array.from({ length: 100 }, () => ritten.api('GET', '/insurance/payers')))
    expect(burst.every((r) => r.status === 200)).toBe(true)
    const refused = await ritten.api('GET', '/insurance/payers')
    expect(refused).toMatchObject({ status: 429, body: { message: 'Too Many Requests' } })
    expect(refused.headers.get('retry-after')).toBeNull()

    ritten.advance(1000)
    const refill = await Promise.all(Array.from({ length: 51 }, () => ritten.api('GET', '/insurance/payers')))
    expect(refill.filter((r) => r.status === 200)).toHaveLength(50)
    expect(refill.filter((r) => r.status === 429)).toHaveLength(1)
  })

  it('lets every call through with apiRateLimit: null (the bench-only lift), but still checks the token', async () => {
    const ritten = await startRitten({ apiRateLimit: null })
    const calls = await Promise.all(Array.from({ length: 250 }, () => ritten.api('GET', '/insurance/payers')))
    expect(calls.filter((r) => r.status !== 200)).toEqual([])
    expect((await ritten.api('GET', '/insurance/payers', undefined, { authorization: 'Bearer unknown' })).status).toBe(401)
  })
})

describe('patients', () => {
  const fullPatch = {
    name: { middle: 'Quinn', pronouns: 'she/her', chosenName: 'Jo' },
    dob: '1988-07-14',
    ssn: '123-45-6789',
    externalId: 'crm-42',
    demographics: {
      race: ['White', 'Asian'],
      raceOther: ['Filipino'],
      ethnicity: ['Not Hispanic or Latino'],
      ethnicityOther: [],
      preferredLanguage: 'English',
      sex: 'Female',
      gender: ['Female'],
      genderDetail: '',
      sexualOrientation: 'Don’t know',
      sexualOrientationDetail: '',
      maritalStatus: 'Unmarried',
    },
    emails: ['jo@example.com'],
    phones: ['+15555550100', '+15555550101'],
    addresses: [
      { use: 'HOME', line: '1 Main St', line2: 'Apt 2', city: 'Albany', region: 'new york', postalCode: '12207', country: 'United States' },
      { use: 'WORK', line: '10 Rue X', city: 'Paris', region: 'Île-de-France', postalCode: '75001', country: 'FR' },
    ],
    referrals: [
      {
        referralTypeId: '15b57ab4-9247-468e-85db-d86f7897207f',
        organizationId: '66c2350d-a532-4d19-b063-24570269ef50',
        personId: 'e330e20b-b075-48c2-9432-c66a75c5d436',
        isPrimary: true,
      },
    ],
    insurance: [
      {
        payerId: AETNA.id,
        orderNumber: 1,
        groupNumber: 'G-100',
        memberIdentifier: 'W987650001',
        rxBIN: '610502',
        rxPCN: 'AETNA',
        rxGroup: 'RX01',
        startDate: '2026-01-01',
        expirationDate: '2026-12-31',
        notSubscriber: true,
        comments: 'Primary through employer',
        providerPhoneNumber: '+18005550000',
        firstName: 'Sam',
        lastName: 'Doe',
        address: '1 Main St',
        city: 'Albany',
        state: 'NY',
        postalCode: '12207',
        subscriberPhoneNumber: '+15555550199',
        birthDate: '1960-01-31',
        sex: 'Male',
        relationship: 'The Beneficiary is a child of the Subscriber',
      },
    ],
  }

  it('creates a prospective patient with an MRN, applies every PATCH field and reads it back', async () => {
    const ritten = await startRitten()
    const created = await ritten.api('POST', '/patients', { name: { first: 'Joanna', last: 'Doe' }, dob: '1988-07-15' })
    expect(created.status).toBe(200)
    expect(created.body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/) })
    const id: string = created.body.id

    const fresh = await ritten.api('GET', `/patients/${id}`)
    expect(fresh.body).toMatchObject({
      id,
      mrn: 'MRN-000001',
      programStatus: 'prospective',
      createdAt: new Date(T0).toISOString(),
      addresses: [],
      insurance: [],
    })

    const patched = await ritten.api('PATCH', `/patients/${id}`, fullPatch)
    expect(patched.status).toBe(200)
    const patient = patched.body
    expect(patient).toMatchObject({
      id,
      mrn: 'MRN-000001',
      externalId: 'crm-42',
      dob: '1988-07-14',
      name: { first: 'Joanna', middle: 'Quinn', last: 'Doe', pronouns: 'she/her', chosenName: 'Jo' },
      demographics: fullPatch.demographics,
      emails: fullPatch.emails,
      phones: fullPatch.phones,
      referrals: [{ id: expect.any(String), ...fullPatch.referrals[0] }],
      insurance: [{ id: expect.any(String), ...fullPatch.insurance[0] }],
    })
    expect(patient.addresses).toEqual([
      { ...fullPatch.addresses[0], id: expect.any(String), region: 'NY', country: 'US' },
      { ...fullPatch.addresses[1], id: expect.any(String) },
    ])
    expect(patient).not.toHaveProperty('ssn')

    const read = await ritten.api('GET', `/patients/${id}`)
    expect(read.body).toEqual(patient)
    const records = (await ritten.control('GET', '/_sim/records')).body
    expect(records.patients).toEqual([{ ...patient, ssnOnFile: true }])
    expect(JSON.stringify(records)).not.toContain('123-45-6789')
    expect(JSON.stringify(records)).not.toContain('123456789')
  })

  it('leaves omitted fields alone, merges name and demographics, replaces phones and updates entries by id', async () => {
    const ritten = await startRitten()
    const { id } = (await ritten.api('POST', '/patients', { name: { first: 'Ann', last: 'Lee' } })).body
    const first = (await ritten.api('PATCH', `/patients/${id}`, fullPatch)).body
    const [homeId, workId] = first.addresses.map((a: { id: string }) => a.id)
    const insuranceId: string = first.insurance[0].id

    const second = await ritten.api('PATCH', `/patients/${id}`, {
      name: { last: 'Lee-Park' },
      demographics: { maritalStatus: 'Married', race: ['Decline to Specify'] },
      phones: ['+15555550999'],
      addresses: [{ id: homeId, use: 'HOME', line: '2 Main St', region: 'ca' }, { use: 'OTHER', city: 'Austin', region: 'Texas' }],
      insurance: [{ id: insuranceId, payerId: CIGNA.id, orderNumber: 2 }],
    })
    expect(second.status).toBe(200)
    expect(second.body.name).toEqual({ first: 'Ann', middle: 'Quinn', last: 'Lee-Park', pronouns: 'she/her', chosenName: 'Jo' })
    expect(second.body.dob).toBe('1988-07-14')
    expect(second.body.emails).toEqual(['jo@example.com'])
    expect(second.body.phones).toEqual(['+15555550999'])
    expect(second.body.demographics).toEqual({ ...fullPatch.demographics, maritalStatus: 'Married', race: ['Decline to Specify'] })
    // The home address is updated in place (fields it omits are gone), the work address the PATCH
    // did not mention stays, and the address without an id is added after them.
    expect(second.body.addresses).toEqual([
      { id: homeId, use: 'HOME', line: '2 Main St', region: 'CA' },
      { ...fullPatch.addresses[1], id: workId },
      { id: expect.not.stringMatching(new RegExp(`${homeId}|${workId}`)), use: 'OTHER', city: 'Austin', region: 'TX' },
    ])
    expect(second.body.insurance).toEqual([{ id: insuranceId, payerId: CIGNA.id, orderNumber: 2 }])
    expect(second.body.referrals).toEqual(first.referrals)
  })

  it('adds an address, referral or insurance entry sent without an id, updates one sent with its id, and never removes one', async () => {
    const ritten = await startRitten()
    const { id } = (await ritten.api('POST', '/patients', { name: { first: 'Ann', last: 'Lee' } })).body
    const referral = { referralTypeId: 'type-1', organizationId: 'org-1', isPrimary: true }
    const first = (
      await ritten.api('PATCH', `/patients/${id}`, {
        addresses: [{ use: 'HOME', line: '1 Main St', city: 'Albany', region: 'NY' }],
        referrals: [referral],
        insurance: [{ payerId: AETNA.id, orderNumber: 1, memberIdentifier: 'W1' }],
      })
    ).body
    const [address] = first.addresses
    const [savedReferral] = first.referrals
    const [policy] = first.insurance

    // The same entries again without ids are new entries: a client that never sends ids
    // duplicates them on every PATCH.
    const resent = (
      await ritten.api('PATCH', `/patients/${id}`, {
        addresses: [{ use: 'HOME', line: '1 Main St', city: 'Albany', region: 'NY' }],
        referrals: [referral],
        insurance: [{ payerId: AETNA.id, orderNumber: 1, memberIdentifier: 'W1' }],
      })
    ).body
    expect(resent.addresses).toHaveLength(2)
    expect(resent.referrals).toHaveLength(2)
    expect(resent.insurance).toHaveLength(2)
    expect(resent.addresses[0]).toEqual(address)
    expect(new Set(resent.insurance.map((i: { id: string }) => i.id)).size).toBe(2)

    // With their ids they are updated in place: no new entry.
    const updated = (
      await ritten.api('PATCH', `/patients/${id}`, {
        addresses: [{ ...address, line: '9 Elm St' }],
        referrals: [{ ...savedReferral, isPrimary: false }],
        insurance: [{ ...policy, memberIdentifier: 'W2' }],
      })
    ).body
    expect(updated.addresses).toHaveLength(2)
    expect(updated.addresses[0]).toEqual({ ...address, line: '9 Elm St' })
    expect(updated.referrals[0]).toEqual({ ...savedReferral, isPrimary: false })
    expect(updated.insurance[0]).toEqual({ ...policy, memberIdentifier: 'W2' })
    expect(updated.insurance[1]).toEqual(resent.insurance[1])

    // An empty list, or leaving the field out, removes nothing: the spec has no way to remove an entry.
    const emptied = await ritten.api('PATCH', `/patients/${id}`, { addresses: [], referrals: [], insurance: [] })
    expect(emptied.status).toBe(200)
    expect(emptied.body.addresses).toEqual(updated.addresses)
    expect(emptied.body.referrals).toEqual(updated.referrals)
    expect(emptied.body.insurance).toEqual(updated.insurance)

    // An id the patient does not have, or the same id twice, is refused and changes nothing.
    const unknown = await ritten.api('PATCH', `/patients/${id}`, { referrals: [{ id: 'gone', isPrimary: true }] })
    expect(unknown).toMatchObject({ status: 400, body: { message: 'Invalid ID or payload supplied', errors: [{ path: 'referrals[0].id', message: expect.stringMatching(/gone/) }] } })
    const twice = await ritten.api('PATCH', `/patients/${id}`, {
      insurance: [
        { id: policy.id, payerId: AETNA.id, memberIdentifier: 'W3' },
        { id: policy.id, payerId: AETNA.id, memberIdentifier: 'W4' },
      ],
    })
    expect(twice).toMatchObject({ status: 400, body: { errors: [{ path: 'insurance[1].id', message: expect.stringMatching(/more than once/) }] } })
    expect((await ritten.api('GET', `/patients/${id}`)).body.insurance).toEqual(updated.insurance)
  })

  it('rejects invalid payloads with a 400 naming each bad field, and changes nothing', async () => {
    const ritten = await startRitten()
    const badCreate = await ritten.api('POST', '/patients', { name: { first: 'A' }, dob: '2023-02-30', mrn: 'X' })
    expect(badCreate.status).toBe(400)
    expect(badCreate.body.message).toBe('Invalid payload supplied')
    expect(badCreate.body.errors).toEqual([
      { path: 'dob', message: expect.stringMatching(/YYYY-MM-DD/) },
      { path: 'mrn', message: 'unknown field' },
    ])
    const noName = await ritten.api('POST', '/patients', { dob: '1990-01-01' })
    expect(noName.body.errors).toEqual([{ path: 'name', message: 'is required' }])
    expect((await ritten.api('POST', '/patients', { name: { first: 'A' }, dob: '1990-1-01' })).status).toBe(400)

    const { id } = (await ritten.api('POST', '/patients', { name: { first: 'Ann' } })).body
    const badPatch = await ritten.api('PATCH', `/patients/${id}`, {
      dob: '19900101',
      ssn: '12-345-678',
      demographics: { race: ['Caucasian'], sex: 'F', gender: ['Woman'], sexualOrientation: "Don't know", maritalStatus: 'Single', ethnicity: ['Latino'] },
      addresses: [{ use: 'home', region: 'Narnia', zip: '1' }],
      referrals: [{ isPrimary: 'yes' }],
      insurance: [
        { payerId: '00000000-0000-4000-8000-000000000000', orderNumber: 1.5, notSubscriber: 'no', startDate: '2026-13-01', relationship: 'Child' },
        { orderNumber: '1' },
      ],
      phones: '+15555550100',
    })
    expect(badPatch.status).toBe(400)
    expect(badPatch.body.message).toBe('Invalid ID or payload supplied')
    const paths = (badPatch.body.errors as { path: string }[]).map((e) => e.path).sort()
    expect(paths).toEqual(
      [
        'dob',
        'ssn',
        'demographics.race[0]',
        'demographics.sex',
        'demographics.gender[0]',
        'demographics.sexualOrientation',
        'demographics.maritalStatus',
        'demographics.ethnicity[0]',
        'addresses[0].use',
        'addresses[0].zip',
        'referrals[0].isPrimary',
        'insurance[0].payerId',
        'insurance[0].orderNumber',
        'insurance[0].notSubscriber',
        'insurance[0].startDate',
        'insurance[0].relationship',
        'insurance[1].payerId',
        'insurance[1].orderNumber',
        'phones',
      ].sort(),
    )
    const payerError = badPatch.body.errors.find((e: { path: string }) => e.path === 'insurance[0].payerId')
    expect(payerError.message).toContain('00000000-0000-4000-8000-000000000000')

    const region = await ritten.api('PATCH', `/patients/${id}`, { addresses: [{ region: 'Narnia', country: 'USA' }] })
    expect(region.body.errors).toEqual([{ path: 'addresses[0].region', message: expect.stringMatching(/2-letter/) }])
    const staleId = await ritten.api('PATCH', `/patients/${id}`, { addresses: [{ id: 'gone', city: 'X' }] })
    expect(staleId.body.errors).toEqual([{ path: 'addresses[0].id', message: expect.stringMatching(/gone/) }])
    const nulls = await ritten.api('PATCH', `/patients/${id}`, { dob: null })
    expect(nulls.body.errors).toEqual([{ path: 'dob', message: 'must be a string' }])

    expect((await ritten.api('GET', `/patients/${id}`)).body).toMatchObject({ name: { first: 'Ann' }, addresses: [], phones: [] })
    expect(await ritten.api('PATCH', '/patients/9b0c1b4e-0000-4000-8000-000000000000', { dob: '1990-01-01' })).toMatchObject({
      status: 404,
      body: { message: 'Patient not found' },
    })
    expect((await ritten.api('PATCH', '/patients/not-a-uuid', {})).status).toBe(400)
    expect((await ritten.api('GET', '/patients/not-a-uuid')).status).toBe(400)
    expect((await ritten.api('GET', '/patients/9b0c1b4e-0000-4000-8000-000000000000')).status).toBe(404)
  })

  it('refuses a patient without a first or last name, a birth date in the future and a blank externalId', async () => {
    const ritten = await startRitten() // the clock stands at 2026-03-02T09:00Z
    const invalid = async (body: unknown) => {
      const answer = await ritten.api('POST', '/patients', body)
      expect(answer.status, JSON.stringify(body)).toBe(400)
      expect(answer.body.message).toBe('Invalid payload supplied')
      return answer.body.errors
    }
    expect(await invalid({ name: {} })).toEqual([{ path: 'name', message: 'must have a first or a last name' }])
    expect(await invalid({ name: { first: '  ', middle: 'Q', chosenName: 'Jo' } })).toEqual([{ path: 'name', message: 'must have a first or a last name' }])
    // At 09:00 UTC it is 23:00 on March 2 in UTC+14, the earliest time zone: March 3 has not begun anywhere.
    expect(await invalid({ name: { first: 'Ann' }, dob: '2026-03-03' })).toEqual([{ path: 'dob', message: expect.stringMatching(/must not be in the future/) }])
    expect(await invalid({ name: { first: 'Ann' }, dob: '2090-01-01' })).toEqual([{ path: 'dob', message: expect.stringMatching(/future/) }])
    expect(await invalid({ name: { first: 'Ann' }, externalId: ' ' })).toEqual([{ path: 'externalId', message: 'must not be blank' }])
    expect((await ritten.control('GET', '/_sim/records')).body.patients).toEqual([])

    // An hour later March 3 has begun in UTC+14: a baby born there today is accepted. A last name alone is a name.
    ritten.advance(HOUR)
    expect((await ritten.api('POST', '/patients', { name: { last: 'Lee' }, dob: '2026-03-03' })).status).toBe(200)
    const { id } = (await ritten.api('POST', '/patients', { name: { first: 'Ann' }, dob: '1990-01-01' })).body

    // A PATCH may not leave the patient without a name or give it a future birth date.
    const unnamed = await ritten.api('PATCH', `/patients/${id}`, { name: { first: '' } })
    expect(unnamed).toMatchObject({ status: 400, body: { message: 'Invalid ID or payload supplied', errors: [{ path: 'name', message: expect.stringMatching(/first or a last name/) }] } })
    const future = await ritten.api('PATCH', `/patients/${id}`, {
      dob: '2027-01-01',
      externalId: '',
      insurance: [{ payerId: AETNA.id, birthDate: '2030-05-05' }],
    })
    expect(future.status).toBe(400)
    expect(future.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['dob', 'externalId', 'insurance[0].birthDate'])
    expect((await ritten.api('GET', `/patients/${id}`)).body).toMatchObject({ name: { first: 'Ann' }, dob: '1990-01-01', insurance: [] })
    // Renaming works when a name remains.
    expect((await ritten.api('PATCH', `/patients/${id}`, { name: { first: '', last: 'Lee' } })).body.name).toEqual({ first: '', last: 'Lee' })
  })

  it('is not idempotent: the same externalId twice makes two patients; lookup by externalId finds one', async () => {
    const ritten = await startRitten()
    const a = (await ritten.api('POST', '/patients', { name: { first: 'Ann' }, externalId: 'crm-7' })).body.id
    const b = (await ritten.api('POST', '/patients', { name: { first: 'Ann' }, externalId: 'crm-7' })).body.id
    expect(a).not.toBe(b)
    const found = await ritten.api('GET', '/patients/external/crm-7')
    expect(found).toMatchObject({ status: 200, body: { id: a, externalId: 'crm-7', mrn: 'MRN-000001' } })
    expect(await ritten.api('GET', '/patients/external/crm-8')).toMatchObject({ status: 404, body: { message: 'Patient not found' } })
    expect((await ritten.control('GET', '/_sim/records')).body.patients).toHaveLength(2)
  })

  it('lists patients by program status, 20 at most per page, in creation order', async () => {
    const ritten = await startRitten()
    const ids: string[] = []
    for (let i = 0; i < 25; i += 1) {
      ritten.advance(1000)
      ids.push((await ritten.api('POST', '/patients', { name: { first: `P${i}` } })).body.id)
    }
    const page1 = await ritten.api('GET', '/patients?programStatus=prospective')
    expect(page1.body.meta).toEqual({ count: 20, totalCount: 25 })
    expect(page1.body.patients.map((p: { id: string }) => p.id)).toEqual(ids.slice(0, 20))
    expect(page1.body.patients[0]).not.toHaveProperty('insurance')
    const page2 = await ritten.api('GET', '/patients?programStatus=prospective&limit=10&offset=20')
    expect(page2.body.meta).toEqual({ count: 5, totalCount: 25 })
    expect(page2.body.patients.map((p: { id: string }) => p.id)).toEqual(ids.slice(20))

    const tooMany = await ritten.api('GET', '/patients?programStatus=prospective&limit=21')
    expect(tooMany).toMatchObject({ status: 400, body: { errors: [{ path: 'limit' }] } })
    expect((await ritten.api('GET', '/patients')).body.errors).toEqual([{ path: 'programStatus', message: 'is required' }])
    expect((await ritten.api('GET', '/patients?programStatus=admitted')).status).toBe(400)
    expect((await ritten.api('GET', '/patients?programStatus=active&offset=-1')).status).toBe(400)

    expect((await ritten.api('GET', '/patients?programStatus=active')).body).toEqual({ meta: { count: 0, totalCount: 0 }, patients: [] })
    expect((await ritten.control('POST', `/_sim/patients/${ids[3]}/program-status`, { programStatus: 'active' })).status).toBe(200)
    const active = await ritten.api('GET', '/patients?programStatus=active')
    expect(active.body.patients.map((p: { id: string }) => p.id)).toEqual([ids[3]])
  })
})

describe('insurance payers', () => {
  it('lists the seeded payers with their fixed ids and finds each by id', async () => {
    const ritten = await startRitten()
    const list = await ritten.api('GET', '/insurance/payers')
    expect(list.status).toBe(200)
    expect(list.body).toEqual(RITTEN_SEEDED_PAYERS)
    expect(list.body.map((p: { payerIdentifier: string }) => p.payerIdentifier)).toEqual(['60054', '00621', '62308', '87726', '61101'])
    expect(await ritten.api('GET', `/insurance/payers/${AETNA.id}`)).toMatchObject({ status: 200, body: { name: 'Aetna' } })
    expect(await ritten.api('GET', '/insurance/payers/9b0c1b4e-0000-4000-8000-000000000000')).toMatchObject({
      status: 404,
      body: { message: 'Insurance payer not found' },
    })
    expect((await ritten.api('GET', '/insurance/payers/aetna')).status).toBe(400)
  })
})

describe('/_sim controls', () => {
  it('performs a create whose response is dropped', async () => {
    const ritten = await startRitten()
    await ritten.api('GET', '/insurance/payers') // mint the token before the fault is set
    const set = await ritten.control('POST', '/_sim/faults', { dropResponseRate: 1, count: 1, match: '^POST /v1/patients$' })
    expect(set.status).toBe(200)
    await expect(ritten.api('POST', '/patients', { name: { first: 'Lost' }, externalId: 'crm-drop' })).rejects.toThrow()
    const found = await ritten.api('GET', '/patients/external/crm-drop')
    expect(found).toMatchObject({ status: 200, body: { name: { first: 'Lost' } } })
  })

  it('answers an injected 500 without creating anything', async () => {
    const ritten = await startRitten()
    await ritten.control('POST', '/_sim/faults', { errorRate: 1, status: 500, count: 1, match: '^POST /v1/patients$' })
    expect((await ritten.api('POST', '/patients', { name: { first: 'A' } })).status).toBe(500)
    expect((await ritten.control('GET', '/_sim/records')).body.patients).toHaveLength(0)
    expect((await ritten.api('POST', '/patients', { name: { first: 'A' } })).status).toBe(200)
  })

  it('resets patients and token state but keeps the payers', async () => {
    const ritten = await startRitten()
    await ritten.api('POST', '/patients', { name: { first: 'A' } })
    const before = (await ritten.control('GET', '/_sim/records')).body
    expect(before.patients).toHaveLength(1)
    expect(before.tokens).toEqual({ requests: 1, mints: 1 })

    expect((await ritten.control('POST', '/_sim/reset')).status).toBe(200)
    const after = (await ritten.control('GET', '/_sim/records')).body
    expect(after).toEqual({ patients: [], payers: RITTEN_SEEDED_PAYERS, tokens: { requests: 0, mints: 0 } })
    expect((await ritten.api('GET', '/insurance/payers')).status).toBe(401) // the old token is gone
    ritten.forgetToken()
    const { id } = (await ritten.api('POST', '/patients', { name: { first: 'B' } })).body
    expect((await ritten.control('GET', '/_sim/records')).body.patients[0]).toMatchObject({ id, mrn: 'MRN-000001' })
  })
})
