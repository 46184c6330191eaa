import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEcwSimulator, type EcwSimulator } from './server.js'
import { createTestKey, requestToken, serveJwks, signClientAssertion, type JwksServer, type TestKey } from './testing.js'

const PRACTICE = 'FFBJCD'
const READ_SCOPES = ['system/Patient.read', 'system/Patient.rs', 'system/Patient.r', 'system/Coverage.r']
const ALL_SCOPES = [...READ_SCOPES, 'system/Patient.c', 'system/Patient.u']

describe('ECW simulator: SMART backend services', () => {
  let clock = Date.UTC(2030, 0, 1, 0, 0, 5)
  let sim: EcwSimulator
  let origin: string
  let base: string
  let tokenUrl: string
  let key: TestKey
  let jwks: JwksServer

  beforeAll(async () => {
    key = await createTestKey()
    jwks = await serveJwks([key.publicJwk])
    sim = createEcwSimulator({
      now: () => clock,
      practices: [
        { code: PRACTICE, clients: [{ clientId: 'hub', jwksUrl: jwks.url, scopes: ALL_SCOPES }] },
        { code: 'OTHRCD', clients: [] },
      ],
    })
    origin = await sim.listen()
    base = `${origin}/fhir/r4/${PRACTICE}`
    tokenUrl = `${base}/oauth/oauth2/token`
    sim.registerClient(PRACTICE, { clientId: 'not-listed', jwksUrl: null, scopes: ALL_SCOPES })
    sim.registerClient(PRACTICE, { clientId: 'unreachable', jwksUrl: 'http://127.0.0.1:9/jwks.json', scopes: ALL_SCOPES })
    sim.registerClient(PRACTICE, { clientId: 'reader', jwksUrl: jwks.url, scopes: ['system/Patient.r', 'system/Patient.read'] })
  })
  afterAll(async () => {
    await sim.close()
    await jwks.close()
  })

  const assertion = (overrides: Partial<Parameters<typeof signClientAssertion>[0]> = {}) =>
    signClientAssertion({ key, clientId: 'hub', aud: tokenUrl, now: clock, ...overrides })
  const token = async (scope = 'system/Patient.read', overrides: Partial<Parameters<typeof signClientAssertion>[0]> = {}) =>
    requestToken(tokenUrl, await assertion(overrides), scope)

  it('serves the SMART configuration with this simulator as token endpoint', async () => {
    const response = await fetch(`${base}/.well-known/smart-configuration`)
    expect(response.status).toBe(200)
    const body = (await response.json()) as Record<string, unknown>
    expect(body.token_endpoint).toBe(tokenUrl)
    expect(body.issuer).toBe(base)
    expect(body.grant_types_supported).toContain('client_credentials')
    expect(body.token_endpoint_auth_methods_supported).toContain('private_key_jwt')
    expect(body.scopes_supported).toContain('system/Patient.rs')
  })

  it('serves ECW’s CapabilityStatement pointing at this simulator', async () => {
    const response = await fetch(`${base}/metadata`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toContain('application/fhir+json')
    const body = (await response.json()) as { resourceType: string; url: string; implementation: { url: string }; rest: Array<{ resource: Array<{ type: string }> }> }
    expect(body.resourceType).toBe('CapabilityStatement')
    expect(body.implementation.url).toBe(base)
    expect(body.rest[0]?.resource.map((r) => r.type)).toContain('Coverage')
    expect(JSON.stringify(body)).toContain(tokenUrl)
  })

  it('answers 404 with an OperationOutcome for an unknown practice code', async () => {
    for (const url of [`${origin}/fhir/r4/NOPE/metadata`, `${origin}/fhir/r4/NOPE/Patient`]) {
      const response = await fetch(url)
      expect(response.status).toBe(404)
      const body = (await response.json()) as { resourceType: string; issue: Array<{ diagnostics: string }> }
      expect(body.resourceType).toBe('OperationOutcome')
      expect(body.issue[0]?.diagnostics).toMatch(/Practice code NOPE not found/)
    }
    const tokenResponse = await requestToken(`${origin}/fhir/r4/NOPE/oauth/oauth2/token`, await assertion(), 'system/Patient.read')
    expect(tokenResponse.status).toBe(404)
  })

  it('issues a 5-minute bearer token without refresh token for a valid RS384 assertion', async () => {
    const response = await token('system/Patient.read system/Coverage.r')
    expect(response.status).toBe(200)
    expect(response.body).toMatchObject({ token_type: 'Bearer', expires_in: 300, scope: 'system/Patient.read system/Coverage.r' })
    expect(typeof response.body.access_token).toBe('string')
    expect(response.body.refresh_token).toBeUndefined()
    expect(response.headers.get('cache-control')).toBe('no-store')

    const patients = await fetch(`${base}/Patient?_count=1`, { headers: { authorization: `Bearer ${String(response.body.access_token)}` } })
    expect(patients.status).toBe(200)
  })

  describe('refuses', () => {
    it('an assertion signed with RS256 (invalid_grant)', async () => {
      const rs256 = await createTestKey('rs256-key', 'RS256')
      jwks.setKeys([key.publicJwk, rs256.publicJwk])
      const response = await requestToken(tokenUrl, await assertion({ key: rs256 }), 'system/Patient.read')
      jwks.setKeys([key.publicJwk])
      expect(response.status).toBe(400)
      expect(response.body).toMatchObject({ error: 'invalid_grant' })
      expect(String(response.body.error_description)).toMatch(/RS384/)
    })

    it('a kid that is not in the JWKS (invalid_client)', async () => {
      const response = await requestToken(tokenUrl, await assertion({ kid: 'someone-else' }), 'system/Patient.read')
      expect(response.status).toBe(401)
      expect(response.body).toMatchObject({ error: 'invalid_client' })
      expect(String(response.body.error_description)).toMatch(/kid someone-else/)
    })

    it('a signature made with another key under the right kid (invalid_client)', async () => {
      const impostor = await createTestKey(key.kid)
      const response = await requestToken(tokenUrl, await assertion({ key: impostor }), 'system/Patient.read')
      expect(response.status).toBe(401)
      expect(response.body).toMatchObject({ error: 'invalid_client' })
    })

    it('iss different from sub (invalid_client)', async () => {
      const response = await requestToken(tokenUrl, await assertion({ sub: 'somebody' }), 'system/Patient.read')
      expect(response.status).toBe(401)
      expect(response.body).toMatchObject({ error: 'invalid_client' })
      expect(String(response.body.error_description)).toMatch(/mismatch/)
    })

    it('an unknown client_id (invalid_client)', async () => {
      const response = await requestToken(tokenUrl, await assertion({ clientId: 'stranger' }), 'system/Patient.read')
      expect(response.status).toBe(401)
      expect(response.body).toMatchObject({ error: 'invalid_client' })
      expect(String(response.body.error_description)).toMatch(/No client_id found/)
    })

    it('an aud other than the token URL (invalid_grant)', async () => {
      const response = await requestToken(tokenUrl, await assertion({ aud: `${base}/token` }), 'system/Patient.read')
      expect(response.status).toBe(400)
      expect(response.body).toMatchObject({ error: 'invalid_grant' })
      expect(String(response.body.error_description)).toMatch(/aud/)
    })

    it('an exp more than 5 minutes ahead (invalid_grant)', async () => {
      const response = await requestToken(tokenUrl, await assertion({ expiresIn: 600 }), 'system/Patient.read')
      expect(response.status).toBe(400)
      expect(response.body).toMatchObject({ error: 'invalid_grant' })
      expect(String(response.body.error_description)).toMatch(/5 minutes/)
    })

    it('an expired assertion (invalid_grant)', async () => {
      const response = await requestToken(tokenUrl, await assertion({ expiresIn: -5 }), 'system/Patient.read')
      expect(response.status).toBe(400)
      expect(response.body).toMatchObject({ error: 'invalid_grant' })
      expect(String(response.body.error_description)).toMatch(/expired/)
    })

    it('an assertion without exp (invalid_grant)', async () => {
      const response = await requestToken(tokenUrl, await assertion({ noExp: true }), 'system/Patient.read')
      expect(response.status).toBe(400)
      expect(response.body).toMatchObject({ error: 'invalid_grant' })
    })

    it('a replayed jti (invalid_grant)', async () => {
      const first = await requestToken(tokenUrl, await assertion({ jti: 'jti-once' }), 'system/Patient.read')
      expect(first.status).toBe(200)
      const again = await requestToken(tokenUrl, await assertion({ jti: 'jti-once' }), 'system/Patient.read')
      expect(again.status).toBe(400)
      expect(again.body).toMatchObject({ error: 'invalid_grant' })
      expect(String(again.body.error_description)).toMatch(/jti/)
    })

    it('a client whose JWKS URL is not allow-listed (invalid_client)', async () => {
      const response = await requestToken(tokenUrl, await assertion({ clientId: 'not-listed' }), 'system/Patient.read')
      expect(response.status).toBe(401)
      expect(response.body).toMatchObject({ error: 'invalid_client' })
      expect(String(response.body.error_description)).toMatch(/not allow-listed/)
    })

    it('a jku header naming a JWKS URL that is not the allow-listed one (invalid_client)', async () => {
      const response = await requestToken(tokenUrl, await assertion({ jku: 'https://evil.example/jwks.json' }), 'system/Patient.read')
      expect(response.status).toBe(401)
      expect(String(response.body.error_description)).toMatch(/not allow-listed/)
    })

    it('a client whose JWKS URL is unreachable (invalid_client)', async () => {
      const response = await requestToken(tokenUrl, await assertion({ clientId: 'unreachable' }), 'system/Patient.read')
      expect(response.status).toBe(401)
      expect(response.body).toMatchObject({ error: 'invalid_client' })
      expect(String(response.body.error_description)).toMatch(/JWKS not reachable/)
    })

    it('a scope not registered for the client, or malformed (invalid_grant)', async () => {
      const notRegistered = await token('system/Encounter.read')
      expect(notRegistered.status).toBe(400)
      expect(notRegistered.body).toMatchObject({ error: 'invalid_grant' })
      const malformed = await token('system/Patient.fly')
      expect(malformed.status).toBe(400)
      expect(malformed.body).toMatchObject({ error: 'invalid_grant' })
    })

    it('any scope ECW does not advertise, even one registered for the client (invalid_grant naming it)', async () => {
      sim.registerClient(PRACTICE, { clientId: 'writer-v1', jwksUrl: jwks.url, scopes: ['system/Patient.read', 'system/Patient.write', 'system/Coverage.read'] })
      for (const scope of ['system/Patient.write', 'system/Coverage.read', 'system/Coverage.rs']) {
        const response = await requestToken(tokenUrl, await assertion({ clientId: 'writer-v1' }), `system/Patient.read ${scope}`)
        expect(response.status).toBe(400)
        expect(response.body).toMatchObject({ error: 'invalid_grant', error_description: expect.stringContaining(`${scope} is not supported`) })
      }
      // A user/ scope is advertised, but a client_credentials token acts for a system.
      const user = await token('user/Patient.read')
      expect(user.body).toMatchObject({ error: 'invalid_grant', error_description: expect.stringContaining('not a system/ scope') })
      expect((await requestToken(tokenUrl, await assertion({ clientId: 'writer-v1' }), 'system/Patient.read')).status).toBe(200)
    })

    it('another grant type (unsupported_grant_type) and missing parameters (invalid_request)', async () => {
      const form = async (fields: Record<string, string>) => {
        const response = await fetch(tokenUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(fields).toString(),
        })
        return { status: response.status, body: (await response.json()) as Record<string, unknown> }
      }
      expect(await form({ grant_type: 'password' })).toMatchObject({ status: 400, body: { error: 'unsupported_grant_type' } })
      expect(await form({ grant_type: 'client_credentials', scope: 'system/Patient.read' })).toMatchObject({
        status: 400,
        body: { error: 'invalid_request' },
      })
      const json = await fetch(tokenUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
      expect(json.status).toBe(400)
      expect(await json.json()).toMatchObject({ error: 'invalid_request' })
    })
  })

  describe('resource access', () => {
    const bearer = async (clientId = 'hub', scope = 'system/Patient.read') => {
      const response = await requestToken(tokenUrl, await assertion({ clientId }), scope)
      expect(response.status).toBe(200)
      return { authorization: `Bearer ${String(response.body.access_token)}` }
    }

    it('answers 401 with an OperationOutcome without, with an unknown, or with another practice’s token', async () => {
      const none = await fetch(`${base}/Patient`)
      expect(none.status).toBe(401)
      expect(none.headers.get('content-type')).toContain('application/fhir+json')
      expect(((await none.json()) as { resourceType: string }).resourceType).toBe('OperationOutcome')
      expect((await fetch(`${base}/Patient`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401)
      const headers = await bearer()
      expect((await fetch(`${origin}/fhir/r4/OTHRCD/Patient`, { headers })).status).toBe(401)
    })

    it('answers 401 once the token is older than 5 minutes', async () => {
      const headers = await bearer()
      expect((await fetch(`${base}/Patient?_count=1`, { headers })).status).toBe(200)
      clock += 301_000
      const expired = await fetch(`${base}/Patient?_count=1`, { headers })
      expect(expired.status).toBe(401)
      expect(JSON.stringify(await expired.json())).toMatch(/expired/)
    })

    it('answers 403 when the token’s scopes do not cover the interaction', async () => {
      const reader = await bearer('reader', 'system/Patient.r')
      const patients = (await (await fetch(`${base}/Patient?_count=1`, { headers: await bearer() })).json()) as { entry: Array<{ resource: { id: string } }> }
      const id = patients.entry[0]?.resource.id
      expect((await fetch(`${base}/Patient/${id}`, { headers: reader })).status).toBe(200)
      const search = await fetch(`${base}/Patient`, { headers: reader })
      expect(search.status).toBe(403)
      expect(((await search.json()) as { issue: Array<{ code: string }> }).issue[0]?.code).toBe('forbidden')
      expect((await fetch(`${base}/Coverage`, { headers: reader })).status).toBe(403)
      const write = await fetch(base, {
        method: 'POST',
        headers: { ...reader, 'content-type': 'application/fhir+json' },
        body: JSON.stringify({
          resourceType: 'Bundle',
          type: 'transaction',
          entry: [
            {
              resource: { resourceType: 'Patient', name: [{ family: 'Scope', given: ['Test'] }], gender: 'female', birthDate: '1990-01-01' },
              request: { method: 'POST', url: 'Patient' },
            },
          ],
        }),
      })
      expect(write.status).toBe(403)
    })
  })

  describe('rate limit', () => {
    it('answers 429 without Retry-After after 250 requests of one application in a clock minute, token endpoint included; the block covers the whole application', async () => {
      clock = Date.UTC(2030, 0, 1, 1, 0, 0)
      sim.registerClient('OTHRCD', { clientId: 'hub', jwksUrl: jwks.url, scopes: ALL_SCOPES })
      const first = await requestToken(tokenUrl, await assertion(), 'system/Patient.read')
      expect(first.status).toBe(200)
      const hub = { authorization: `Bearer ${String(first.body.access_token)}` }
      const other = { authorization: `Bearer ${String((await requestToken(tokenUrl, await assertion({ clientId: 'reader' }), 'system/Patient.r')).body.access_token)}` }
      for (let i = 2; i <= 250; i++) {
        const response = await fetch(`${base}/Patient?_count=1`, { headers: hub })
        expect(response.status).toBe(200)
      }
      const limited = await fetch(`${base}/Patient`, { headers: hub })
      expect(limited.status).toBe(429)
      expect(limited.headers.get('retry-after')).toBeNull()
      expect(((await limited.json()) as { issue: Array<{ code: string }> }).issue[0]?.code).toBe('throttled')
      clock += 30_000
      const tokenLimited = await requestToken(tokenUrl, await assertion(), 'system/Patient.read')
      expect(tokenLimited.status).toBe(429)
      expect(tokenLimited.headers.get('retry-after')).toBeNull()
      // "All requests from the application are blocked": at another practice too, whose counter is its own.
      const elsewhere = `${origin}/fhir/r4/OTHRCD/oauth/oauth2/token`
      expect((await requestToken(elsewhere, await assertion({ aud: elsewhere }), 'system/Patient.read')).status).toBe(429)
      // Another application, and callers that name none, are not blocked.
      expect((await fetch(`${base}/Patient/no-such-patient`, { headers: other })).status).toBe(404)
      expect((await fetch(`${base}/metadata`)).status).toBe(200)
      expect((await fetch(`${origin}/fhir/r4/OTHRCD/metadata`)).status).toBe(200)
      const records = (await (await fetch(`${origin}/_sim/records`)).json()) as { practices: Record<string, { rateLimit: { byApplication: Record<string, number>; blocked: unknown[] } }> }
      expect(records.practices[PRACTICE]?.rateLimit.blocked).toEqual([{ application: 'client hub', exceededAt: PRACTICE }])

      clock = Date.UTC(2030, 0, 1, 1, 1, 0)
      expect((await fetch(`${base}/Patient?_count=1`, { headers: hub })).status).toBe(200)
      expect((await requestToken(tokenUrl, await assertion(), 'system/Patient.read')).status).toBe(200)
    })
  })
})
