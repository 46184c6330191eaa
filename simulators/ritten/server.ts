/**
 * The Ritten EMR simulator: Ritten's External API (token, patients, insurance payers) on a
 * loopback port, under /v1 like https://api.ritten.io/v1, plus the shared /_sim control surface
 * at the origin root.
 */
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify'
import type { AddressInfo } from 'node:net'
import { installSimControl } from '../kit/control.js'
import { apiError, MESSAGES } from './inferred.js'
import { RITTEN_SEEDED_PAYERS } from './payers.js'
import { registerRittenRoutes } from './routes.js'
import { RittenStore } from './store.js'

export { RITTEN_SEEDED_PAYERS, type Payer } from './payers.js'
export type { RittenRecords } from './store.js'

/** The credentials of the simulated clinic unless told otherwise (demo mode uses these). */
export const DEMO_RITTEN = Object.freeze({
  clientId: 'demo-ritten-client',
  clientSecret: 'demo-ritten-secret',
  tenant: 'democlinic',
  audience: 'https://external-api.ritten.io',
})

export interface RittenSimulatorOptions {
  clientId?: string
  clientSecret?: string
  tenant?: string
  audience?: string
  /** Lifetime of minted access tokens; Ritten's is 24 hours. */
  tokenTtlSeconds?: number
  /** The token endpoint's per-IP request limit (default TOKEN_REQUEST_LIMIT: 10, then one every 6 s). */
  tokenRequestLimit?: { capacity: number; refillPerSecond: number }
  /**
   * The API's request limit per client (default API_RATE_LIMIT: 100, refilling at 50/s). `null`
   * lifts it, for a benchmark of the hub's own cost only (`npm run bench`, part `cost`).
   */
  apiRateLimit?: { capacity: number; refillPerSecond: number } | null
  /** The simulator clock in epoch milliseconds: token expiry, mint quota, rate limit, createdAt. */
  now?: () => number
}

export interface RittenSimulator {
  app: FastifyInstance
  /** Starts listening on 127.0.0.1 (port 0 = any free port); resolves to the base URL ending in /v1. */
  listen(port?: number): Promise<string>
  close(): Promise<void>
}

export function createRittenSimulator(options: RittenSimulatorOptions = {}): RittenSimulator {
  const now = options.now ?? Date.now
  const store = new RittenStore(
    {
      clientId: options.clientId ?? DEMO_RITTEN.clientId,
      clientSecret: options.clientSecret ?? DEMO_RITTEN.clientSecret,
      audience: options.audience ?? DEMO_RITTEN.audience,
      ttlSeconds: options.tokenTtlSeconds ?? 86_400,
    },
    now,
    RITTEN_SEEDED_PAYERS,
    options.tokenRequestLimit,
    options.apiRateLimit,
  )
  const app = Fastify({ logger: false })
  acceptFormBodies(app)
  answerErrorsAsRitten(app)
  // Injected errors answer in Ritten's API shape ({message}), like its real 429 and 5xx.
  installSimControl(app, store, { faultBody: (status, message) => ({ message: message ?? (status === 429 ? 'Too Many Requests' : `Injected fault (${status})`) }) })
  registerRittenRoutes(app, store, { tenant: options.tenant ?? DEMO_RITTEN.tenant })

  return {
    app,
    async listen(port = 0) {
      await app.listen({ host: '127.0.0.1', port })
      const { port: bound } = app.server.address() as AddressInfo
      return `http://127.0.0.1:${bound}/v1`
    },
    async close() {
      await app.close()
    },
  }
}

/** The token endpoint takes application/x-www-form-urlencoded as well as JSON. */
function acceptFormBodies(app: FastifyInstance): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))))
  })
}

/**
 * Body-parsing failures, unknown routes and crashes answer in the shape of the route they hit:
 * OAuth errors on the token endpoint, `{message}` elsewhere.
 */
function answerErrorsAsRitten(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500
    const message = status >= 500 ? 'Internal Server Error' : error.message
    if (request.url.split('?')[0] === '/v1/oauth/token') {
      return reply.code(status).send({ error: status >= 500 ? 'server_error' : 'invalid_request', error_description: message })
    }
    return reply.code(status).send(apiError(message))
  })
  app.setNotFoundHandler((request, reply) => {
    return reply.code(404).send(apiError(MESSAGES.routeNotFound(request.method, request.url.split('?')[0] ?? request.url)))
  })
}
