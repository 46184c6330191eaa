import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Webhook } from 'standardwebhooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../src/db/database.js'
import { createApiKey } from '../src/security/apiKeys.js'
import { FAILURE_LIMIT } from '../src/security/signInLimiter.js'
import { createRittenSimulator, DEMO_RITTEN, type RittenSimulator } from '../simulators/ritten/server.js'
import { ADMIN_KEY, createTestDatabase, startHub, waitFor, type RunningHub } from './harness.js'
import { connectRitten } from './rittenHelpers.js'
import { fillPath, operationsOf, routeName, type Operation } from './openapiRoutes.js'

/**
 * Who may call what, for every route of the OpenAPI document, from one table: no key → 401,
 * a staff key where an admin is needed → 403, staff never see credentials or the PHI in exchange
 * bodies, and a second organization's keys never read or change the first's records. A route
 * the document has and the table does not classify fails the test: a new route must say who may
 * call it. Last, guessing keys from one address is slowed and audited, good keys unaffected.
 */

/** The least role a route needs, and what a second organization's admin gets when it names the first's records. */
type Role = 'public' | 'staff' | 'admin'
/**
 * - `hidden`: the first organization's record is not found (404), or refused as a reference (400);
 * - `own`: answers with the caller's own organization's data (a list, a new record) — none of the first's;
 * - `shared`: the installation's, not an organization's (connectors, the caller's own session).
 */
type OtherOrg = 'hidden' | 'own' | 'shared'

interface Fixture {
  accountId: string
  patientId: string
  connectionId: string
  exchangeId: string
  jobId: string
  throwawayKeyId: () => Promise<string>
  rittenUrl: string
  subscriptionId: string
  throwawaySubscriptionId: () => Promise<string>
  referralId: string
}

/** One line per route: role, what another organization gets, and a body that passes validation (so the answer is about access). */
const ROUTES: Record<string, { role: Role; otherOrg: OtherOrg; body?: (f: Fixture) => unknown; params?: (f: Fixture) => Promise<Record<string, string>> | Record<string, string> }> = {
  'POST /api/accounts': { role: 'staff', otherOrg: 'own', body: () => ({ name: 'Access household' }) },
  'GET /api/accounts': { role: 'staff', otherOrg: 'own' },
  'GET /api/accounts/{id}': { role: 'staff', otherOrg: 'hidden' },
  'PATCH /api/accounts/{id}': { role: 'staff', otherOrg: 'hidden', body: () => ({ name: 'Rivera household' }) },
  'POST /api/patients': { role: 'staff', otherOrg: 'hidden', body: (f) => ({ firstName: 'Other', lastName: 'Org', accountId: f.accountId }) },
  'GET /api/patients': { role: 'staff', otherOrg: 'own' },
  'GET /api/patients/{id}': { role: 'staff', otherOrg: 'hidden' },
  'PATCH /api/patients/{id}': { role: 'staff', otherOrg: 'hidden', body: () => ({ preferredName: 'Ana' }) },
  'POST /api/patients/{id}/push': { role: 'admin', otherOrg: 'hidden', body: (f) => ({ connectionId: f.connectionId }) },
  'PUT /api/patients/{id}/links/{connectionId}': { role: 'admin', otherOrg: 'hidden', body: () => ({ externalId: null }) },
  'GET /api/conflicts': { role: 'staff', otherOrg: 'own' },
  'POST /api/conflicts/{id}/review': { role: 'staff', otherOrg: 'hidden', body: () => ({}) },
  'GET /api/patients/{id}/preview': { role: 'admin', otherOrg: 'hidden' },
  'GET /api/connectors': { role: 'staff', otherOrg: 'shared' },
  'GET /api/connections': { role: 'staff', otherOrg: 'own' },
  'POST /api/connections': {
    role: 'admin',
    otherOrg: 'own',
    body: (f) => ({ connector: 'ritten', name: 'Access probe', enabled: false, baseUrl: f.rittenUrl, settings: { clientId: DEMO_RITTEN.clientId, tenant: DEMO_RITTEN.tenant }, credentials: { clientSecret: DEMO_RITTEN.clientSecret } }),
  },
  'GET /api/connections/{id}': { role: 'staff', otherOrg: 'hidden' },
  'PATCH /api/connections/{id}': { role: 'admin', otherOrg: 'hidden', body: () => ({ name: 'Ritten test clinic' }) },
  'POST /api/connections/{id}/test': { role: 'admin', otherOrg: 'hidden' },
  'GET /api/connections/{id}/capabilities': { role: 'staff', otherOrg: 'hidden' },
  'POST /api/connections/{id}/pull': { role: 'admin', otherOrg: 'hidden' },
  'GET /api/connections/{id}/reference-values': { role: 'staff', otherOrg: 'hidden' },
  'GET /api/connections/{id}/waiting': { role: 'staff', otherOrg: 'hidden' },
  'GET /api/connections/{id}/unmapped-pulled-values': { role: 'staff', otherOrg: 'hidden' },
  'GET /api/connections/{id}/mappings': { role: 'staff', otherOrg: 'hidden' },
  'PUT /api/connections/{id}/mappings': { role: 'admin', otherOrg: 'hidden', body: () => ({}) },
  'GET /api/exchanges': { role: 'staff', otherOrg: 'own' },
  'GET /api/exchanges/{id}': { role: 'staff', otherOrg: 'hidden' },
  'POST /api/exchanges/{id}/replay': { role: 'admin', otherOrg: 'hidden' },
  'GET /api/jobs': { role: 'staff', otherOrg: 'own' },
  'GET /api/links': { role: 'staff', otherOrg: 'own' },
  'GET /api/jobs/{id}': { role: 'staff', otherOrg: 'hidden' },
  'POST /api/keys': { role: 'admin', otherOrg: 'own', body: () => ({ name: 'access probe', role: 'staff' }) },
  'GET /api/keys': { role: 'admin', otherOrg: 'own' },
  'DELETE /api/keys/{id}': { role: 'admin', otherOrg: 'hidden', params: async (f) => ({ id: await f.throwawayKeyId() }) },
  'GET /api/audit': { role: 'admin', otherOrg: 'own' },
  'POST /api/session': { role: 'public', otherOrg: 'shared' },
  'GET /api/session': { role: 'staff', otherOrg: 'shared' },
  'DELETE /api/session': { role: 'staff', otherOrg: 'shared' },
  'GET /api/connection-health': { role: 'staff', otherOrg: 'own' },
  'GET /api/exchange-timeline': { role: 'staff', otherOrg: 'own' },
  'GET /api/crm-fields': { role: 'staff', otherOrg: 'own' },
  'GET /api/connections/{id}/unmapped-values': { role: 'staff', otherOrg: 'hidden' },
  'POST /api/inbound/{connector}/{connectionId}': { role: 'public', otherOrg: 'shared' },
  'GET /api/referrals': { role: 'staff', otherOrg: 'own' },
  'GET /api/referrals/{id}': { role: 'staff', otherOrg: 'hidden' },
  'GET /api/referrals/{id}/attachments/{attachment}': { role: 'staff', otherOrg: 'hidden', params: (f) => ({ id: f.referralId, attachment: '1' }) },
  'POST /api/referrals/{id}/accept': { role: 'staff', otherOrg: 'hidden' },
  'POST /api/referrals/{id}/convert': { role: 'staff', otherOrg: 'hidden' },
  'GET /api/referral-deliveries': { role: 'staff', otherOrg: 'own' },
  'GET /api/event-types': { role: 'admin', otherOrg: 'shared' },
  'GET /api/event-subscriptions': { role: 'admin', otherOrg: 'own' },
  'POST /api/event-subscriptions': { role: 'admin', otherOrg: 'own', body: () => ({ url: 'http://127.0.0.1:9/access-probe', events: ['patient.linked'], enabled: false }) },
  'GET /api/event-subscriptions/{id}': { role: 'admin', otherOrg: 'hidden' },
  'PATCH /api/event-subscriptions/{id}': { role: 'admin', otherOrg: 'hidden', body: () => ({ description: 'first organization hook' }) },
  'DELETE /api/event-subscriptions/{id}': { role: 'admin', otherOrg: 'hidden', params: async (f) => ({ id: await f.throwawaySubscriptionId() }) },
  'POST /api/event-subscriptions/{id}/rotate-secret': { role: 'admin', otherOrg: 'hidden' },
  'POST /api/event-subscriptions/{id}/test': { role: 'admin', otherOrg: 'hidden' },
  'GET /api/event-subscriptions/{id}/deliveries': { role: 'admin', otherOrg: 'hidden' },
}

let hub: RunningHub
let sim: RittenSimulator
let database: Awaited<ReturnType<typeof createTestDatabase>>
let dataDir: string
let operations: Operation[]
let fixture: Fixture
const keys = { staff: '', otherAdmin: `cbk_other_admin_${randomUUID()}`, otherStaff: `cbk_other_staff_${randomUUID()}` }
/** Text that only the first organization's records hold: none of it may reach the second organization. */
let firstOrgMarkers: string[]
const PATIENT = { firstName: 'Ana', lastName: 'Zubiri-Quintana', dob: '1987-03-14', phone: '555-867-5309', customFields: { firstOrgOnlyField: 'x' } }

beforeAll(async () => {
  sim = createRittenSimulator()
  const rittenUrl = await sim.listen(0)
  database = await createTestDatabase()
  dataDir = mkdtempSync(join(tmpdir(), 'carebridge-access-'))
  // Both organizations before the hub starts: it takes the older one as its own (and gives it
  // the admin key); the second has keys of its own, made with the hub's own helper.
  const seeded = await openDatabase({ databaseUrl: database?.url, dataDir })
  try {
    const first = randomUUID()
    const second = randomUUID()
    await seeded.db.insertInto('organizations').values({ id: first, name: 'First clinic', created_at: new Date('2020-01-01T00:00:00Z') }).execute()
    await seeded.db.insertInto('organizations').values({ id: second, name: 'Second clinic', created_at: new Date('2020-01-02T00:00:00Z') }).execute()
    await createApiKey(seeded.db, { organizationId: second, name: 'second admin', role: 'admin', key: keys.otherAdmin })
    await createApiKey(seeded.db, { organizationId: second, name: 'second staff', role: 'staff', key: keys.otherStaff })
  } finally {
    await seeded.close()
  }
  hub = await startHub({ dataDir, databaseUrl: database?.url })

  const connection = await connectRitten(hub, rittenUrl)
  const account = await hub.api('POST', '/api/accounts', { name: 'Rivera household' })
  const patient = await hub.api('POST', '/api/patients', { ...PATIENT, accountId: account.body.id })
  expect(patient.status).toBe(201)
  keys.staff = (await hub.api('POST', '/api/keys', { name: 'first staff', role: 'staff' })).body.key
  const exchange = await waitFor('the push to Ritten to be logged', async () => {
    const list = await hub.api('GET', `/api/exchanges?patientId=${patient.body.id}&limit=50`)
    // The call that sent the patient: its body (as an admin sees it) holds the name.
    for (const item of list.body.items ?? []) {
      if (!item.jobId) continue
      const detail = await hub.api('GET', `/api/exchanges/${item.id}`)
      if (JSON.stringify(detail.body.requestBody ?? '').includes(PATIENT.lastName)) return item
    }
    return null
  })
  fixture = {
    accountId: account.body.id,
    patientId: patient.body.id,
    connectionId: connection.id,
    exchangeId: exchange.id,
    jobId: exchange.jobId,
    rittenUrl,
    throwawayKeyId: async () => (await hub.api('POST', '/api/keys', { name: 'throwaway', role: 'staff' })).body.id,
    referralId: await firstOrgReferral(),
    subscriptionId: (await hub.api('POST', '/api/event-subscriptions', { url: 'http://127.0.0.1:9/first-org', events: ['patient.linked'], enabled: false })).body.id,
    throwawaySubscriptionId: async () => (await hub.api('POST', '/api/event-subscriptions', { url: 'http://127.0.0.1:9/throwaway', events: ['patient.linked'], enabled: false })).body.id,
  }
  firstOrgMarkers = [account.body.id, patient.body.id, connection.id, exchange.id, exchange.jobId, PATIENT.lastName, 'firstOrgOnlyField', 'Rivera household', 'Ritten test clinic', 'first staff', fixture.subscriptionId, '/first-org']
  operations = operationsOf((await hub.api('GET', '/api/openapi.json')).body)
})

/** A referral in the first organization's inbox: a Caredove connection and one signed event. */
async function firstOrgReferral(): Promise<string> {
  const secret = `whsec_${Buffer.from('access-test-caredove-secret-0123').toString('base64')}`
  const connection = await hub.api('POST', '/api/connections', { connector: 'caredove', name: 'Caredove access', baseUrl: 'https://www.caredove.com', settings: { serviceListingIds: ['sl_access'], preset: 'at_the_start' }, credentials: { signingSecret: secret } })
  expect(connection.status, JSON.stringify(connection.body)).toBe(201)
  const eventId = `evt_${randomUUID()}`
  const raw = JSON.stringify({
    event: 'received',
    event_id: eventId,
    occurred_at: new Date().toISOString(),
    service_listing_id: 'sl_access',
    referral: { id: 'ref_access', status: 'open', sub_status: 'received', registrant: { first_name: 'Ana', last_name: 'Zubiri-Quintana', dob: '1987-03-14' }, requester: null, appointment: null, form_fields: [], attachments: [], messages: [] },
  })
  const at = new Date()
  const res = await fetch(`${hub.url}/api/inbound/caredove/${connection.body.id}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'webhook-id': eventId, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new Webhook(secret).sign(eventId, at, raw) },
    body: raw,
  })
  const answer = (await res.json()) as { accepted?: { referralId?: string }[] }
  expect(res.status, JSON.stringify(answer)).toBeLessThan(300)
  const referralId = answer.accepted?.[0]?.referralId
  expect(referralId, JSON.stringify(answer)).toMatch(/^[0-9a-f-]{36}$/)
  return referralId!
}

afterAll(async () => {
  await hub?.stop()
  await sim?.close()
  await database?.drop()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

interface Answer {
  status: number
  text: string
  headers: Headers
}

async function call(op: Operation, key: string | null): Promise<Answer> {
  const line = ROUTES[routeName(op)]!
  const params = line.params ? await line.params(fixture) : paramsOf(op)
  const body = line.body?.(fixture)
  const query = routeName(op) === 'GET /api/patients/{id}/preview' ? `?connectionId=${fixture.connectionId}` : ''
  const res = await fetch(`${hub.url}${fillPath(op.path, params)}${query}`, {
    method: op.method,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body !== undefined || routeName(op) === 'POST /api/session' ? { 'content-type': 'application/json' } : {}) },
    // Sign-in takes the key in the body (none sent without one: an unknown key would count as a guess).
    body: body !== undefined ? JSON.stringify(body) : routeName(op) === 'POST /api/session' && key ? JSON.stringify({ key }) : undefined,
  })
  return { status: res.status, text: await res.text(), headers: res.headers }
}

/** The first organization's records for the path's parameters (a conflict none: there is none). */
function paramsOf(op: Operation): Record<string, string> {
  const segments = op.path.split('/')
  const params: Record<string, string> = {}
  for (const [i, segment] of segments.entries()) {
    const name = /^\{(\w+)\}$/.exec(segment)?.[1]
    if (!name) continue
    const collection = name === 'connectionId' ? 'connections' : segments[i - 1]
    params[name] =
      name === 'connector'
        ? 'ritten'
        : ({ accounts: fixture.accountId, patients: fixture.patientId, connections: fixture.connectionId, exchanges: fixture.exchangeId, jobs: fixture.jobId, inbound: fixture.connectionId, 'event-subscriptions': fixture.subscriptionId, referrals: fixture.referralId } as Record<string, string>)[collection ?? ''] ??
          randomUUID()
  }
  return params
}

describe('the access table', () => {
  it('classifies every route of the OpenAPI document, and only those', () => {
    const documented = operations.map(routeName).sort()
    const unclassified = documented.filter((r) => !(r in ROUTES))
    expect(unclassified, 'routes the access table does not classify yet: add a line to ROUTES for each').toEqual([])
    expect(Object.keys(ROUTES).filter((r) => !documented.includes(r)), 'lines of ROUTES for routes the document no longer has').toEqual([])
  })

  it('the role each route needs is what the document says it needs: no key → 401 (the public ones excepted), staff → 403 where an admin is needed', { timeout: 300_000 }, async () => {
    for (const op of operations) {
      const line = ROUTES[routeName(op)]
      if (!line) continue
      const anonymous = await call(op, null)
      if (line.role === 'public') {
        expect(anonymous.status, `${routeName(op)} is public`).not.toBe(403)
        expect(anonymous.status).toBeLessThan(500)
      } else {
        expect(anonymous.status, `${routeName(op)} without a key: ${anonymous.text}`).toBe(401)
        expect(JSON.parse(anonymous.text).message).toMatch(/API key/)
      }
      const staff = await call(op, keys.staff)
      expect(staff.status, `${routeName(op)} with a staff key: ${staff.text}`).toBeLessThan(500)
      if (line.role === 'admin') expect(staff.status, `${routeName(op)} needs an admin: ${staff.text}`).toBe(403)
      else expect([401, 403], `${routeName(op)} is open to staff: ${staff.text}`).not.toContain(staff.status)
      // Secrets reach no one, an admin reading included: not the connection's credentials, not an API key.
      const admin = op.method === 'GET' ? [await call(op, ADMIN_KEY)] : []
      for (const answer of [anonymous, staff, ...admin]) {
        expect(answer.text).not.toContain(DEMO_RITTEN.clientSecret)
        expect(answer.text).not.toContain(ADMIN_KEY)
      }
    }
  })

  it("a second organization's keys never read or change the first's records", { timeout: 300_000 }, async () => {
    const patientBefore = (await hub.api('GET', `/api/patients/${fixture.patientId}`)).body
    for (const op of operations) {
      const line = ROUTES[routeName(op)]
      if (!line) continue
      for (const key of [keys.otherAdmin, keys.otherStaff]) {
        const answer = await call(op, key)
        const where = `${routeName(op)} by the second organization: ${answer.status} ${answer.text.slice(0, 300)}`
        expect(answer.status, where).toBeLessThan(500)
        // A public route answers about the URL it was called at (which names the first's connection), not by key.
        if (line.role !== 'public') for (const marker of firstOrgMarkers) expect(answer.text, `${where} shows ${marker}`).not.toContain(marker)
        if (key === keys.otherStaff || line.role === 'public') continue
        if (line.otherOrg === 'hidden') expect([400, 404, 422], where).toContain(answer.status)
        else expect(answer.status, where).toBeLessThan(400)
      }
    }
    // Nothing the second organization sent changed the first's patient.
    const patientAfter = (await hub.api('GET', `/api/patients/${fixture.patientId}`)).body
    expect({ ...patientAfter, links: undefined }).toEqual({ ...patientBefore, links: undefined })
  })

  it('staff see exchanges with the PHI taken out, admins in full', async () => {
    const asStaff = await hub.api('GET', `/api/exchanges/${fixture.exchangeId}`, undefined, keys.staff)
    const asAdmin = await hub.api('GET', `/api/exchanges/${fixture.exchangeId}`)
    expect(asStaff.status).toBe(200)
    expect(JSON.stringify(asAdmin.body)).toContain(PATIENT.lastName)
    for (const phi of [PATIENT.lastName, PATIENT.dob, '8675309']) expect(JSON.stringify(asStaff.body)).not.toContain(phi)
    const listed = await hub.api('GET', `/api/exchanges?patientId=${fixture.patientId}`, undefined, keys.staff)
    for (const phi of [PATIENT.lastName, PATIENT.dob]) expect(JSON.stringify(listed.body)).not.toContain(phi)
  })
})

describe('the routes outside the document', () => {
  it('liveness, readiness and metrics answer without a key, and carry no secret or PHI', async () => {
    for (const path of ['/health/live', '/health/ready', '/health', '/metrics']) {
      const res = await fetch(`${hub.url}${path}`)
      expect(res.status, path).toBe(200)
      const text = await res.text()
      for (const secret of [DEMO_RITTEN.clientSecret, ADMIN_KEY, keys.staff, PATIENT.lastName, PATIENT.dob]) expect(text, path).not.toContain(secret)
    }
    // A connection with no keys of its own to publish: nothing there, and nothing about it.
    const jwks = await fetch(`${hub.url}/jwks/${fixture.connectionId}`)
    expect(jwks.status).toBe(404)
  })
})

// Last in this file: it leaves this address blocked for unknown keys for a minute.
describe('guessing API keys', () => {
  it(`refuses an address 429 with Retry-After after ${FAILURE_LIMIT} unknown keys in a minute, audits it, and keeps good keys working`, async () => {
    const guess = (i: number) => fetch(`${hub.url}/api/patients`, { headers: { authorization: `Bearer guess-${i}` } })
    for (let i = 0; i < FAILURE_LIMIT; i++) expect((await guess(i)).status).toBe(401)
    const blocked = await guess(FAILURE_LIMIT)
    expect(blocked.status).toBe(429)
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(await blocked.json()).toMatchObject({ error: 'too_many_failures', message: expect.stringMatching(/try again in \d+ s/) })
    // Sign-in is the same door: refused too, without the key being looked at.
    const signIn = await fetch(`${hub.url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: 'guess-at-sign-in' }) })
    expect(signIn.status).toBe(429)

    // Keys that worked before still do, from the same address, at once.
    expect((await hub.api('GET', '/api/patients')).status).toBe(200)
    expect((await hub.api('GET', '/api/patients', undefined, keys.staff)).status).toBe(200)
    const goodSignIn = await fetch(`${hub.url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: ADMIN_KEY }) })
    expect(goodSignIn.status).toBe(200)

    // Audited as the installation's events: the address and the count, never the key.
    const failed = (await hub.api('GET', '/api/audit?action=auth.failed&limit=100')).body.items
    const blockedEvents = (await hub.api('GET', '/api/audit?action=auth.blocked&limit=100')).body.items
    expect(failed.length).toBe(FAILURE_LIMIT - 1)
    expect(blockedEvents).toHaveLength(1)
    expect(blockedEvents[0]).toMatchObject({ targetType: 'address', details: { via: 'api_key', failuresInLastMinute: FAILURE_LIMIT } })
    expect(JSON.stringify([...failed, ...blockedEvents])).not.toMatch(/guess-/)
    // The second organization's admin sees the installation's events too.
    const seenByOther = await hub.api('GET', '/api/audit?action=auth.blocked', undefined, keys.otherAdmin)
    expect(seenByOther.body.items).toHaveLength(1)
    expect(hub.output()).not.toMatch(/guess-/)
  })
})
