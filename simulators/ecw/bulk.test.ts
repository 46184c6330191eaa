import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { OperationOutcome, Patient, Resource } from '@medplum/fhirtypes'
import { createEcwSimulator, type EcwSimulator } from './server.js'
import { createTestKey, requestToken, serveJwks, signClientAssertion, type JwksServer, type TestKey } from './testing.js'

const PRACTICE = 'FFBJCD'
const GROUP = 'all-patients'
/** What the hub asks for, in the forms ECW advertises (v1 `.read`, v2 `.r`). */
const HUB_SCOPES = ['system/Patient.read', 'system/Patient.u', 'system/Coverage.r', 'system/Encounter.read']

interface Manifest {
  transactionTime: string
  request: string
  requiresAccessToken: boolean
  output: { type: string; url: string; count: number }[]
  error: { type: string; url: string }[]
}

describe('ECW simulator: Bulk Data export (Group/{id}/$export)', () => {
  let sim: EcwSimulator
  let jwks: JwksServer
  let key: TestKey
  let base: string
  let clock = Date.now()
  const tokens = new Map<string, string>()

  /** A token for `clientId` (registered with `scopes`), minted once. */
  const tokenFor = async (clientId: string, scopes: string[]): Promise<string> => {
    const cached = tokens.get(clientId)
    if (cached) return cached
    sim.registerClient(PRACTICE, { clientId, jwksUrl: jwks.url, scopes })
    const tokenUrl = `${base}/oauth/oauth2/token`
    const response = await requestToken(tokenUrl, await signClientAssertion({ key, clientId, aud: tokenUrl, now: clock }), scopes.join(' '))
    expect(response.status).toBe(200)
    tokens.set(clientId, String(response.body.access_token))
    return String(response.body.access_token)
  }
  const call = async (method: string, url: string, options: { token?: string | null; headers?: Record<string, string>; body?: unknown } = {}) => {
    const token = options.token === undefined ? await tokenFor('hub', HUB_SCOPES) : options.token
    const response = await fetch(url.startsWith('http') ? url : `${base}${url}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...options.headers,
        ...(options.body ? { 'content-type': 'application/fhir+json' } : {}),
      },
      body: options.body ? JSON.stringify(options.body) : undefined,
    })
    const text = await response.text()
    let json: any
    try {
      json = text ? JSON.parse(text) : undefined
    } catch {
      json = undefined
    }
    return { status: response.status, headers: response.headers, text, json }
  }
  const KICKOFF_HEADERS = { accept: 'application/fhir+json', prefer: 'respond-async' }
  const kickOff = (query = '', token?: string | null, headers: Record<string, string> = KICKOFF_HEADERS) =>
    call('GET', `/Group/${GROUP}/$export${query}`, { token, headers })
  const diagnostics = (body: OperationOutcome) => body.issue?.[0]?.diagnostics ?? ''
  /** Polls with the simulator's clock moved on by each Retry-After, until the manifest. */
  const waitForManifest = async (statusUrl: string, token?: string): Promise<Manifest> => {
    for (let i = 0; i < 20; i++) {
      const status = await call('GET', statusUrl, { token })
      if (status.status === 200) return status.json as Manifest
      expect(status.status).toBe(202)
      clock += Number(status.headers.get('retry-after')) * 1000
    }
    throw new Error('the export never completed')
  }
  const download = async (url: string, token?: string): Promise<Resource[]> => {
    const file = await call('GET', url, { token, headers: { accept: 'application/fhir+ndjson' } })
    expect(file.status).toBe(200)
    expect(file.headers.get('content-type')).toContain('application/fhir+ndjson')
    return file.text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Resource)
  }
  const exportAll = async (query = '', token?: string) => {
    const started = await kickOff(query, token)
    expect(started.status).toBe(202)
    const manifest = await waitForManifest(started.headers.get('content-location')!, token)
    const resources: Resource[] = []
    for (const output of manifest.output) resources.push(...(await download(output.url, token)))
    await call('DELETE', started.headers.get('content-location')!, { token })
    return { manifest, resources, statusUrl: started.headers.get('content-location')! }
  }

  beforeAll(async () => {
    key = await createTestKey()
    jwks = await serveJwks([key.publicJwk])
    sim = createEcwSimulator({ practices: [{ code: PRACTICE, clients: [] }], now: () => clock, bulk: { exportMs: 2_000, retryAfterSeconds: 1, resourcesPerFile: 7 } })
    await sim.listen()
    base = sim.baseUrl(PRACTICE)
  })
  afterAll(async () => {
    await sim.close()
    await jwks.close()
  })

  it('kicks off with 202 and Content-Location, answers 202 with X-Progress and Retry-After, then the manifest; files need the token', async () => {
    const started = await kickOff()
    expect(started.status).toBe(202)
    const statusUrl = started.headers.get('content-location')!
    expect(statusUrl).toMatch(new RegExp(`^${base}/bulkstatus/[0-9a-f-]{36}$`))

    const first = await call('GET', statusUrl)
    expect(first.status).toBe(202)
    expect(first.headers.get('x-progress')).toBe('0% complete')
    expect(first.headers.get('retry-after')).toBe('1')
    // Polling again before the Retry-After: 429 with Retry-After (IG: polling too frequently).
    const tooSoon = await call('GET', statusUrl)
    expect(tooSoon.status).toBe(429)
    expect(tooSoon.headers.get('retry-after')).toBe('1')
    expect(diagnostics(tooSoon.json)).toContain('Retry-After')
    clock += 1_000
    const second = await call('GET', statusUrl)
    expect(second.status).toBe(202)
    expect(second.headers.get('x-progress')).toBe('50% complete')
    clock += 1_000

    const done = await call('GET', statusUrl)
    expect(done.status).toBe(200)
    expect(done.headers.get('content-type')).toContain('application/json')
    expect(Date.parse(done.headers.get('expires') ?? '')).toBeGreaterThan(clock)
    const manifest = done.json as Manifest
    expect(manifest).toMatchObject({ request: `${base}/Group/${GROUP}/$export`, requiresAccessToken: true, error: [] })
    expect(Date.parse(manifest.transactionTime)).not.toBeNaN()
    const counts = (await (await fetch(`${new URL(base).origin}/_sim/records`)).json()).practices[PRACTICE].counts
    // 20 demo patients at 7 per file: 3 Patient files, 3 Coverage files, Encounter files for 20–40.
    for (const type of ['Patient', 'Coverage', 'Encounter']) {
      const files = manifest.output.filter((o) => o.type === type)
      expect(files.length).toBe(Math.ceil(counts[type] / 7))
      expect(files.reduce((n, f) => n + f.count, 0)).toBe(counts[type])
    }
    expect(manifest.output.map((o) => o.type)).not.toContain('Practitioner')

    const url = manifest.output[0]!.url
    expect((await call('GET', url, { token: null })).status).toBe(401)
    expect((await call('GET', url, { token: 'not-a-token' })).status).toBe(401)
    const patients: Patient[] = []
    for (const output of manifest.output.filter((o) => o.type === 'Patient')) patients.push(...((await download(output.url)) as Patient[]))
    expect(patients.length).toBe(counts.Patient)
    expect(new Set(patients.map((p) => p.id)).size).toBe(counts.Patient)
    expect(patients.every((p) => p.resourceType === 'Patient' && Date.parse(p.meta!.lastUpdated!) <= Date.parse(manifest.transactionTime))).toBe(true)
    const coverage = await download(manifest.output.find((o) => o.type === 'Coverage')!.url)
    expect(coverage[0]).toMatchObject({ resourceType: 'Coverage', beneficiary: { reference: expect.stringMatching(/^Patient\//) } })

    // Another client's token cannot see this export.
    const other = await tokenFor('other-app', HUB_SCOPES)
    expect((await call('GET', statusUrl, { token: other })).status).toBe(404)
    expect((await call('GET', url, { token: other })).status).toBe(404)

    // DELETE: 202, then the status and the files are gone (404).
    const deleted = await call('DELETE', statusUrl)
    expect(deleted.status).toBe(202)
    expect((await call('GET', statusUrl)).status).toBe(404)
    expect((await call('GET', url)).status).toBe(404)
    expect((await call('DELETE', statusUrl)).status).toBe(404)
  })

  it('exports only what changed after _since, each resource as it stood at transactionTime', async () => {
    const full = await exportAll()
    const since = full.manifest.transactionTime
    const patients = full.resources.filter((r): r is Patient => r.resourceType === 'Patient')
    await new Promise((r) => setTimeout(r, 5)) // a write in the same millisecond as transactionTime would be in both
    const changed = patients[3]!
    const updated = await call('PUT', `/Patient/${changed.id}`, { body: { ...changed, meta: undefined, telecom: [{ system: 'phone', value: '7855550199', use: 'home' }] } })
    expect(updated.status).toBe(200)

    const started = await kickOff(`?_since=${encodeURIComponent(since)}`)
    expect(started.status).toBe(202)
    const manifest = await waitForManifest(started.headers.get('content-location')!)
    // Only the updated patient; no file at all for types with nothing new (IG: no output item).
    expect(manifest.output.map((o) => [o.type, o.count])).toEqual([['Patient', 1]])
    expect(manifest.request).toBe(`${base}/Group/${GROUP}/$export?_since=${encodeURIComponent(since)}`)

    // Changed after this export's transactionTime but before the download: the file still holds the version of transactionTime.
    await new Promise((r) => setTimeout(r, 5))
    const current = (await call('GET', `/Patient/${changed.id}`)).json as Patient
    expect((await call('PUT', `/Patient/${changed.id}`, { body: { ...current, meta: undefined, telecom: [{ system: 'phone', value: '7855550111', use: 'home' }] } })).status).toBe(200)
    const [asOf] = (await download(manifest.output[0]!.url)) as Patient[]
    expect(asOf?.id).toBe(changed.id)
    expect(asOf?.telecom?.[0]?.value).toBe('7855550199')
    await call('DELETE', started.headers.get('content-location')!)
  })

  it('filters by _type (comma list or repeated) and needs read on each type asked for', async () => {
    const patientsOnly = await exportAll('?_type=Patient')
    expect(new Set(patientsOnly.manifest.output.map((o) => o.type))).toEqual(new Set(['Patient']))
    const two = await exportAll('?_type=Coverage&_type=Encounter')
    expect(new Set(two.manifest.output.map((o) => o.type))).toEqual(new Set(['Coverage', 'Encounter']))

    // A client allowed to read patients only: asking for Coverage is refused, no _type exports patients only.
    const narrow = await tokenFor('patients-only', ['system/Patient.rs'])
    const refused = await kickOff('?_type=Patient,Coverage', narrow)
    expect(refused.status).toBe(403)
    expect(diagnostics(refused.json)).toContain('Coverage')
    const own = await exportAll('', narrow)
    expect(new Set(own.manifest.output.map((o) => o.type))).toEqual(new Set(['Patient']))
    // system/*.r reads every type.
    const wildcard = await exportAll('?_type=Patient,Coverage,Encounter', await tokenFor('wildcard', ['system/*.r']))
    expect(new Set(wildcard.manifest.output.map((o) => o.type))).toEqual(new Set(['Patient', 'Coverage', 'Encounter']))
  })

  it('answers bad kick-offs with an OperationOutcome naming what to fix', async () => {
    const noPrefer = await kickOff('', undefined, { accept: 'application/fhir+json' })
    expect(noPrefer.status).toBe(400)
    expect(noPrefer.json.resourceType).toBe('OperationOutcome')
    expect(diagnostics(noPrefer.json)).toContain('Prefer: respond-async')

    expect((await kickOff('', null)).status).toBe(401)
    const unknownGroup = await call('GET', '/Group/someone-else/$export', { headers: KICKOFF_HEADERS })
    expect(unknownGroup.status).toBe(401)
    expect(diagnostics(unknownGroup.json)).toContain('Group someone-else is invalid or not authorized')

    const cases: Array<[string, number, string]> = [
      ['?_type=Observation', 400, 'Observation cannot be exported'],
      ['?_type=Patient,', 400, '(empty) cannot be exported'],
      ['?_since=yesterday', 400, '_since must be a FHIR instant'],
      ['?_since=2026-01-01', 400, '_since must be a FHIR instant'],
      ['?_since=2026-01-01T00:00:00Z&_since=2026-02-01T00:00:00Z', 400, 'Parameter _since is repeated'],
      ['?_outputFormat=text/csv', 400, 'only application/fhir+ndjson'],
      ['?_elements=id', 400, 'Parameter _elements is not supported'],
      ['?_typeFilter=Patient%3Factive%3Dtrue', 400, 'Parameter _typeFilter is not supported'],
    ]
    for (const [query, status, text] of cases) {
      const response = await kickOff(query)
      expect({ query, status: response.status }).toEqual({ query, status })
      expect(response.json.resourceType).toBe('OperationOutcome')
      expect(diagnostics(response.json)).toContain(text)
    }
    expect((await kickOff('', undefined, { ...KICKOFF_HEADERS, accept: 'text/html' })).status).toBe(400)
    expect((await kickOff('?_outputFormat=ndjson')).status).toBe(202)
    expect((await call('GET', '/bulkstatus/00000000-0000-0000-0000-000000000000')).status).toBe(404)
    await sim.reset()
    tokens.clear()
  })

  it('ignores unsupported parameters under Prefer: handling=lenient and reports them in error[]', async () => {
    const started = await kickOff('?_type=Patient&_elements=id', undefined, { ...KICKOFF_HEADERS, prefer: 'respond-async, handling=lenient' })
    expect(started.status).toBe(202)
    const manifest = await waitForManifest(started.headers.get('content-location')!)
    expect(manifest.error).toHaveLength(1)
    const [note] = (await download(manifest.error[0]!.url)) as OperationOutcome[]
    expect(note?.issue?.[0]).toMatchObject({ severity: 'warning', code: 'not-supported', diagnostics: expect.stringContaining('_elements') })
    await call('DELETE', started.headers.get('content-location')!)
  })

  it('runs one export at a time per client: a second kick-off gets 429 with Retry-After', async () => {
    const first = await kickOff()
    expect(first.status).toBe(202)
    const second = await kickOff()
    expect(second.status).toBe(429)
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect(diagnostics(second.json)).toContain('still in progress')
    // Another client is not held up; once the first is deleted (cancelled), this client may start again.
    expect((await kickOff('', await tokenFor('other-app', HUB_SCOPES))).status).toBe(202)
    expect((await call('DELETE', first.headers.get('content-location')!)).status).toBe(202)
    expect((await kickOff()).status).toBe(202)
    const records = (await (await fetch(`${new URL(base).origin}/_sim/records`)).json()).practices[PRACTICE].bulkExports
    expect(records.filter((j: { state: string }) => j.state === 'in-progress').length).toBe(2)
    expect(records.filter((j: { state: string }) => j.state === 'deleted').at(-1)).toMatchObject({ clientId: 'hub', types: ['Patient', 'Coverage', 'Encounter'] })
    await sim.reset()
    tokens.clear()
  })
})
