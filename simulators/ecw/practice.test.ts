import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Bundle, CapabilityStatement, Patient } from '@medplum/fhirtypes'
import { createEcwSimulator, type EcwSimulator } from './server.js'
import { createTestKey, requestToken, serveJwks, signClientAssertion, type JwksServer, type TestKey } from './testing.js'

/**
 * The simulator's per-practice switches and controls: SMART v1/v2 scope semantics, writeback off,
 * identifiers that do not round-trip, refusals in an HTTP 200, absolute locations, 401 headers,
 * expired paging links, revoked tokens and ECW's own clock.
 */
const PRACTICE = 'FFBJCD'
const OUR_SYSTEM = 'urn:oid:2.16.840.1.113883.4.391.326070'

describe('ECW simulator: practice switches and controls', () => {
  let clock = Date.UTC(2031, 5, 1, 10, 0, 0)
  let sim: EcwSimulator
  let origin: string
  let base: string
  let tokenUrl: string
  let key: TestKey
  let jwks: JwksServer

  beforeAll(async () => {
    key = await createTestKey()
    jwks = await serveJwks([key.publicJwk])
    sim = createEcwSimulator({ now: () => clock, practices: [{ code: PRACTICE, clients: [] }] })
    origin = await sim.listen()
    base = sim.baseUrl(PRACTICE)
    tokenUrl = `${base}/oauth/oauth2/token`
  })
  afterAll(async () => {
    await sim.close()
    await jwks.close()
  })
  beforeEach(async () => {
    await post('/_sim/reset', {})
  })

  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${origin}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    return { status: response.status, body: (await response.json()) as Record<string, unknown> }
  }
  /** A bearer token for a client registered with exactly `scopes`. */
  const bearer = async (scopes: string[]) => {
    const clientId = `client-${Math.random().toString(36).slice(2, 8)}`
    sim.registerClient(PRACTICE, { clientId, jwksUrl: jwks.url, scopes })
    const response = await requestToken(tokenUrl, await signClientAssertion({ key, clientId, aud: tokenUrl, now: clock }), scopes.join(' '))
    expect(response.status, JSON.stringify(response.body)).toBe(200)
    return `Bearer ${String(response.body.access_token)}`
  }
  const call = async (authorization: string, method: string, path: string, body?: unknown) => {
    const response = await fetch(path.startsWith('http') ? path : `${base}${path}`, {
      method,
      headers: { authorization, ...(body ? { 'content-type': 'application/fhir+json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    })
    return { status: response.status, headers: response.headers, body: (await response.json()) as any }
  }
  const patient = (family: string, extra: Partial<Patient> = {}): Patient => ({
    resourceType: 'Patient',
    identifier: [{ system: OUR_SYSTEM, value: `crm-${family}` }],
    name: [{ family, given: ['Pat'] }],
    gender: 'female',
    birthDate: '1984-04-04',
    ...extra,
  })
  const transaction = (resource: Patient): Bundle => ({ resourceType: 'Bundle', type: 'transaction', entry: [{ resource, request: { method: 'POST', url: 'Patient' } }] })
  const anyPatientId = async () => {
    const token = await bearer(['system/Patient.rs'])
    return (await call(token, 'GET', '/Patient?_count=1')).body.entry[0].resource.id as string
  }

  describe('scopes under SMART v1/v2 semantics', () => {
    it('.r reads, .rs and .read read and search, .c only creates, .u only updates', async () => {
      const id = await anyPatientId()
      const r = await bearer(['system/Patient.r'])
      expect((await call(r, 'GET', `/Patient/${id}`)).status).toBe(200)
      expect((await call(r, 'GET', '/Patient?_count=1')).status).toBe(403)
      for (const scope of ['system/Patient.rs', 'system/Patient.read']) {
        const token = await bearer([scope])
        expect((await call(token, 'GET', `/Patient/${id}`)).status).toBe(200)
        expect((await call(token, 'GET', '/Patient?_count=1')).status).toBe(200)
        expect((await call(token, 'POST', '', transaction(patient(`Scope${scope.length}`)))).status).toBe(403)
      }
      const c = await bearer(['system/Patient.c'])
      expect((await call(c, 'GET', `/Patient/${id}`)).status).toBe(403)
      const created = await call(c, 'POST', '/Patient', patient('Creator'))
      expect(created.status).toBe(201)
      expect((await call(c, 'PUT', `/Patient/${created.body.id}`, { ...created.body, gender: 'male' })).status).toBe(403)
      const u = await bearer(['system/Patient.u'])
      expect((await call(u, 'PUT', `/Patient/${created.body.id}`, { ...created.body, gender: 'male' })).status).toBe(200)
      const refused = await call(u, 'POST', '/Patient', patient('Updater'))
      expect(refused.status).toBe(403)
      expect(refused.body.issue[0].diagnostics).toMatch(/create on Patient.*granting c/)
    })
  })

  describe('writeback switched off for a practice', () => {
    it('lists Patient as read/search in /metadata and refuses every write with 308 DEFAULT_WRITEBACK_USER_NOT_CONFIGURED', async () => {
      const token = await bearer(['system/Patient.rs', 'system/Patient.c', 'system/Patient.u'])
      const interactions = async () =>
        ((await (await fetch(`${base}/metadata`)).json()) as CapabilityStatement).rest?.[0]?.resource?.find((r) => r.type === 'Patient')?.interaction?.map((i) => i.code)
      expect(await interactions()).toEqual(expect.arrayContaining(['read', 'search-type', 'create', 'update']))

      expect((await post('/_sim/settings', { practice: PRACTICE, writeback: false })).body).toMatchObject({ settings: { writeback: false } })
      expect((await interactions())?.sort()).toEqual(['read', 'search-type'])
      const id = await anyPatientId()
      const current = (await call(token, 'GET', `/Patient/${id}`)).body
      for (const [method, path, body] of [
        ['POST', '', transaction(patient('Nowrite'))],
        ['POST', '/Patient', patient('Nowrite')],
        ['PUT', `/Patient/${id}`, current],
      ] as const) {
        const refused = await call(token, method, path, body)
        expect(refused.status).toBe(403)
        expect(refused.body).toMatchObject({ status: 308, key: 'DEFAULT_WRITEBACK_USER_NOT_CONFIGURED' })
      }
      expect((await call(token, 'GET', `/Patient/${id}`)).status).toBe(200)
      // /_sim/reset restores the practice's settings.
      await post('/_sim/reset', {})
      expect(await interactions()).toContain('create')
    })
  })

  describe('identifiers that do not round-trip', () => {
    it('keeps only ECW’s own identifiers on create and update when keepForeignIdentifiers is off; duplicates are still found by name and birth date', async () => {
      await post('/_sim/settings', { keepForeignIdentifiers: false })
      const token = await bearer(['system/Patient.rs', 'system/Patient.c', 'system/Patient.u'])
      const created = await call(token, 'POST', '', transaction(patient('Dropped')))
      expect(created.status).toBe(200)
      const stored = created.body.entry[0].resource as Patient
      expect(stored.identifier?.map((i) => i.system)).toEqual(['http://eclinicalworks.com/fhir/sid/account-number'])
      expect((await call(token, 'GET', `/Patient?identifier=${encodeURIComponent(`${OUR_SYSTEM}|crm-Dropped`)}`)).body.total).toBe(0)
      const updated = await call(token, 'PUT', `/Patient/${stored.id}`, { ...stored, identifier: [...(stored.identifier ?? []), { system: OUR_SYSTEM, value: 'crm-Dropped' }] })
      expect(updated.body.identifier.map((i: { system: string }) => i.system)).toEqual(['http://eclinicalworks.com/fhir/sid/account-number'])
      const again = await call(token, 'POST', '', transaction(patient('Dropped')))
      expect(again.body).toMatchObject({ status: 202, key: 'INVALID_PATIENT_ALREADY_EXIST' })
    })
  })

  describe('writeback answers', () => {
    it('answers every refusal with HTTP 200 and the code in the body when writebackErrorsAsHttp200 is on', async () => {
      const token = await bearer(['system/Patient.c'])
      expect((await call(token, 'POST', '', transaction(patient('Bad', { birthDate: '2999-01-01' })))).status).toBe(400)
      await post('/_sim/settings', { writebackErrorsAsHttp200: true })
      const refused = await call(token, 'POST', '', transaction(patient('Bad', { birthDate: '2999-01-01' })))
      expect(refused.status).toBe(200)
      expect(refused.body).toMatchObject({ status: 119, key: 'INVALID_PATIENT_DOB' })
    })

    it('answers absolute locations in the transaction-response when absoluteLocations is on', async () => {
      await post('/_sim/settings', { absoluteLocations: true })
      const token = await bearer(['system/Patient.c'])
      const created = await call(token, 'POST', '', transaction(patient('Absolute')))
      expect(created.body.entry[0].response.location).toMatch(new RegExp(`^${base}/Patient/[^/]+/_history/[^/]+$`))
      const direct = await call(token, 'POST', '/Patient', patient('Direct'))
      expect(direct.headers.get('location')).toMatch(new RegExp(`^${base}/Patient/${direct.body.id}/_history/[^/]+$`))
    })
  })

  describe('401 answers and revoked tokens', () => {
    it('answers 401 without WWW-Authenticate by default, with it when wwwAuthenticate is on', async () => {
      const plain = await fetch(`${base}/Patient`)
      expect(plain.status).toBe(401)
      expect(plain.headers.get('www-authenticate')).toBeNull()
      await post('/_sim/settings', { wwwAuthenticate: true })
      const challenged = await fetch(`${base}/Patient`)
      expect(challenged.status).toBe(401)
      expect(challenged.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/)
    })

    it('revokes live tokens through /_sim/tokens/revoke: their next use answers 401', async () => {
      const token = await bearer(['system/Patient.rs'])
      expect((await call(token, 'GET', '/Patient?_count=1')).status).toBe(200)
      expect((await post('/_sim/tokens/revoke', { practice: PRACTICE })).body.revoked).toBeGreaterThanOrEqual(1)
      expect((await call(token, 'GET', '/Patient?_count=1')).status).toBe(401)
    })
  })

  describe('paging links', () => {
    it('answers 410 (expired) or 400 (invalid) to the next requests that follow a paging link, never to a first page', async () => {
      const token = await bearer(['system/Patient.rs'])
      const first = await call(token, 'GET', '/Patient?_count=5')
      const next = first.body.link.find((l: { relation: string }) => l.relation === 'next').url as string
      expect((await post('/_sim/paging-faults', { status: 410, count: 1 })).status).toBe(200)
      expect((await call(token, 'GET', '/Patient?_count=5')).status).toBe(200)
      const expired = await call(token, 'GET', next)
      expect(expired.status).toBe(410)
      expect(expired.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [expect.objectContaining({ code: 'expired' })] })
      expect((await call(token, 'GET', next)).status).toBe(200)
      await post('/_sim/paging-faults', { status: 400, count: 2 })
      expect((await call(token, 'GET', next)).status).toBe(400)
      expect((await call(token, 'GET', next)).status).toBe(400)
      expect((await call(token, 'GET', next)).status).toBe(200)
      expect((await post('/_sim/paging-faults', { status: 404 })).status).toBe(400)
    })
  })

  describe('ECW’s clock', () => {
    it('dates every answer and counts the rate-limit minute by its own clock, offset from the caller’s', async () => {
      const limited = createEcwSimulator({ now: () => clock, ratePerMinute: 3, practices: [{ code: PRACTICE, clients: [] }] })
      const at = await limited.listen()
      try {
        clock = Date.UTC(2031, 5, 1, 10, 0, 0)
        const set = await fetch(`${at}/_sim/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ offsetMs: 30_000 }) })
        expect(await set.json()).toMatchObject({ clockOffsetMs: 30_000, now: '2031-06-01T10:00:30.000Z' })
        const metadata = `${at}/fhir/r4/${PRACTICE}/metadata`
        const first = await fetch(metadata)
        expect(first.headers.get('date')).toBe(new Date(clock + 30_000).toUTCString())
        expect((await fetch(metadata)).status).toBe(200)
        expect((await fetch(metadata)).status).toBe(200)
        expect((await fetch(metadata)).status).toBe(429)
        // Still 10:00 for the caller, already 10:01 for ECW: a new minute.
        clock += 30_000
        expect((await fetch(metadata)).status).toBe(200)
        expect((await fetch(`${at}/_sim/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"offsetMs":"soon"}' })).status).toBe(400)
      } finally {
        await limited.close()
      }
    })
  })

  it('refuses unknown settings with a 400 naming them', async () => {
    const response = await post('/_sim/settings', { writeback: 'no' })
    expect(response.status).toBe(400)
    expect(String(response.body.message)).toMatch(/writeback/)
    expect((await post('/_sim/settings', { practice: PRACTICE, colour: 'blue' })).status).toBe(400)
  })
})
