import { request } from 'node:http'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKipuSimulator, DEMO_KIPU, signApiAuth, type KipuSimulator } from '../simulators/kipu/server.js'
import { createRittenSimulator, type RittenSimulator } from '../simulators/ritten/server.js'
import { ADMIN_KEY, createTestDatabase, startHub, waitFor, type RunningHub } from './harness.js'
import { connectRitten } from './rittenHelpers.js'
import {
  encodeLoosely,
  fillPath,
  hostileBody,
  hostilePathValue,
  hostileQuery,
  hostileRawBody,
  hostileValue,
  operationsOf,
  routeName,
  type BodyCase,
  type FitOptions,
  type Operation,
} from './openapiRoutes.js'

/**
 * Hostile input, driven by the hub's own OpenAPI document: for every route, fast-check sends
 * path parameters, query strings and bodies that are wrong in every way a careless or hostile
 * client can make them. Whatever arrives, the hub answers 4xx with a message saying what is wrong
 * (never a 5xx, never a stack), keeps running, and a refused request changes nothing.
 * Seeded and bounded (RUNS per route), so a failure replays the same way.
 */
const RUNS = 20
const SEED = 15_2026

let hub: RunningHub
let ritten: RittenSimulator
let kipu: KipuSimulator
let rittenUrl: string
let database: Awaited<ReturnType<typeof createTestDatabase>>
let operations: Operation[]
/** Records that exist, by the path segment that names them, so a hostile body meets a real record too. */
const existing: Record<string, string[]> = {}
let kipuConnectionId: string

beforeAll(async () => {
  ritten = createRittenSimulator()
  rittenUrl = await ritten.listen(0)
  kipu = createKipuSimulator()
  const kipuUrl = await kipu.listen(0)
  database = await createTestDatabase()
  hub = await startHub({ databaseUrl: database?.url })
  const rittenConnection = await connectRitten(hub, rittenUrl)
  const kipuConnection = await hub.api('POST', '/api/connections', {
    connector: 'kipu',
    name: 'KIPU',
    baseUrl: kipuUrl,
    // Pulls once a year: a scheduled pull must not run while records are counted.
    settings: { accessId: DEMO_KIPU.accessId, appId: DEMO_KIPU.appId, pullSchedule: '0 0 1 1 *' },
    credentials: { secretKey: DEMO_KIPU.secretKey },
  })
  expect(kipuConnection.status).toBe(201)
  kipuConnectionId = kipuConnection.body.id
  const account = await hub.api('POST', '/api/accounts', { name: 'Rivera household', insurances: [] })
  expect(account.status).toBe(201)
  const patient = await hub.api('POST', '/api/patients', { firstName: 'Ana', lastName: 'Rivera', dob: '1990-04-02', accountId: account.body.id })
  expect(patient.status).toBe(201)
  const throwaway = await hub.api('POST', '/api/keys', { name: 'to revoke', role: 'staff' })
  const jobs = await waitFor('the first push to leave an exchange', async () => {
    const list = await hub.api('GET', '/api/exchanges?limit=5')
    return list.body.items?.length > 0 ? list.body.items : null
  })
  Object.assign(existing, {
    accounts: [account.body.id],
    patients: [patient.body.id],
    connections: [rittenConnection.id, kipuConnectionId],
    exchanges: [jobs[0].id],
    jobs: jobs.map((e: { jobId: string | null }) => e.jobId).filter(Boolean),
    keys: [throwaway.body.id],
    conflicts: [],
  })
  operations = operationsOf((await hub.api('GET', '/api/openapi.json')).body)
})

afterAll(async () => {
  await hub?.stop()
  await ritten?.close()
  await kipu?.close()
  await database?.drop()
})

interface Sent {
  method: string
  url: string
  how: string
  status: number
  body: any
}

/** One request, with whatever body: JSON as given, or raw text with its own content type. */
async function send(method: string, url: string, body: BodyCase | null, headers: Record<string, string> = {}): Promise<Sent> {
  const init: RequestInit = { method, headers: { authorization: `Bearer ${ADMIN_KEY}`, ...headers } }
  if (body) {
    init.body = body.kind === 'json' ? JSON.stringify(body.value) : body.text
    ;(init.headers as Record<string, string>)['content-type'] = body.kind === 'json' ? 'application/json' : body.contentType
  }
  const res = await fetch(`${hub.url}${url}`, init)
  const text = await res.text()
  let parsed: unknown = text
  try {
    parsed = JSON.parse(text)
  } catch {
    // kept as text: the assertion below names it
  }
  return { method, url: url.length > 200 ? `${url.slice(0, 200)}…` : url, how: body?.how ?? 'no body', status: res.status, body: parsed }
}

/** What every answer to hostile input must be: not a 5xx, and a 4xx that says what is wrong. */
function expectFairAnswer(sent: Sent): void {
  const where = `${sent.method} ${sent.url} (${sent.how}) answered ${sent.status} ${JSON.stringify(sent.body).slice(0, 300)}`
  expect(sent.status, `${where}\n${lastHubError()}`).toBeLessThan(500)
  if (sent.status >= 400) {
    expect(typeof sent.body?.message, where).toBe('string')
    expect(sent.body.message.length, where).toBeGreaterThan(0)
    expect(sent.body.message, where).not.toMatch(/\n\s+at |Internal error/)
  }
  expect(hub.running(), `the hub died on ${where}`).toBe(true)
}

/** The hub's last logged fault (its error handler logs each 500 with the cause), to say why. */
function lastHubError(): string {
  const lines = hub.output().split('\n').filter((l) => l.includes('"level":50') || l.includes('request failed'))
  return (lines.at(-1) ?? 'nothing in the hub log').slice(0, 1500)
}

/**
 * fc.assert, with a report that fits a screen: the assertion's own message (which names the
 * request, shortened) and the seed and path to replay it, not a counterexample of megabytes.
 */
async function check<T>(property: fc.IAsyncProperty<T>, params: fc.Parameters<T>): Promise<void> {
  const details = await fc.check(property, { ...params, endOnFailure: true })
  if (!details.failed) return
  const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)
  throw new Error(`${cause}\n(replay: seed ${details.seed}, path ${details.counterexamplePath})`)
}

/** What a refused request must not have changed: the records, the connections and the keys. */
async function snapshot(): Promise<string> {
  const read = async (path: string) => {
    const answer = await hub.api('GET', path)
    expect(answer.status, path).toBe(200)
    return answer.body
  }
  const [accounts, patients, connections, keys, mappings] = await Promise.all([
    read('/api/accounts?limit=500'),
    read('/api/patients?limit=500'),
    read('/api/connections'),
    read('/api/keys'),
    read(`/api/connections/${existing.connections![0]}/mappings`),
  ])
  return JSON.stringify({ accounts, patients, connections, keys, mappings }, null, 1)
}

function fitOptions(): FitOptions {
  const ids = (kind: string) => fc.oneof(fc.constantFrom(...(existing[kind]!.length ? existing[kind]! : ['00000000-0000-4000-8000-000000000000'])), fc.uuid())
  return {
    // A connection a fuzzed body adds points at loopback only (or at nothing).
    formats: { uri: fc.constantFrom(rittenUrl, 'http://127.0.0.1:9', 'not a url', 'ftp://127.0.0.1/x', 'http://[::1]:9/') },
    named: { accountId: ids('accounts'), patientId: ids('patients'), connectionId: ids('connections') },
  }
}

/** The collection a path parameter names a record of: `/api/patients/{id}` → patients; `{connectionId}` → connections. */
function collectionOf(path: string, param: string): string {
  if (param === 'connectionId') return 'connections'
  const segments = path.split('/')
  const at = segments.indexOf(`{${param}}`)
  return segments[at - 1] ?? ''
}

function requestOf(op: Operation) {
  const pathParams = op.parameters.filter((p) => p.in === 'path')
  const params = pathParams.length
    ? fc.record(Object.fromEntries(pathParams.map((p) => [p.name, hostilePathValue(p, existing[collectionOf(op.path, p.name)] ?? [])])))
    : fc.constant({} as Record<string, string>)
  const body = op.body ? hostileBody(op.body, fitOptions()) : fc.constant(null)
  return fc.record({ params, query: hostileQuery(op.parameters, fitOptions()), body })
}

describe('every route of the OpenAPI document, fed hostile input', () => {
  it('lists the routes it is about to try', () => {
    expect(operations.length).toBeGreaterThan(30)
  })

  it('answers each with a 4xx that names the problem, never a 5xx; a refused change changes nothing', { timeout: 600_000 }, async () => {
    const inbound = operations.filter((op) => op.path.startsWith('/api/inbound/'))
    expect(inbound.length).toBeGreaterThan(0)
    let compared = 0
    for (const [index, op] of operations.entries()) {
      if (op.path.startsWith('/api/inbound/')) continue
      const writes = op.method !== 'GET'
      const before = writes ? await snapshot() : ''
      let accepted = 0
      await check(
        fc.asyncProperty(requestOf(op), async ({ params, query, body }) => {
          const sent = await send(op.method, fillPath(op.path, params) + query, body)
          expectFairAnswer(sent)
          if (sent.status < 400) accepted++
        }),
        { numRuns: RUNS, seed: SEED + index },
      )
      // A route that took none of the hostile requests must have left everything as it was.
      if (writes && accepted === 0) {
        expect(await snapshot(), `${routeName(op)} refused every request but changed something`).toBe(before)
        compared++
      }
    }
    // Most changing routes refuse every hostile request, so "changed nothing" was checked for them.
    expect(compared).toBeGreaterThanOrEqual(8)
  })

  it('the inbound door refuses unsigned and signed garbage with a message, and records no event for it', { timeout: 300_000 }, async () => {
    const eventsBefore = await inboundEventCount()
    const target = fc.oneof(
      { weight: 4, arbitrary: fc.constant({ connector: 'kipu', connectionId: kipuConnectionId }) },
      { weight: 1, arbitrary: fc.record({ connector: fc.constantFrom('ritten', 'ecw', 'KIPU', '__proto__', 'x'.repeat(50)), connectionId: fc.constantFrom(existing.connections![0]!, kipuConnectionId) }) },
      { weight: 1, arbitrary: fc.record({ connector: fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }), connectionId: fc.oneof(fc.uuid(), fc.string({ unit: 'binary', maxLength: 40 })) }) },
    )
    const raw = fc.oneof(hostileRawBody, hostileValue.map((v) => JSON.stringify(v) ?? 'null'), fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)))
    await check(
      fc.asyncProperty(target, raw, fc.boolean(), async ({ connector, connectionId }, text, signed) => {
        const path = `/api/inbound/${encodeLoosely(connector)}/${encodeLoosely(connectionId)}`
        const headers = signed ? signApiAuth({ accessId: DEMO_KIPU.accessId, secretKey: DEMO_KIPU.secretKey, requestUri: path, body: text, now: Date.now() }) : { 'content-type': 'application/json' }
        const res = await fetch(`${hub.url}${path}`, { method: 'POST', headers, body: text })
        const answerText = await res.text()
        let body: unknown = answerText
        try {
          body = JSON.parse(answerText)
        } catch {
          // kept as text
        }
        expectFairAnswer({ method: 'POST', url: path.slice(0, 200), how: `${signed ? 'signed' : 'unsigned'} ${text.slice(0, 80)}`, status: res.status, body })
        // Garbage is never an event (a signed, well-formed KIPU event is, which random text is not).
        expect(res.status === 200 || res.status === 202, `accepted ${text.slice(0, 200)}`).toBe(false)
      }),
      { numRuns: RUNS * 5, seed: SEED },
    )
    expect(await inboundEventCount()).toBe(eventsBefore)
  })
})

describe('addresses outside the document', () => {
  it('answers malformed and hostile paths (the UI, /jwks, /health, unknown ones) without a 5xx', async () => {
    const paths = ['/%', '/%ff', '/%E0%A4%A', '/..%2f..%2fetc%2fpasswd', '/api/%', '/api/..', '/api/patients/%ff', '/jwks/%00', '/jwks/not-a-uuid', '/jwks/00000000-0000-4000-8000-000000000000', '/health/%ff', `/${'a'.repeat(5_000)}`, '/index.html?%', '/assets/%2e%2e/%2e%2e/package.json', '//api//patients']
    for (const path of paths) {
      const res = await fetch(`${hub.url}${path}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })
      const text = await res.text()
      // A checkout where the UI was never built answers its pages so; a built one serves them.
      if (res.status === 503 && /admin UI is not built/.test(text)) continue
      expect(res.status, `${path}: ${text.slice(0, 200)}`).toBeLessThan(500)
      expect(text, path).not.toMatch(/"(name|version)":\s*"carebridge"|\n\s+at /)
    }
    expect(hub.running()).toBe(true)
  })
})

describe('hostile credentials', () => {
  // Last but one in this file: the unknown keys it sends leave this address blocked (429) for a minute.
  it('answers any Authorization header or session cookie with a 401 or 429 that says why, never a 5xx', { timeout: 120_000 }, async () => {
    const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 })
    const header = fc.oneof(
      printable.map((k) => `Bearer ${k}`),
      printable,
      fc.constantFrom('Bearer', 'Bearer ', 'bearer  x', 'Basic dXNlcjpwYXNz', `Bearer ${'k'.repeat(8_000)}`, 'Bearer a b', `Bearer ${ADMIN_KEY} extra`),
    )
    const cookie = fc.option(printable.map((t) => `carebridge_session=${encodeURIComponent(t)}`), { nil: undefined })
    await check(
      fc.asyncProperty(fc.option(header, { nil: undefined }), cookie, fc.constantFrom('GET /api/patients', 'POST /api/accounts', 'DELETE /api/session'), async (authorization, sessionCookie, route) => {
        const [method, path] = route.split(' ') as [string, string]
        const res = await fetch(`${hub.url}${path}`, {
          method,
          headers: { ...(authorization !== undefined ? { authorization } : {}), ...(sessionCookie ? { cookie: sessionCookie } : {}), 'content-type': 'application/json' },
          body: method === 'POST' ? JSON.stringify({ name: 'x' }) : undefined,
        })
        const body = await res.json()
        expectFairAnswer({ method, url: path, how: `authorization ${String(authorization).slice(0, 40)}, cookie ${String(sessionCookie).slice(0, 40)}`, status: res.status, body })
        expect([401, 403, 429], JSON.stringify(body)).toContain(res.status)
      }),
      { numRuns: RUNS * 3, seed: SEED },
    )
  })
})

describe('request body limits', () => {
  it('refuses an API body over 5 MiB with a 413 that states the limit', async () => {
    const answer = await postLarge('/api/patients', JSON.stringify({ firstName: 'A', lastName: 'B', customFields: { note: 'x'.repeat(5 * 1024 * 1024) } }), { authorization: `Bearer ${ADMIN_KEY}` }, { declareOnly: true })
    expect(answer).toMatchObject({ status: 413, body: { message: 'The body is larger than this route takes (5 MiB)' } })
  })

  it('lets the inbound door take an event with a 10 MiB attachment (as base64), and refuses one over 32 MiB', async () => {
    const path = `/api/inbound/kipu/${kipuConnectionId}`
    const post = (text: string, declareOnly = false) => postLarge(path, text, {}, { declareOnly })
    const attachment = Buffer.alloc(10 * 1024 * 1024, 7).toString('base64')
    // Past the size check to the signature check: not signed, so refused for that.
    expect(await post(JSON.stringify({ event: 'Referral', attachment }))).toMatchObject({ status: 401 })
    expect(await post(JSON.stringify({ event: 'Referral', attachment: attachment + attachment + attachment }), true)).toMatchObject({ status: 413, body: { message: 'The body is larger than this route takes (32 MiB)' } })
    expect(hub.running()).toBe(true)
  })
})

/**
 * POST a body, or (`declareOnly`) only its declared length and first bytes: the hub answers 413
 * as soon as it reads a length over the limit and closes the connection, and a client still
 * writing then fails on the write, maybe before it reads the answer.
 */
function postLarge(path: string, text: string, headers: Record<string, string> = {}, options: { declareOnly?: boolean } = {}): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(`${hub.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) })
        req.destroy()
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    if (options.declareOnly) req.write(text.slice(0, 64 * 1024))
    else req.end(text)
  })
}

/** Events the hub took in: each accepted one is an inbound exchange answered 2xx. */
async function inboundEventCount(): Promise<number> {
  const answer = await hub.api('GET', '/api/exchanges?direction=inbound&status=ok&limit=500')
  expect(answer.status).toBe(200)
  return answer.body.items.length
}
