/**
 * KIPU's API v3 over HTTP (under /api): every call checked for the vendor Accept header, the
 * APIAuth signature (with Content-MD5 and a 15-minute Date window) and the app id, then patients
 * (create, PATCH, get, census, latest) and the reference lists. Plus the KIPU-specific /_sim
 * extras: charts made or admitted by "KIPU staff", webhooks, the clock, the create answer.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { verifyApiAuth } from './apiAuth.js'
import { ADMISSION_DEFAULTS, type Admission, type Chart, type PhiLevel } from './charts.js'
import { isCalendarDate } from './catalog.js'
import { KIPU_ACCEPT, MESSAGES, PAGE, WEBHOOK_EVENTS, kipuError, type CreateAnswer } from './inferred.js'
import { KIPU_CARE_LEVELS, KIPU_LOCATIONS, KIPU_PAYORS, KIPU_REFERRERS } from './reference.js'
import type { KipuStore } from './store.js'
import type { WebhookEvent } from './webhooks.js'

type Query = Record<string, string | string[] | undefined>
type RawRequest = FastifyRequest & { rawBody?: Buffer }

export function registerKipuRoutes(app: FastifyInstance, store: KipuStore): void {
  void app.register(async (api) => {
    api.addHook('preHandler', guard(store))
    registerPatientRoutes(api, store)
    registerReferenceRoutes(api)
  })
  registerSimExtras(app, store)
}

/** Accept header, then the signature, then the app id (query on reads, recipient_id on writes). */
function guard(store: KipuStore) {
  return async (request: RawRequest, reply: FastifyReply) => {
    if (!request.url.startsWith('/api/')) return
    const accept = request.headers.accept ?? ''
    if (!accept.split(',').some((a) => a.trim().replace(/\s+/g, ' ') === KIPU_ACCEPT)) return reply.code(406).send(kipuError(MESSAGES.notAcceptable))
    const verdict = verifyApiAuth(
      { method: request.method, url: request.url, headers: request.headers, rawBody: request.rawBody ?? null },
      store.credentials,
      store.clock(),
    )
    if (!verdict.ok) {
      store.refusals.push({ at: new Date().toISOString(), path: request.url, cause: verdict.cause })
      return reply.code(401).send(kipuError(verdict.message))
    }
    if (request.method === 'GET') {
      const appId = single((request.query as Query).app_id)
      if (!appId) return reply.code(400).send(kipuError(MESSAGES.missingAppId))
      if (appId !== store.credentials.appId) return reply.code(403).send(kipuError(MESSAGES.wrongAppId))
    } else {
      const recipient = (request.body as { document?: { recipient_id?: unknown } } | undefined)?.document?.recipient_id
      if (recipient === undefined || recipient === null || recipient === '') return reply.code(400).send(kipuError(MESSAGES.missingRecipient))
      if (String(recipient) !== store.credentials.appId) return reply.code(403).send(kipuError(MESSAGES.wrongRecipient))
    }
  }
}

function registerPatientRoutes(app: FastifyInstance, store: KipuStore): void {
  app.post('/api/patients', async (request, reply) => {
    const document = readDocument(request.body)
    if (!document.ok) return reply.code(422).send(kipuError(document.message))
    const checked = store.charts.checkData(document.value.data, 'create')
    if (!checked.ok) return reply.code(422).send(kipuError(checked.message))
    const chart = store.charts.create(checked.value, document.value.sendingAppName)
    return reply.code(201).send(createAnswer(store.createAnswer, chart))
  })

  app.patch<{ Params: { id: string } }>('/api/patients/:id', async (request, reply) => {
    const chart = findChart(store, request.params.id, request.query as Query)
    if (!chart) return reply.code(404).send(kipuError(MESSAGES.patientNotFound))
    const document = readDocument(request.body)
    if (!document.ok) return reply.code(422).send(kipuError(document.message))
    const checked = store.charts.checkData(document.value.data, 'patch')
    if (!checked.ok) return reply.code(422).send(kipuError(checked.message))
    store.charts.patch(chart, checked.value)
    return { patient: store.charts.view(chart) }
  })

  app.get('/api/patients/census', async (request, reply) => {
    const query = request.query as Query
    const phi = phiLevel(query, true)
    if (!phi) return reply.code(400).send(kipuError(MESSAGES.badPhiLevel))
    const page = paging(query)
    if (!page) return reply.code(400).send(kipuError(MESSAGES.badPage))
    let charts = store.charts.all()
    const location = single(query.location_id)
    if (location) charts = charts.filter((c) => c.data.location_id === location)
    const start = single(query.start_date)
    const end = single(query.end_date)
    if (start || end) {
      charts = charts.filter((c) => {
        const admitted = typeof c.data.admission_date === 'string' ? c.data.admission_date.slice(0, 10) : ''
        return admitted !== '' && (!start || admitted >= start.slice(0, 10)) && (!end || admitted <= end.slice(0, 10))
      })
    }
    return listAnswer('patients', charts, page, (c) => store.charts.view(c, phi))
  })

  app.get('/api/patients/latest', async (request, reply) => {
    const query = request.query as Query
    const phi = phiLevel(query, false)
    if (!phi) return reply.code(400).send(kipuError(MESSAGES.badPhiLevel))
    const page = paging(query)
    if (!page) return reply.code(400).send(kipuError(MESSAGES.badPage))
    const start = instant(single(query.start_date))
    const end = instant(single(query.end_date)) ?? store.clock()
    if (start === null) return reply.code(400).send(kipuError('start_date is required (ISO 8601 date or date-time)'))
    const charts = store.charts.updatedBetween(start, end)
    return listAnswer('patients', charts, page, (c) => store.charts.view(c, phi))
  })

  app.get<{ Params: { id: string } }>('/api/patients/:id', async (request, reply) => {
    const query = request.query as Query
    const chart = findChart(store, request.params.id, query)
    if (!chart) return reply.code(404).send(kipuError(MESSAGES.patientNotFound))
    const phi = phiLevel(query, false)
    if (!phi) return reply.code(400).send(kipuError(MESSAGES.badPhiLevel))
    return { patient: store.charts.view(chart, phi) }
  })
}

function registerReferenceRoutes(app: FastifyInstance): void {
  const lists: [string, string, readonly unknown[]][] = [
    ['/api/locations', 'locations', KIPU_LOCATIONS],
    ['/api/care_levels', 'care_levels', KIPU_CARE_LEVELS],
    ['/api/settings/payors', 'payors', KIPU_PAYORS],
    ['/api/contacts/referrers', 'referrers', KIPU_REFERRERS],
  ]
  for (const [path, key, items] of lists) {
    app.get(path, async (request, reply) => {
      const page = paging(request.query as Query)
      if (!page) return reply.code(400).send(kipuError(MESSAGES.badPage))
      return listAnswer(key, items, page, (item) => item)
    })
  }
}

/** Not part of KIPU: what its staff and its clock would do, for demos and tests. */
function registerSimExtras(app: FastifyInstance, store: KipuStore): void {
  const chartOf = (casefileId: string, reply: FastifyReply) => {
    const chart = store.charts.findByCasefile(casefileId)
    if (!chart) void reply.code(404).send(kipuError(`No chart ${casefileId}`))
    return chart
  }

  // KIPU staff create a chart in KIPU itself (no sending app): a "Patient Creation" event.
  app.post('/_sim/patients', async (request, reply) => {
    const body = (request.body ?? {}) as { data?: unknown; admit?: boolean }
    const checked = store.charts.checkData(body.data, 'create')
    if (!checked.ok) return reply.code(422).send(kipuError(checked.message))
    const chart = store.charts.create(checked.value, null)
    store.webhooks.notify('Patient Creation', chart)
    if (body.admit) store.charts.admit(chart)
    return reply.code(201).send(store.charts.view(chart))
  })

  // Many admitted charts at once (benchmarks, paging tests).
  app.post('/_sim/patients/seed', async (request, reply) => {
    const body = (request.body ?? {}) as { count?: unknown; admitted?: unknown }
    const count = typeof body.count === 'number' && Number.isInteger(body.count) && body.count > 0 && body.count <= 100_000 ? body.count : null
    if (count === null) return reply.code(400).send(kipuError('Send {"count": 1..100000, "admitted"?: boolean}'))
    const made = store.seed(count, body.admitted !== false)
    return { created: made }
  })

  app.post<{ Params: { casefileId: string } }>('/_sim/patients/:casefileId/admit', async (request, reply) => {
    const chart = chartOf(request.params.casefileId, reply)
    if (!chart) return reply
    const body = (request.body ?? {}) as Record<string, unknown>
    const overrides = pickAdmission(body)
    if (typeof body.admission_date === 'string') overrides.admission_date = body.admission_date
    if (typeof body.mr_number === 'string') overrides.mr_number = body.mr_number
    store.charts.admit(chart, overrides)
    store.webhooks.notify('Chart Update', chart)
    return store.charts.view(chart)
  })

  // A chart edited in KIPU's screens: demographics (catalog names) and post-admission fields.
  app.post<{ Params: { casefileId: string } }>('/_sim/patients/:casefileId/chart', async (request, reply) => {
    const chart = chartOf(request.params.casefileId, reply)
    if (!chart) return reply
    const body = { ...((request.body ?? {}) as Record<string, unknown>) }
    const admission = pickAdmission(body)
    for (const key of Object.keys(admission)) delete body[key]
    const checked = store.charts.checkData(body, 'patch')
    if (!checked.ok) return reply.code(422).send(kipuError(checked.message))
    store.charts.edit(chart, checked.value.data, admission)
    store.webhooks.notify('Chart Update', chart)
    return store.charts.view(chart)
  })

  app.get('/_sim/webhooks', async () => ({ subscribers: [...store.webhooks.subscribers], deliveries: store.webhooks.deliveries }))
  app.post('/_sim/webhooks', async (request, reply) => {
    const url = (request.body as { url?: unknown } | undefined)?.url
    if (typeof url !== 'string' || !/^https?:\/\//.test(url)) return reply.code(400).send(kipuError('Send {"url": "http(s)://…"} to subscribe to Patient Creation and Chart Update'))
    store.webhooks.subscribers.add(url)
    return { subscribers: [...store.webhooks.subscribers] }
  })
  app.delete('/_sim/webhooks', async () => {
    store.webhooks.subscribers.clear()
    return { subscribers: [] }
  })
  // One delivery now, answered with the receiver's http_code and body (event_id may be repeated on purpose).
  app.post('/_sim/webhooks/send', async (request, reply) => {
    const body = (request.body ?? {}) as { url?: unknown; event?: unknown; casefileId?: unknown; eventId?: unknown }
    const event = body.event ?? 'Chart Update'
    if (typeof body.url !== 'string' || typeof body.casefileId !== 'string' || !WEBHOOK_EVENTS.includes(event as WebhookEvent) || (body.eventId !== undefined && typeof body.eventId !== 'string')) {
      return reply.code(400).send(kipuError(`Send {"url", "casefileId", "event"?: ${WEBHOOK_EVENTS.map((e) => `"${e}"`).join(' | ')}, "eventId"?}`))
    }
    const chart = chartOf(body.casefileId, reply)
    if (!chart) return reply
    return store.webhooks.send(body.url, event as WebhookEvent, chart, body.eventId as string | undefined)
  })

  app.post('/_sim/clock', async (request, reply) => {
    const offset = (request.body as { offsetMs?: unknown } | undefined)?.offsetMs
    if (typeof offset !== 'number' || !Number.isFinite(offset)) return reply.code(400).send(kipuError('Send {"offsetMs": <number>}: how far the simulated KIPU clock runs ahead (negative: behind)'))
    store.clockOffsetMs = offset
    return { offsetMs: offset, now: new Date(store.clock()).toUTCString() }
  })

  app.post('/_sim/settings', async (request, reply) => {
    const answer = (request.body as { createAnswer?: unknown } | undefined)?.createAnswer
    if (answer !== 'ids' && answer !== 'empty') return reply.code(400).send(kipuError('Send {"createAnswer": "ids" | "empty"}'))
    store.createAnswer = answer
    return { createAnswer: answer }
  })
}

function readDocument(body: unknown): { ok: true; value: { data: unknown; sendingAppName: string | null } } | { ok: false; message: string } {
  const document = (body as { document?: unknown } | undefined)?.document
  if (!document || typeof document !== 'object' || Array.isArray(document)) return { ok: false, message: 'Send {"document": {"recipient_id", "sending_app_name", "data": {…}}}' }
  const unknown = Object.keys(document).filter((k) => !['recipient_id', 'sending_app_name', 'data'].includes(k))
  if (unknown.length > 0) return { ok: false, message: `document.${unknown[0]} is not a document field` }
  const { sending_app_name: name, data } = document as { sending_app_name?: unknown; data?: unknown }
  if (name !== undefined && typeof name !== 'string') return { ok: false, message: 'document.sending_app_name must be a string' }
  return { ok: true, value: { data, sendingAppName: (name as string | undefined) ?? null } }
}

function createAnswer(kind: CreateAnswer, chart: Chart): Record<string, unknown> {
  if (kind === 'empty') return {}
  return { id: chart.id, patient_master_id: chart.patientMasterId, casefile_id: chart.casefileId }
}

function findChart(store: KipuStore, id: string, query: Query): Chart | undefined {
  const master = single(query.patient_master_id)
  if (!/^\d+$/.test(id) || !master) return undefined
  return store.charts.find(Number(id), master)
}

function phiLevel(query: Query, required: boolean): PhiLevel | null {
  const value = single(query.phi_level)
  if (value === undefined) return required ? null : 'high'
  return value === 'high' || value === 'medium' || value === 'low' ? value : null
}

function paging(query: Query): { page: number; per: number } | null {
  const page = single(query.page) ?? '1'
  const per = single(query.per) ?? String(PAGE.defaultPer)
  if (!/^\d+$/.test(page) || !/^\d+$/.test(per)) return null
  const p = Number(page)
  const n = Number(per)
  if (p < 1 || n < 1 || n > PAGE.maxPer) return null
  return { page: p, per: n }
}

/** [V] Pagination values are strings. Only the page asked for is rendered. */
function listAnswer<T>(key: string, items: readonly T[], { page, per }: { page: number; per: number }, render: (item: T) => unknown): Record<string, unknown> {
  const totalPages = Math.max(1, Math.ceil(items.length / per))
  return {
    pagination: { current_page: String(page), total_pages: String(totalPages), records_per_page: String(per), total_records: String(items.length) },
    [key]: items.slice((page - 1) * per, page * per).map(render),
  }
}

function instant(value: string | undefined): number | null {
  if (!value) return null
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return isCalendarDate(value) ? Date.parse(`${value}T00:00:00Z`) : null
  const at = Date.parse(value)
  return Number.isNaN(at) ? null : at
}

function pickAdmission(body: Record<string, unknown>): Partial<Admission> & { admission_date?: string; mr_number?: string } {
  const out: Partial<Admission> = {}
  for (const key of Object.keys(ADMISSION_DEFAULTS) as (keyof Admission)[]) if (typeof body[key] === 'string') out[key] = body[key] as string
  return out
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}
