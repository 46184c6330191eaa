/**
 * Ritten's External API over HTTP (under /v1): the token endpoint, the Bearer/tenant/rate-limit
 * guard of every other call, patients and insurance payers. The behaviour lives in the store;
 * this file only translates requests and outcomes.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import {
  API_GUARD_ORDER,
  apiError,
  latestToday,
  LIST_LIMIT,
  MESSAGES,
  TENANT_STATUS,
  UUID_PATTERN,
  type FieldError,
} from './inferred.js'
import { createPatientBody, parseBody, patchPatientBody, PROGRAM_STATUSES, type ProgramStatus } from './payload.js'
import type { RittenStore } from './store.js'

export interface RittenRouteSettings {
  /** The clinic id every call must send as X-Ritten-Tenant. */
  tenant: string
}

/** Registers the /v1 API and the Ritten-specific /_sim extras. Call after installSimControl. */
export function registerRittenRoutes(app: FastifyInstance, store: RittenStore, settings: RittenRouteSettings): void {
  void app.register(
    async (v1) => {
      registerTokenRoute(v1, store)
      await v1.register(async (api) => {
        api.addHook('onRequest', apiGuard(store, settings.tenant))
        registerPatientRoutes(api, store)
        registerPayerRoutes(api, store)
      })
    },
    { prefix: '/v1' },
  )
  registerSimExtras(app, store)
}

function registerTokenRoute(app: FastifyInstance, store: RittenStore): void {
  app.post('/oauth/token', async (request, reply) => {
    const answer = store.tokens.request(request.body, `ip:${request.ip}`)
    if (!answer.ok) return reply.code(answer.status).send(answer.body)
    return answer.grant
  })
}

/** Bearer token, rate limit and tenant, in the order API_GUARD_ORDER says. */
function apiGuard(store: RittenStore, tenant: string) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    let caller = `ip:${request.ip}`
    for (const check of API_GUARD_ORDER) {
      switch (check) {
        case 'token': {
          const token = bearerToken(request)
          if (token === null) return reply.code(401).send(apiError(MESSAGES.missingToken))
          const verdict = store.tokens.check(token)
          if (!verdict.ok) {
            return reply.code(401).send(apiError(verdict.reason === 'expired' ? MESSAGES.expiredToken : MESSAGES.unknownToken))
          }
          caller = `client:${verdict.clientId}`
          break
        }
        case 'rateLimit':
          if (!store.buckets.take(caller)) return reply.code(429).send(apiError(MESSAGES.tooManyRequests))
          break
        case 'tenant': {
          const sent = request.headers['x-ritten-tenant']
          const value = Array.isArray(sent) ? sent[0] : sent
          if (!value) return reply.code(TENANT_STATUS.missing).send(apiError(MESSAGES.missingTenant))
          if (value !== tenant) return reply.code(TENANT_STATUS.wrong).send(apiError(MESSAGES.wrongTenant(value)))
          break
        }
      }
    }
  }
}

function registerPatientRoutes(app: FastifyInstance, store: RittenStore): void {
  const context = { isPayer: (payerId: string) => store.payers.has(payerId), today: () => latestToday(store.now()) }
  const createBody = createPatientBody(context)
  const patchBody = patchPatientBody(context)

  app.post('/patients', async (request, reply) => {
    const parsed = parseBody(createBody, request.body)
    if (!parsed.ok) return reply.code(400).send(apiError(MESSAGES.invalidCreate, parsed.errors))
    // 200, not 201: that is what the spec declares.
    return store.patients.create(parsed.value)
  })

  app.get<{ Querystring: Record<string, string | string[] | undefined> }>('/patients', async (request, reply) => {
    const query = parseListQuery(request.query)
    if (!query.ok) return reply.code(400).send(apiError(MESSAGES.invalidQuery, query.errors))
    return store.patients.list(query.programStatus, query.limit, query.offset)
  })

  app.get<{ Params: { externalId: string } }>('/patients/external/:externalId', async (request, reply) => {
    const patient = store.patients.findByExternalId(request.params.externalId)
    if (!patient) return reply.code(404).send(apiError(MESSAGES.patientNotFound))
    return patient
  })

  app.get<{ Params: { id: string } }>('/patients/:id', async (request, reply) => {
    if (!UUID_PATTERN.test(request.params.id)) return reply.code(400).send(apiError(MESSAGES.invalidId))
    const patient = store.patients.get(request.params.id)
    if (!patient) return reply.code(404).send(apiError(MESSAGES.patientNotFound))
    return patient
  })

  app.patch<{ Params: { id: string } }>('/patients/:id', async (request, reply) => {
    if (!UUID_PATTERN.test(request.params.id)) {
      return reply.code(400).send(apiError(MESSAGES.invalidPatch, [{ path: 'id', message: 'must be a patient id (UUID)' }]))
    }
    const parsed = parseBody(patchBody, request.body)
    if (!parsed.ok) return reply.code(400).send(apiError(MESSAGES.invalidPatch, parsed.errors))
    const outcome = store.patients.update(request.params.id, parsed.value)
    if (outcome.ok) return outcome.patient
    if (outcome.reason === 'not_found') return reply.code(404).send(apiError(MESSAGES.patientNotFound))
    return reply.code(400).send(apiError(MESSAGES.invalidPatch, outcome.errors))
  })
}

function registerPayerRoutes(app: FastifyInstance, store: RittenStore): void {
  app.get('/insurance/payers', async () => store.payers.list())

  app.get<{ Params: { id: string } }>('/insurance/payers/:id', async (request, reply) => {
    if (!UUID_PATTERN.test(request.params.id)) return reply.code(400).send(apiError(MESSAGES.invalidId))
    const payer = store.payers.find(request.params.id)
    if (!payer) return reply.code(404).send(apiError(MESSAGES.payerNotFound))
    return payer
  })
}

/**
 * Not part of Ritten: moves a patient to `active` or `former`, as an admission or discharge in
 * Ritten's UI would, so that pulls of active patients have something to find.
 */
function registerSimExtras(app: FastifyInstance, store: RittenStore): void {
  app.post<{ Params: { id: string }; Body: unknown }>('/_sim/patients/:id/program-status', async (request, reply) => {
    const body = request.body as { programStatus?: unknown } | undefined
    const status = body?.programStatus
    if (typeof status !== 'string' || !isProgramStatus(status)) {
      return reply.code(400).send(apiError('Send {"programStatus": "prospective" | "active" | "former"}'))
    }
    const patient = store.patients.setProgramStatus(request.params.id, status)
    if (!patient) return reply.code(404).send(apiError(MESSAGES.patientNotFound))
    return patient
  })
}

type ListQuery = { ok: true; programStatus: ProgramStatus; limit: number; offset: number } | { ok: false; errors: FieldError[] }

function parseListQuery(query: Record<string, string | string[] | undefined>): ListQuery {
  const errors: FieldError[] = []
  const programStatus = single(query.programStatus)
  if (programStatus === undefined) errors.push({ path: 'programStatus', message: 'is required' })
  else if (!isProgramStatus(programStatus)) {
    errors.push({ path: 'programStatus', message: `must be one of: ${PROGRAM_STATUSES.join(', ')}` })
  }
  const limit = integerParam(query.limit, LIST_LIMIT.default)
  if (limit === null || limit < LIST_LIMIT.min || limit > LIST_LIMIT.max) {
    errors.push({ path: 'limit', message: `must be an integer from ${LIST_LIMIT.min} to ${LIST_LIMIT.max}` })
  }
  const offset = integerParam(query.offset, 0)
  if (offset === null || offset < 0) errors.push({ path: 'offset', message: 'must be an integer of 0 or more' })
  if (errors.length > 0) return { ok: false, errors }
  return { ok: true, programStatus: programStatus as ProgramStatus, limit: limit as number, offset: offset as number }
}

function integerParam(value: string | string[] | undefined, fallback: number): number | null {
  const text = single(value)
  if (text === undefined) return fallback
  return /^-?\d+$/.test(text) ? Number(text) : null
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

function isProgramStatus(value: string): value is ProgramStatus {
  return (PROGRAM_STATUSES as readonly string[]).includes(value)
}

function bearerToken(request: FastifyRequest): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')
  return match?.[1] ?? null
}
