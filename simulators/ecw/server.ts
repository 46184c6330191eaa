/**
 * eClinicalWorks FHIR R4 simulator: per-practice bases `/fhir/r4/{practice}` with SMART Backend
 * Services auth, reads/searches of Patient, Practitioner, Location, Coverage, Encounter (and
 * Organization), Patient writeback with ECW's error envelope, and ECW's 250/minute rate limit.
 * The FHIR work is done by @medplum/fhir-router (fhir.ts); auth in auth.ts; ECW's writeback
 * rules in writeback.ts; every inferred behaviour in inferred.ts.
 */
import './websocket-polyfill.js'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import type { CapabilityStatement, Organization, Resource } from '@medplum/fhirtypes'
import { z } from 'zod'
import { installSimControl } from '../kit/control.js'
import { decodeJwt } from 'jose'
import { OAuthError, SmartAuthority, fetchJwksOverHttp, scopesAllow, type AccessToken, type EcwClient, type Interaction } from './auth.js'
import { installBulkExport, type BulkOptions } from './bulk.js'
import { FhirStore } from './fhir.js'
import {
  ABSOLUTE_LOCATIONS_DEFAULT,
  AUTHORIZE_PATH,
  KEEP_FOREIGN_IDENTIFIERS_DEFAULT,
  PAGING_FAULT_STATUSES,
  WRITEBACK_CONTENT_TYPE,
  WRITEBACK_INTERACTIONS,
  WWW_AUTHENTICATE_DEFAULT,
  CONTROL_PARAMS,
  DEFAULT_PAGE_SIZE,
  DEFAULT_PRACTICE,
  EXTRA_SEARCH_PARAMS,
  JWKS_PATH,
  MAX_PAGE_SIZE,
  MAX_SEED_PATIENTS,
  PAGE_PARAM,
  PRACTICE_CODE_PATTERN,
  RATE_LIMIT_PER_MINUTE,
  RECORDS_PATIENT_LIMIT,
  RECORDS_WRITE_LIMIT,
  SERVED_TYPES,
  TOKEN_PATH,
  UNIMPLEMENTED_SEARCH_PARAMS,
} from './inferred.js'
import { FhirHttpError, fhirError, operationOutcome } from './outcome.js'
import { demoReferenceData, demoSeedData, generatePatients, accountNumber, type SeedData } from './seed.js'
import { WritebackRefusal, createPatient, processTransaction, unsupportedWrite, updatePatient, type WriteResult, type WritebackContext } from './writeback.js'

export type { EcwClient } from './auth.js'
export type { SeedData } from './seed.js'
export { demoSeedData, demoReferenceData, generatePatients } from './seed.js'

/** How one practice behaves where ECW practices differ or ECW's documents are silent (inferred.ts). */
export interface PracticeSettings {
  /** Patient writeback is enabled (default true); off: writes are refused with 308 and /metadata lists Patient read/search only. */
  writeback: boolean
  /** Identifiers of other systems are stored (default true); off: ECW keeps only its own account number. */
  keepForeignIdentifiers: boolean
  /** Every refused writeback answers HTTP 200 with the error in its body (default false: see writebackHttpStatus). */
  writebackErrorsAsHttp200: boolean
  /** transaction-response locations are absolute URLs (default false: relative). */
  absoluteLocations: boolean
  /** 401 answers carry `WWW-Authenticate: Bearer …` (default false). */
  wwwAuthenticate: boolean
}

export const DEFAULT_PRACTICE_SETTINGS: PracticeSettings = {
  writeback: true,
  keepForeignIdentifiers: KEEP_FOREIGN_IDENTIFIERS_DEFAULT,
  writebackErrorsAsHttp200: false,
  absoluteLocations: ABSOLUTE_LOCATIONS_DEFAULT,
  wwwAuthenticate: WWW_AUTHENTICATE_DEFAULT,
}

export interface EcwSimulatorOptions {
  /** Practices, their allow-listed clients and settings. Default: one practice FFBJCD without clients. */
  practices?: Array<{ code: string; clients: EcwClient[]; settings?: Partial<PracticeSettings> }>
  /** Requests per clock minute per application and practice (token endpoint included). Default 250. */
  ratePerMinute?: number
  /** Clock (ms) for tokens, assertions and the rate-limit window. Default Date.now. */
  now?: () => number
  /** ECW's clock runs this far ahead of `now` (negative: behind). Default 0; also POST /_sim/clock. */
  clockOffsetMs?: number
  /** JWKS fetcher. Default: HTTP GET of the registered URL on every token request. */
  fetchJwks?: (url: string) => Promise<unknown>
  /** Seed every configured practice with its demo data at start (and again on /_sim/reset). Default true. */
  demo?: boolean
  /** Bulk Data export: the Group id, export time, Retry-After, resources per file (bulk.ts). */
  bulk?: BulkOptions
}

export interface SeedSummary {
  practice: string
  created: Record<string, number>
  counts: Record<string, number>
  ms: number
}

export interface EcwSimulator {
  app: FastifyInstance
  /** Listens on 127.0.0.1 (port 0 = any free port); resolves to the origin, e.g. http://127.0.0.1:4321. */
  listen(port?: number): Promise<string>
  close(): Promise<void>
  /** Allow-lists a client (and its JWKS URL) for a practice; creates the practice if new. */
  registerClient(practice: string, client: EcwClient): void
  /** Changes a practice's settings (same as POST /_sim/settings); returns them. */
  configure(practice: string, settings: Partial<PracticeSettings>): PracticeSettings
  /** Sets ECW's clock offset against `now` (same as POST /_sim/clock). */
  setClockOffset(ms: number): void
  /** Stores resources as given (ids kept), then generates `generatePatients` patients. Creates the practice if new. */
  seed(practice: string, data: SeedData): Promise<void>
  /** Seeds the demo reference data and DEMO_PATIENT_COUNT patients. */
  seedDemo(practice?: string): Promise<void>
  /** Bulk-generates patients with Coverage and Encounters (10,000 in about a second). `replace` empties the practice first. */
  seedPatients(practice: string, count: number, options?: { replace?: boolean }): Promise<SeedSummary>
  /** Same as POST /_sim/reset. */
  reset(): Promise<void>
  /** FHIR base of a practice, e.g. http://127.0.0.1:4321/fhir/r4/FFBJCD (after listen). */
  baseUrl(practice?: string): string
  /** Resolves once the initial demo seed is stored. */
  ready: Promise<void>
}

interface Practice {
  code: string
  clients: Map<string, EcwClient>
  store: FhirStore
  /** Index of the next ECW account number. */
  seq: number
  settings: PracticeSettings
  /** Settings given at start, restored by /_sim/reset. */
  initialSettings: PracticeSettings
  writes: unknown[]
  writeErrors: unknown[]
  /** Holds the demo seed: /_sim/reset restores it (else the practice is emptied). */
  demo: boolean
}

export function createEcwSimulator(options: EcwSimulatorOptions = {}): EcwSimulator {
  const clock = options.now ?? Date.now
  let clockOffsetMs = options.clockOffsetMs ?? 0
  /** ECW's own clock: the rate-limit minute, token lifetimes and assertion checks run on it. */
  const now = () => clock() + clockOffsetMs
  const ratePerMinute = options.ratePerMinute ?? RATE_LIMIT_PER_MINUTE
  const demo = options.demo ?? true
  const authority = new SmartAuthority(now, options.fetchJwks ?? fetchJwksOverHttp, ADVERTISED_SCOPES)
  const practices = new Map<string, Practice>()
  const rate = new RateLimit(ratePerMinute)
  /** Requests following a paging link that are still to be refused (/_sim/paging-faults). */
  let pagingFault: { status: (typeof PAGING_FAULT_STATUSES)[number]; remaining: number } | null = null
  let origin: string | undefined

  const ensurePractice = (code: string): Practice => {
    const existing = practices.get(code)
    if (existing) return existing
    if (!PRACTICE_CODE_PATTERN.test(code)) throw new Error(`Invalid practice code ${code}`)
    const practice: Practice = {
      code,
      clients: new Map(),
      store: new FhirStore(),
      seq: 0,
      settings: { ...DEFAULT_PRACTICE_SETTINGS },
      initialSettings: { ...DEFAULT_PRACTICE_SETTINGS },
      writes: [],
      writeErrors: [],
      demo: false,
    }
    practices.set(code, practice)
    return practice
  }

  const registerClient = (code: string, client: EcwClient): void => {
    ensurePractice(code).clients.set(client.clientId, { clientId: client.clientId, jwksUrl: client.jwksUrl ?? null, scopes: [...client.scopes] })
  }

  const configure = (code: string, settings: Partial<PracticeSettings>): PracticeSettings => {
    const practice = ensurePractice(code)
    practice.settings = { ...practice.settings, ...settings }
    return practice.settings
  }

  const generateInto = async (practice: Practice, count: number): Promise<number> => {
    if (count <= 0) return 0
    const store = practice.store
    const [locations, practitioners, organizations] = await Promise.all([store.ids('Location'), store.ids('Practitioner'), store.ids('Organization')])
    if (locations.length + practitioners.length + organizations.length === 0) {
      const reference = demoReferenceData(practice.code)
      await store.seed([...reference.organizations, ...reference.locations, ...reference.practitioners])
      return generateInto(practice, count)
    }
    const payers = ((await store.list('Organization', 1000)) as Organization[]).map((o) => ({ id: o.id ?? '', name: o.name ?? '' }))
    const resources = generatePatients({
      practice: practice.code,
      start: practice.seq,
      count,
      locationIds: locations,
      practitionerIds: practitioners,
      payers,
      lastUpdated: new Date().toISOString(),
    })
    practice.seq += count
    await store.seed(resources)
    return resources.length
  }

  const seed = async (code: string, data: SeedData): Promise<void> => {
    const practice = ensurePractice(code)
    await practice.store.seed([
      ...(data.organizations ?? []),
      ...(data.locations ?? []),
      ...(data.practitioners ?? []),
      ...(data.patients ?? []),
      ...(data.coverages ?? []),
      ...(data.encounters ?? []),
    ])
    await generateInto(practice, data.generatePatients ?? 0)
  }

  const seedDemo = async (code: string = DEFAULT_PRACTICE): Promise<void> => {
    await seed(code, demoSeedData(code))
    ensurePractice(code).demo = true
  }

  const counts = async (practice: Practice): Promise<Record<string, number>> => {
    const out: Record<string, number> = {}
    for (const type of SERVED_TYPES) out[type] = (await practice.store.ids(type)).length
    return out
  }

  const seedPatients = async (code: string, count: number, seedOptions: { replace?: boolean } = {}): Promise<SeedSummary> => {
    const started = performance.now()
    const practice = ensurePractice(code)
    if (seedOptions.replace) {
      practice.store.clear()
      practice.seq = 0
      const reference = demoReferenceData(practice.code)
      await practice.store.seed([...reference.organizations, ...reference.locations, ...reference.practitioners])
    }
    const before = await counts(practice)
    await generateInto(practice, count)
    const after = await counts(practice)
    const created: Record<string, number> = {}
    for (const type of SERVED_TYPES) created[type] = (after[type] ?? 0) - (before[type] ?? 0)
    return { practice: code, created, counts: after, ms: Math.round(performance.now() - started) }
  }

  for (const configured of options.practices ?? [{ code: DEFAULT_PRACTICE, clients: [] }]) {
    const practice = ensurePractice(configured.code)
    practice.settings = { ...DEFAULT_PRACTICE_SETTINGS, ...configured.settings }
    practice.initialSettings = { ...practice.settings }
    for (const client of configured.clients) registerClient(configured.code, client)
  }
  const ready = (async () => {
    if (demo) for (const code of practices.keys()) await seedDemo(code)
  })()

  const reset = async (): Promise<void> => {
    await ready
    authority.reset()
    rate.reset()
    pagingFault = null
    clockOffsetMs = options.clockOffsetMs ?? 0
    bulk.reset()
    for (const practice of practices.values()) {
      practice.store.clear()
      practice.seq = 0
      practice.settings = { ...practice.initialSettings }
      practice.writes = []
      practice.writeErrors = []
      if (practice.demo) await seedDemo(practice.code)
    }
  }

  const records = async (): Promise<unknown> => {
    await ready
    const out: Record<string, unknown> = {}
    for (const practice of practices.values()) {
      const byType = await counts(practice)
      const patients = await practice.store.list('Patient', RECORDS_PATIENT_LIMIT)
      out[practice.code] = {
        base: origin ? `${origin}/fhir/r4/${practice.code}` : null,
        clients: [...practice.clients.values()],
        counts: byType,
        patientsTotal: byType.Patient ?? 0,
        patientsListed: patients.length,
        patients,
        settings: practice.settings,
        writes: practice.writes,
        writeErrors: practice.writeErrors,
        bulkExports: bulk.records(practice.code),
        rateLimit: rate.records(practice.code, now()),
      }
    }
    return { clockOffsetMs, practices: out, ...authority.records() }
  }

  // ------------------------------------------------------------------------------------------
  // HTTP
  // ------------------------------------------------------------------------------------------

  const app = Fastify({ logger: false, bodyLimit: 20 * 1024 * 1024, routerOptions: { ignoreTrailingSlash: true } })
  app.addContentTypeParser(['application/fhir+json', 'application/json+fhir'], { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, body === '' ? undefined : JSON.parse(body as string))
    } catch {
      done(fhirError(400, 'structure', 'The request body is not valid JSON'), undefined)
    }
  })
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, new URLSearchParams(body as string))
  })

  // Injected errors answer as ECW does: an OperationOutcome (429: throttled, no Retry-After).
  installSimControl(app, { records, reset }, {
    faultBody: (status, message) =>
      operationOutcome(status === 429 ? 'throttled' : status >= 500 ? 'exception' : 'invalid', message ?? `Injected fault (${status})`),
  })

  app.get('/_sim/clients', async () => {
    const out: Record<string, EcwClient[]> = {}
    for (const practice of practices.values()) out[practice.code] = [...practice.clients.values()]
    return { practices: out }
  })
  app.post('/_sim/clients', async (request, reply) => {
    const parsed = ClientBody.safeParse(request.body)
    if (!parsed.success) return reply.code(400).send({ error: 'invalid_client_registration', message: parsed.error.message })
    const { practice = DEFAULT_PRACTICE, ...client } = parsed.data
    await ready
    registerClient(practice, client)
    return reply.code(201).send({ practice, clients: [...(practices.get(practice)?.clients.values() ?? [])] })
  })
  app.post('/_sim/seed', async (request, reply) => {
    const parsed = SeedBody.safeParse(request.body)
    if (!parsed.success) return reply.code(400).send({ error: 'invalid_seed', message: parsed.error.message })
    await ready
    return seedPatients(parsed.data.practice ?? DEFAULT_PRACTICE, parsed.data.patients, { replace: parsed.data.replace })
  })

  app.get('/_sim/settings', async () => {
    await ready
    const out: Record<string, PracticeSettings> = {}
    for (const practice of practices.values()) out[practice.code] = practice.settings
    return { clockOffsetMs, practices: out }
  })
  app.post('/_sim/settings', async (request, reply) => {
    const parsed = SettingsBody.safeParse(request.body)
    if (!parsed.success) return reply.code(400).send({ error: 'invalid_settings', message: parsed.error.message })
    await ready
    const { practice = DEFAULT_PRACTICE, ...settings } = parsed.data
    return { practice, settings: configure(practice, settings) }
  })
  app.post('/_sim/clock', async (request, reply) => {
    const parsed = ClockBody.safeParse(request.body)
    if (!parsed.success) return reply.code(400).send({ error: 'invalid_clock', message: parsed.error.message })
    clockOffsetMs = parsed.data.offsetMs
    return { clockOffsetMs, now: new Date(now()).toISOString() }
  })
  app.post('/_sim/paging-faults', async (request, reply) => {
    const parsed = PagingFaultBody.safeParse(request.body)
    if (!parsed.success) return reply.code(400).send({ error: 'invalid_paging_fault', message: parsed.error.message })
    pagingFault = parsed.data.count > 0 ? { status: parsed.data.status, remaining: parsed.data.count } : null
    return { pagingFault }
  })
  app.post('/_sim/tokens/revoke', async (request, reply) => {
    const parsed = RevokeBody.safeParse(request.body ?? {})
    if (!parsed.success) return reply.code(400).send({ error: 'invalid_revoke', message: parsed.error.message })
    return { revoked: authority.revoke(parsed.data.practice) }
  })

  // Every answer is dated by ECW's clock (offset included): a client can tell where ECW's minute ends.
  app.addHook('onSend', async (_request, reply, payload) => {
    void reply.header('date', new Date(now()).toUTCString())
    return payload
  })

  // Practice gate: unknown practice → 404 (not counted).
  app.addHook('onRequest', async (request, reply) => {
    const code = practiceCodeOf(request.url)
    if (code === undefined) return
    await ready
    if (!practices.has(code)) return sendFhir(reply, 404, operationOutcome('not-found', `Practice code ${code} not found`))
  })

  // ECW's rate limit, after the body is parsed (the token request names its client in the assertion).
  app.addHook('preHandler', async (request, reply) => {
    const code = practiceCodeOf(request.url)
    if (code === undefined || !practices.has(code)) return
    const application = applicationOf(request)
    const verdict = rate.count(code, application, now())
    if (verdict.ok) return
    const who = application.clientId ? `application ${application.clientId}` : 'this caller'
    const message = `Rate limit of ${ratePerMinute} requests per minute exceeded by ${who} (at practice ${verdict.exceededAt}); every request from it is blocked until the next minute`
    if (isTokenPath(request.url)) return reply.code(429).headers(NO_STORE).send({ error: 'rate_limit_exceeded', error_description: message })
    return sendFhir(reply, 429, operationOutcome('throttled', message))
  })

  /** The application behind a request: its token's client, or the token request's client; else the caller's address at this practice. */
  const applicationOf = (request: FastifyRequest): { clientId: string | null; key: string } => {
    let clientId = authority.clientOf(request.headers.authorization)
    if (!clientId && isTokenPath(request.url) && request.body instanceof URLSearchParams) {
      const assertion = request.body.get('client_assertion')
      try {
        const iss = assertion ? decodeJwt(assertion).iss : undefined
        if (typeof iss === 'string' && iss !== '') clientId = iss
      } catch {
        // Not a JWT: the token endpoint refuses it; counted as an unidentified caller.
      }
    }
    if (clientId) return { clientId, key: `client ${clientId}` }
    return { clientId: null, key: `address ${request.ip} at ${practiceCodeOf(request.url) ?? ''}` }
  }

  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    if (error instanceof OAuthError) return reply.code(error.status).headers(NO_STORE).send(error.body())
    if (error instanceof FhirHttpError) {
      if (error.status === 401 && practices.get(practiceCodeOf(request.url) ?? '')?.settings.wwwAuthenticate) {
        const description = error.outcome.issue?.[0]?.diagnostics ?? 'The access token is invalid'
        void reply.header('www-authenticate', `Bearer realm="eClinicalWorks FHIR", error="invalid_token", error_description="${description.replace(/"/g, "'")}"`)
      }
      return sendFhir(reply, error.status, error.outcome)
    }
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500
    if (isTokenPath(request.url)) {
      return reply.code(status >= 500 ? 500 : 400).send({ error: status >= 500 ? 'access_denied' : 'invalid_request', error_description: error.message })
    }
    if (request.url.startsWith('/_sim')) return reply.code(status).send({ error: 'sim_error', message: error.message })
    return sendFhir(reply, status, operationOutcome(status >= 500 ? 'exception' : 'invalid', error.message))
  })
  app.setNotFoundHandler((request, reply) => {
    if (request.url.startsWith('/fhir/r4/')) {
      return sendFhir(reply, 404, operationOutcome('not-supported', `${request.method} ${request.url.split('?')[0]} is not a route of this server`))
    }
    return reply.code(404).send({ error: 'not_found', message: `${request.method} ${request.url} is not a route of this server` })
  })

  type Params = { practice: string; type: string; id: string }
  const practiceOf = (request: FastifyRequest): Practice => {
    const practice = practices.get((request.params as Params).practice)
    if (!practice) throw fhirError(404, 'not-found', 'Practice code not found')
    return practice
  }
  const baseOf = (request: FastifyRequest, practice: Practice): string => `${requestOrigin(request)}/fhir/r4/${practice.code}`
  const authenticate = (request: FastifyRequest, practice: Practice): AccessToken => {
    const result = authority.authenticate(practice.code, request.headers.authorization)
    if (!result.ok) throw fhirError(401, result.code, result.message)
    return result.token
  }
  const requireType = (type: string): void => {
    if (!(SERVED_TYPES as readonly string[]).includes(type)) throw fhirError(404, 'not-supported', `Resource type ${type} is not supported`)
  }
  const requireScope = (token: AccessToken, type: string, interaction: Interaction): void => {
    if (!scopesAllow(token.scopes, type, interaction)) {
      const needs = { read: 'r (.r, .rs, .read)', search: 's (.s, .rs, .read)', create: 'c (.c)', update: 'u (.u)', delete: 'd (.d)' }[interaction]
      throw fhirError(403, 'forbidden', `The access token does not allow ${interaction} on ${type}: it needs a system/${type} scope granting ${needs}`)
    }
  }
  const writebackContext = (practice: Practice, token: AccessToken): WritebackContext => ({
    store: practice.store,
    can: (interaction, type) => scopesAllow(token.scopes, type, interaction),
    nextAccountNumber: () => accountNumber(practice.seq++),
    writebackEnabled: practice.settings.writeback,
    keepForeignIdentifiers: practice.settings.keepForeignIdentifiers,
  })
  const logWrite = (practice: Practice, request: FastifyRequest, result: WriteResult): void => {
    const resources = result.body.resourceType === 'Bundle' ? (result.body.entry ?? []).map((e) => e.resource).filter((r): r is Resource => !!r) : [result.body]
    for (const resource of resources) {
      practice.writes.push({ at: new Date(now()).toISOString(), method: request.method, path: request.url, resource })
    }
    practice.writes.splice(0, Math.max(0, practice.writes.length - RECORDS_WRITE_LIMIT))
  }
  /** Runs a writeback; a refusal answers ECW's envelope `{status, key, message}` (inferred.ts). */
  const runWrite = async (request: FastifyRequest, reply: FastifyReply, practice: Practice, write: () => Promise<WriteResult>): Promise<FastifyReply> => {
    let result: WriteResult
    try {
      result = await write()
    } catch (err) {
      if (!(err instanceof WritebackRefusal)) throw err
      const status = practice.settings.writebackErrorsAsHttp200 ? 200 : err.httpStatus
      practice.writeErrors.push({ at: new Date(now()).toISOString(), method: request.method, path: request.url, httpStatus: status, ...err.envelope() })
      practice.writeErrors.splice(0, Math.max(0, practice.writeErrors.length - RECORDS_WRITE_LIMIT))
      return reply.code(status).header('content-type', WRITEBACK_CONTENT_TYPE).send(JSON.stringify(err.envelope()))
    }
    logWrite(practice, request, result)
    const base = baseOf(request, practice)
    if (practice.settings.absoluteLocations && result.body.resourceType === 'Bundle') {
      for (const entry of result.body.entry ?? []) if (entry.response?.location) entry.response.location = `${base}/${entry.response.location}`
    }
    if (result.location) void reply.header('location', `${base}/${result.location}`)
    if (result.versionId) void reply.header('etag', `W/"${result.versionId}"`)
    if (result.lastModified) void reply.header('last-modified', new Date(result.lastModified).toUTCString())
    return sendFhir(reply, result.status, result.body)
  }

  const bulk = installBulkExport(
    app,
    {
      now,
      practice: (request) => practiceOf(request),
      authenticate: (request) => authenticate(request, practiceOf(request)),
      baseOf: (request) => baseOf(request, practiceOf(request)),
      sendFhir,
    },
    options.bulk,
  )

  // Discovery
  app.get('/fhir/r4/:practice/.well-known/smart-configuration', async (request, reply) => {
    const base = baseOf(request, practiceOf(request))
    return reply.header('cache-control', 'no-cache').send({
      ...SMART_CONFIGURATION,
      issuer: base,
      jwks_uri: `${base}/${JWKS_PATH}`,
      authorization_endpoint: `${base}/${AUTHORIZE_PATH}`,
      token_endpoint: `${base}/${TOKEN_PATH}`,
    })
  })
  app.get('/fhir/r4/:practice/metadata', async (request, reply) => {
    const base = baseOf(request, practiceOf(request))
    const statement = structuredClone(CAPABILITY_STATEMENT)
    statement.url = `${base}/metadata`
    statement.implementation = { description: 'eClinicalWorks FHIR Facade Service (carebridge simulator)', url: base }
    // ECW's published statement lists Patient read/search only; where writeback is on, say so [I].
    const patient = statement.rest?.[0]?.resource?.find((r) => r.type === 'Patient')
    if (patient && practiceOf(request).settings.writeback) {
      patient.interaction = [...(patient.interaction ?? []), ...WRITEBACK_INTERACTIONS.map((code) => ({ code }))]
    }
    for (const extension of statement.rest?.[0]?.security?.extension ?? []) {
      for (const uri of extension.extension ?? []) {
        if (uri.url === 'authorize') uri.valueUri = `${base}/${AUTHORIZE_PATH}`
        if (uri.url === 'token') uri.valueUri = `${base}/${TOKEN_PATH}`
      }
    }
    return sendFhir(reply, 200, statement)
  })

  // OAuth
  app.post(`/fhir/r4/:practice/${TOKEN_PATH}`, async (request, reply) => {
    const practice = practiceOf(request)
    if (!(request.body instanceof URLSearchParams)) {
      throw new OAuthError('invalid_request', 'The token request must be application/x-www-form-urlencoded')
    }
    const form = new Map<string, string[]>()
    for (const [key, value] of request.body) form.set(key, [...(form.get(key) ?? []), value])
    const tokenUrl = `${baseOf(request, practice)}/${TOKEN_PATH}`
    const audiences = [tokenUrl, ...(origin ? [`${origin}/fhir/r4/${practice.code}/${TOKEN_PATH}`] : [])]
    const response = await authority.token({ practice: practice.code, form, audiences, client: (id) => practice.clients.get(id) })
    return reply.headers(NO_STORE).send(response)
  })
  app.get(`/fhir/r4/:practice/${JWKS_PATH}`, async (request) => {
    practiceOf(request)
    return { keys: [] }
  })
  app.all(`/fhir/r4/:practice/${AUTHORIZE_PATH}`, async (request, reply) => {
    practiceOf(request)
    return reply.code(501).send({ error: 'access_denied', error_description: 'The simulator implements only the client_credentials grant' })
  })

  // Writeback: transaction Bundle at the base
  app.post('/fhir/r4/:practice', async (request, reply) => {
    const practice = practiceOf(request)
    const token = authenticate(request, practice)
    return runWrite(request, reply, practice, () => processTransaction(request.body, writebackContext(practice, token)))
  })

  // Search
  app.get('/fhir/r4/:practice/:type', async (request, reply) => {
    const practice = practiceOf(request)
    const { type } = request.params as Params
    const token = authenticate(request, practice)
    requireType(type)
    requireScope(token, type, 'search')
    const { params, count, page } = searchParams(type, request.url)
    for (const [key, value] of params) {
      if (key === '_include' || key === '_revinclude') requireScope(token, includedType(key, value), 'read')
    }
    if (page > 1 && pagingFault && pagingFault.remaining > 0) {
      pagingFault.remaining -= 1
      const fault = pagingFault.status
      if (pagingFault.remaining === 0) pagingFault = null
      throw fault === 410
        ? fhirError(410, 'expired', 'This paging link has expired; run the search again')
        : fhirError(400, 'invalid', 'This paging link is not valid')
    }
    const endpoint = `${baseOf(request, practice)}/${type}`
    let bundle
    try {
      bundle = await practice.store.search(type, params, { count, page, endpoint, pageParam: PAGE_PARAM })
    } catch (err) {
      const outcome = (err as { outcome?: { issue?: Array<{ details?: { text?: string } }> } }).outcome
      throw fhirError(400, 'invalid', outcome?.issue?.[0]?.details?.text ?? (err instanceof Error ? err.message : 'Invalid search'))
    }
    return sendFhir(reply, 200, bundle)
  })

  // Read
  app.get('/fhir/r4/:practice/:type/:id', async (request, reply) => {
    const practice = practiceOf(request)
    const { type, id } = request.params as Params
    const token = authenticate(request, practice)
    requireType(type)
    requireScope(token, type, 'read')
    const resource = await practice.store.read(type, id)
    if (!resource) throw fhirError(404, 'not-found', `${type}/${id} not found`)
    if (resource.meta?.versionId) void reply.header('etag', `W/"${resource.meta.versionId}"`)
    if (resource.meta?.lastUpdated) void reply.header('last-modified', new Date(resource.meta.lastUpdated).toUTCString())
    return sendFhir(reply, 200, resource)
  })

  // Create / update (Patient only)
  app.post('/fhir/r4/:practice/:type', async (request, reply) => {
    const practice = practiceOf(request)
    const { type } = request.params as Params
    const token = authenticate(request, practice)
    if (type !== 'Patient') throw unsupportedWrite(`POST ${type}`)
    return runWrite(request, reply, practice, () => createPatient(request.body, writebackContext(practice, token)))
  })
  app.put('/fhir/r4/:practice/:type/:id', async (request, reply) => {
    const practice = practiceOf(request)
    const { type, id } = request.params as Params
    const token = authenticate(request, practice)
    if (type !== 'Patient') throw unsupportedWrite(`PUT ${type}`)
    const ifMatch = typeof request.headers['if-match'] === 'string' ? request.headers['if-match'] : undefined
    return runWrite(request, reply, practice, () => updatePatient(id, request.body, writebackContext(practice, token), ifMatch))
  })
  app.route({
    method: ['DELETE', 'PATCH'],
    url: '/fhir/r4/:practice/:type/:id',
    handler: async (request) => {
      const practice = practiceOf(request)
      authenticate(request, practice)
      const { type } = request.params as Params
      throw unsupportedWrite(`${request.method} ${type}`)
    },
  })
  app.route({
    method: ['PUT', 'DELETE', 'PATCH'],
    url: '/fhir/r4/:practice/:type',
    handler: async (request) => {
      const practice = practiceOf(request)
      authenticate(request, practice)
      const { type } = request.params as Params
      throw unsupportedWrite(`conditional ${request.method} ${type}`)
    },
  })

  return {
    app,
    ready,
    registerClient,
    seed: async (code, data) => {
      await ready
      await seed(code, data)
    },
    seedDemo: async (code = DEFAULT_PRACTICE) => {
      await ready
      await seedDemo(code)
    },
    seedPatients: async (code, count, seedOptions) => {
      await ready
      return seedPatients(code, count, seedOptions)
    },
    reset,
    configure,
    setClockOffset(ms) {
      clockOffsetMs = ms
    },
    async listen(port = 0) {
      await ready
      await app.listen({ host: '127.0.0.1', port })
      const address = app.server.address() as AddressInfo
      origin = `http://127.0.0.1:${address.port}`
      return origin
    },
    async close() {
      await app.close()
    },
    baseUrl(code = DEFAULT_PRACTICE) {
      if (!origin) throw new Error('The ECW simulator is not listening yet')
      return `${origin}/fhir/r4/${code}`
    },
  }
}

// ---------------------------------------------------------------------------------------------

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' }

const SettingsBody = z
  .object({
    practice: z.string().regex(PRACTICE_CODE_PATTERN).optional(),
    writeback: z.boolean().optional(),
    keepForeignIdentifiers: z.boolean().optional(),
    writebackErrorsAsHttp200: z.boolean().optional(),
    absoluteLocations: z.boolean().optional(),
    wwwAuthenticate: z.boolean().optional(),
  })
  .strict()

const ClockBody = z.object({ offsetMs: z.number().int().min(-86_400_000).max(86_400_000) }).strict()

const PagingFaultBody = z
  .object({ status: z.union([z.literal(PAGING_FAULT_STATUSES[0]), z.literal(PAGING_FAULT_STATUSES[1])]), count: z.number().int().min(0).max(1000).default(1) })
  .strict()

const RevokeBody = z.object({ practice: z.string().regex(PRACTICE_CODE_PATTERN).optional() }).strict()

const ClientBody = z.object({
  practice: z.string().regex(PRACTICE_CODE_PATTERN).optional(),
  clientId: z.string().min(1),
  jwksUrl: z.string().nullable().optional(),
  scopes: z.array(z.string().min(1)),
})

const SeedBody = z.object({
  practice: z.string().regex(PRACTICE_CODE_PATTERN).optional(),
  patients: z.number().int().min(0).max(MAX_SEED_PATIENTS),
  replace: z.boolean().optional(),
})

const SPEC_DIR = new URL('./', import.meta.url)
const CAPABILITY_STATEMENT = JSON.parse(readFileSync(new URL('capabilitystatement.json', SPEC_DIR), 'utf8')) as CapabilityStatement
const SMART_CONFIGURATION = JSON.parse(readFileSync(new URL('smart-configuration.json', SPEC_DIR), 'utf8')) as Record<string, unknown> & { scopes_supported: string[] }
/** The scopes ECW advertises: the token endpoint refuses any other. */
const ADVERTISED_SCOPES: ReadonlySet<string> = new Set(SMART_CONFIGURATION.scopes_supported)

/**
 * ECW's rate limit (inferred.ts): a counter per practice and application per clock minute; an
 * application past the limit at any practice is blocked everywhere until that minute ends.
 */
class RateLimit {
  private window = -1
  private readonly used = new Map<string, Map<string, number>>()
  private readonly blocked = new Map<string, string>()

  constructor(private readonly perMinute: number) {}

  count(practice: string, application: { key: string }, nowMs: number): { ok: true } | { ok: false; exceededAt: string } {
    this.roll(nowMs)
    const byApplication = this.used.get(practice) ?? new Map<string, number>()
    this.used.set(practice, byApplication)
    const used = (byApplication.get(application.key) ?? 0) + 1
    byApplication.set(application.key, used)
    const blockedAt = this.blocked.get(application.key)
    if (blockedAt) return { ok: false, exceededAt: blockedAt }
    if (used > this.perMinute) {
      this.blocked.set(application.key, practice)
      return { ok: false, exceededAt: practice }
    }
    return { ok: true }
  }

  records(practice: string, nowMs: number): unknown {
    this.roll(nowMs)
    const byApplication = Object.fromEntries(this.used.get(practice) ?? [])
    return {
      perMinute: this.perMinute,
      window: new Date(this.window * 60_000).toISOString(),
      used: Object.values(byApplication).reduce((a, b) => a + b, 0),
      byApplication,
      blocked: [...this.blocked.entries()].map(([application, at]) => ({ application, exceededAt: at })),
    }
  }

  reset(): void {
    this.window = -1
    this.used.clear()
    this.blocked.clear()
  }

  private roll(nowMs: number): void {
    const window = Math.floor(nowMs / 60_000)
    if (window === this.window) return
    this.window = window
    this.used.clear()
    this.blocked.clear()
  }
}

/** The type an `_include` (its target, else the reference parameter's name) or `_revinclude` (its source) brings. */
function includedType(key: string, value: string): string {
  const [source = '', param = '', target] = value.split(':')
  if (key === '_revinclude') return source
  if (target) return target
  return param.charAt(0).toUpperCase() + param.slice(1)
}

function practiceCodeOf(url: string): string | undefined {
  const match = /^\/fhir\/r4\/([^/?#]+)/.exec(url)
  return match?.[1] ? decodeURIComponent(match[1]) : undefined
}

/** Per served type: the search parameters and _include/_revinclude values ECW declares. */
const SEARCH_RULES = new Map<string, { params: Set<string>; include: Set<string>; revinclude: Set<string> }>(
  SERVED_TYPES.map((type) => {
    const declared = CAPABILITY_STATEMENT.rest?.[0]?.resource?.find((r) => r.type === type)
    const params = new Set(
      (declared?.searchParam ?? []).map((p) => p.name).filter((name) => name !== PAGE_PARAM && !UNIMPLEMENTED_SEARCH_PARAMS.includes(name)),
    )
    for (const extra of EXTRA_SEARCH_PARAMS) params.add(extra)
    const explicit = (values: string[] | undefined): Set<string> => new Set((values ?? []).filter((v) => v !== '*' && !UNIMPLEMENTED_SEARCH_PARAMS.some((u) => v.endsWith(`:${u}`))))
    return [type, { params, include: explicit(declared?.searchInclude), revinclude: explicit(declared?.searchRevInclude) }]
  }),
)

/** Validates a search's query string against ECW's declared parameters; splits off paging. */
function searchParams(type: string, url: string): { params: Array<[string, string]>; count: number; page: number } {
  const rules = SEARCH_RULES.get(type)
  const query = new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '')
  const params: Array<[string, string]> = []
  let count = DEFAULT_PAGE_SIZE
  let page = 1
  const seen = new Set<string>()
  for (const [key, value] of query) {
    const name = key.split(':')[0] ?? key
    if (CONTROL_PARAMS.includes(key)) {
      if ((key === '_count' || key === PAGE_PARAM) && seen.has(key)) throw fhirError(400, 'invalid', `Parameter ${key} is repeated`)
      seen.add(key)
    }
    if (key === '_count') {
      if (!/^\d+$/.test(value)) throw fhirError(400, 'invalid', `_count must be a non-negative integer`)
      count = Math.min(Number(value), MAX_PAGE_SIZE)
    } else if (key === PAGE_PARAM) {
      if (!/^\d+$/.test(value) || Number(value) < 1) throw fhirError(400, 'invalid', `${PAGE_PARAM} must be a page number from 1`)
      page = Number(value)
    } else if (key === '_format') {
      // JSON is always answered.
    } else if (key === '_include' || key === '_revinclude') {
      if (!rules?.[key === '_include' ? 'include' : 'revinclude'].has(value)) {
        throw fhirError(400, 'not-supported', `${key}=${value} is not supported for ${type}`)
      }
      params.push([key, value])
    } else if (rules?.params.has(name)) {
      params.push([key, value])
    } else {
      const supported = [...(rules?.params ?? [])].join(', ')
      throw fhirError(400, 'not-supported', `Search parameter ${key} is not supported for ${type} (supported: ${supported}, _count, ${PAGE_PARAM})`)
    }
  }
  return { params, count, page }
}

function sendFhir(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).header('content-type', 'application/fhir+json; charset=utf-8').send(JSON.stringify(body))
}

function requestOrigin(request: FastifyRequest): string {
  return `${request.protocol}://${request.headers.host ?? request.hostname}`
}

function isTokenPath(url: string): boolean {
  return url.split('?')[0]?.endsWith(`/${TOKEN_PATH}`) ?? false
}
