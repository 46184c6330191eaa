import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Resource } from '@medplum/fhirtypes'
import { createEcwSimulator, type EcwSimulator } from '../../../simulators/ecw/server.js'
import { serveJwks, type JwksServer } from '../../../simulators/ecw/testing.js'
import { resolveMapping } from '../../mapping/mapping.js'
import type { PulledItem, PulledPage, PullResource, PullSession } from '../connector.js'
import { ConnectorError } from '../errors.js'
import type { ConnectorHttp, HttpRequest, HttpResponse, StreamedResponse } from '../http.js'
import { exportPages, takeLine, type ExportPlan } from './bulk.js'
import { EcwSettings, generateEcwKeys, publicJwks, type EcwContext } from './client.js'
import { ecwDefaults } from './fields.js'

/**
 * The bulk export reader against the ECW simulator, through a plain (unrecorded) HTTP door: where
 * a pull resumes inside a file, what it does when the export's files are gone, how it reports the
 * export's messages, and that its token never leaves the practice's origin.
 */
const PRACTICE = 'FFBJCD'
const RESOURCES: PullResource[] = ['patient', 'insurance', 'encounter']
const mapping = resolveMapping(ecwDefaults, { fieldMap: null, valueMaps: {} })

describe('ECW bulk export reader', () => {
  let sim: EcwSimulator
  let jwks: JwksServer
  let ctx: EcwContext
  const calls: { method: string; url: string; status: number }[] = []

  const plan = (resource: PullResource): ExportPlan => ({
    resources: RESOURCES,
    mapping,
    toItem: (r: Resource) => (r.id ? { item: { type: 'encounter', externalId: r.id, patientExternalId: `${r.resourceType}`, data: {} } satisfies PulledItem } : { problem: 'no id' }),
    sleep: async () => undefined,
  })
  /** Every page of one resource, or until `stop` says so. */
  const read = async (resource: PullResource, session: PullSession, cursor: string | null = null, stop?: (page: PulledPage) => boolean) => {
    const pages: PulledPage[] = []
    for await (const page of exportPages(ctx, resource, cursor, session, plan(resource))) {
      pages.push(page)
      if (stop?.(page)) break
    }
    return pages
  }
  const ids = (pages: PulledPage[]) => pages.flatMap((p) => p.items.map((i) => i.externalId))
  const bulkJobs = async () => (await (await fetch(`${new URL(sim.baseUrl(PRACTICE)).origin}/_sim/records`)).json()).practices[PRACTICE].bulkExports

  beforeAll(async () => {
    sim = createEcwSimulator({ practices: [{ code: PRACTICE, clients: [] }], bulk: { exportMs: 0, resourcesPerFile: 7 } })
    await sim.listen()
    const secrets = await generateEcwKeys()
    jwks = await serveJwks(publicJwks(secrets).keys)
    const settings = EcwSettings.parse({ clientId: 'bulk-reader', scopes: 'system/Patient.read system/Coverage.r system/Encounter.read' })
    sim.registerClient(PRACTICE, { clientId: 'bulk-reader', jwksUrl: jwks.url, scopes: settings.scopes.split(' ') })
    let token: { token: string; expiresAt: Date } | null = null
    ctx = {
      connection: { id: 'c1', name: 'ECW', baseUrl: sim.baseUrl(PRACTICE), settings, secrets },
      http: plainHttp(calls),
      tokens: {
        async get(mint) {
          token ??= await mint()
          return token.token
        },
        async clear() {
          token = null
        },
      },
      now: () => new Date(),
    }
  })
  afterAll(async () => {
    await sim.close()
    await jwks.close()
  })

  it('reads an export, then resumes inside a file from the cursor without exporting again', async () => {
    const session: PullSession = { previous: null, checkpoint: null }
    const pages = await read('patient', session)
    expect(ids(pages)).toHaveLength(20)
    // Three files of 7: one page per file; the pages before are the kick-off and the ready export.
    expect(pages.filter((p) => p.items.length > 0).map((p) => p.next)).toEqual(['1:0', '2:0', null])
    expect(pages.at(-1)).toMatchObject({ total: 20, status: 'read Patient file 3 of 3' })
    const exportsBefore = (await bulkJobs()).length

    // As after a crash three lines into the first file: the same export, from line 4.
    const resumed = await read('patient', session, '0:3', (p) => p.items.length > 0)
    expect(ids(resumed)).toEqual(ids(pages).slice(3, 7))
    expect(resumed.at(-1)?.next).toBe('1:0')
    expect((await bulkJobs()).length).toBe(exportsBefore)

    // The last exported resource deletes the export once read.
    await read('insurance', session)
    const encounters = await read('encounter', session)
    expect(encounters.at(-1)?.next).toBeNull()
    expect((await bulkJobs()).at(-1).state).toBe('deleted')
    expect(session.checkpoint).toMatchObject({ since: null, highWater: (await bulkJobs()).at(-1).transactionTime })
  })

  it('starts the export again when its files are gone, and takes _since from the last successful pull', async () => {
    const first: PullSession = { previous: null, checkpoint: null }
    await read('patient', first)
    await sim.seedPatients(PRACTICE, 3)
    const next: PullSession = { previous: first.checkpoint, checkpoint: null }
    await read('patient', next, null, (p) => p.status?.startsWith('ECW export complete') ?? false)
    const [jobId] = String((next.checkpoint as { export: { statusUrl: string } }).export.statusUrl).split('/').slice(-1)
    // Someone deletes the export before the hub has read its files.
    const token = await ctx.tokens.get(async () => ({ token: '', expiresAt: new Date() }))
    expect((await fetch(`${sim.baseUrl(PRACTICE)}/bulkstatus/${jobId}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } })).status).toBe(202)

    const pages = await read('patient', next)
    expect(pages.at(-1)?.next).toBeNull()
    expect(ids(pages)).toHaveLength(3)
    expect(next.checkpoint).toMatchObject({ restarts: 1, since: (first.checkpoint as { highWater: string }).highWater })
    const jobs = await bulkJobs()
    expect(jobs.at(-1).since).toBe((first.checkpoint as { highWater: string }).highWater)
    expect(jobs.at(-2)).toMatchObject({ id: jobId, state: 'deleted' })
  })

  it("reports the export's messages as problems and sends no token to another host", async () => {
    type Checkpoint = { export: { statusUrl: string; manifest: { output: { type: string; url: string }[]; error: { type: string; url: string }[] } } }
    const session: PullSession = { previous: null, checkpoint: null }
    await read('patient', session, null, (p) => p.status?.startsWith('ECW export complete') ?? false)
    const base = sim.baseUrl(PRACTICE)

    // A lenient export of the same client carries a message in error[] (the parameter it ignored).
    const token = await ctx.tokens.get(async () => ({ token: '', expiresAt: new Date() }))
    const kick = await fetch(`${base}/Group/all-patients/$export?_type=Encounter&_elements=id`, { headers: { authorization: `Bearer ${token}`, prefer: 'respond-async, handling=lenient' } })
    const manifest = await (await fetch(kick.headers.get('content-location')!, { headers: { authorization: `Bearer ${token}` } })).json()
    ;(session.checkpoint as Checkpoint).export.manifest.error = manifest.error
    const last = await read('encounter', session)
    expect(last.at(-1)?.problems).toContainEqual({ externalId: 'export', message: expect.stringContaining('ECW export warning: Parameter _elements is not supported and was ignored') })

    // A manifest pointing the token elsewhere is refused before any call.
    ;(session.checkpoint as Checkpoint).export.manifest.output = [{ type: 'Coverage', url: 'http://files.example.com/Coverage-1.ndjson' }]
    const before = calls.length
    await expect(read('insurance', session)).rejects.toMatchObject({ code: 'foreign_host', retryable: false } satisfies Partial<ConnectorError>)
    expect(calls.length).toBe(before)
  })
})

/** The HTTP door without a database: plain fetch, bodies split into lines after download. */
function plainHttp(calls: { method: string; url: string; status: number }[]): ConnectorHttp {
  const send = async (request: HttpRequest): Promise<HttpResponse> => {
    const response = await fetch(request.url, {
      method: request.method,
      headers: { ...request.headers, ...(request.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body: request.form ? new URLSearchParams(request.form).toString() : request.json !== undefined ? JSON.stringify(request.json) : undefined,
    })
    const text = await response.text()
    calls.push({ method: request.method, url: request.url, status: response.status })
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      json = undefined
    }
    return { status: response.status, headers: response.headers, text, json, exchangeId: `x${calls.length}` }
  }
  return {
    request: send,
    async streamLines(request): Promise<StreamedResponse> {
      const response = await send(request)
      const ok = response.status >= 200 && response.status < 300
      const lines = ok ? response.text.split('\n').filter((l) => l.trim() !== '') : []
      return { ...response, lines: (async function* () { yield* lines })() }
    },
    async recordRefusal() {
      return 'refusal'
    },
  }
}

describe('ECW bulk export: one NDJSON line', () => {
  const toItem = (r: Resource): { item: PulledItem } | { problem: string } =>
    r.resourceType === 'Coverage'
      ? { problem: 'Coverage.beneficiary is not a Patient reference' }
      : { item: { type: 'insurance', externalId: r.id!, patientExternalId: 'p1', data: r as unknown as Record<string, unknown> } }

  it('hands the parsed line itself to the connector', () => {
    let seen: Resource | null = null
    const taken = takeLine('{"resourceType":"Patient","id":"p1","birthDate":"1990-01-01"}', 'Patient', (r) => ((seen = r), toItem(r)), 'Patient file 1, line 1')
    expect(taken).toEqual({ item: { type: 'insurance', externalId: 'p1', patientExternalId: 'p1', data: { resourceType: 'Patient', id: 'p1', birthDate: '1990-01-01' } } })
    expect(seen).toBe((taken as { item: { data: unknown } }).item.data)
  })

  it('names what is wrong with a line that is not a resource of the type, with an id', () => {
    const where = 'Patient file 1, line 7'
    const problem = (text: string, type: 'Patient' | 'Coverage' = 'Patient') => (takeLine(text, type, toItem, where) as { problem: { externalId: string; message: string } }).problem
    expect(problem('{"resourceType":')).toEqual({ externalId: where, message: `not imported: ${where} is not JSON` })
    for (const text of ['null', '[]', '"Patient"', '{"id":"p1"}', '{"resourceType":"Patient"}', '{"resourceType":"Patient","id":""}', '{"resourceType":"Patient","id":7}', '{"resourceType":1,"id":"p1"}']) {
      expect(problem(text)).toEqual({ externalId: where, message: `not imported: ${where} is not a FHIR resource with an id` })
    }
    expect(problem('{"resourceType":"Encounter","id":"e1"}')).toEqual({ externalId: 'e1', message: `not imported: ${where} is a Encounter, not a Patient` })
    expect(problem('{"resourceType":"Coverage","id":"c1"}', 'Coverage')).toEqual({ externalId: 'c1', message: 'not imported: Coverage/c1: Coverage.beneficiary is not a Patient reference' })
  })
})
