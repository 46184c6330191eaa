/**
 * The KIPU EMR simulator: KIPU's API v3 (APIAuth-signed patients, census, latest, reference
 * lists) on a loopback port, plus the shared /_sim control surface and KIPU's webhooks. Its base
 * URL is the origin (paths start with /api, like https://api.kipuapi.com/api/…).
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify'
import type { AddressInfo } from 'node:net'
import { installSimControl } from '../kit/control.js'
import { ADMISSION_DEFAULTS, type Admission } from './charts.js'
import { MESSAGES, kipuError } from './inferred.js'
import { registerKipuRoutes } from './routes.js'
import { KipuStore, type KipuCredentials } from './store.js'

export { KIPU_CARE_LEVELS, KIPU_LOCATIONS, KIPU_PAYORS, KIPU_PROGRAMS, KIPU_REFERRERS } from './reference.js'
export { signApiAuth } from './apiAuth.js'
export type { KipuStore } from './store.js'

/** The credentials of the simulated instance unless told otherwise (demo mode uses these). */
export const DEMO_KIPU: Readonly<KipuCredentials> = Object.freeze({
  accessId: 'demo-kipu-access-id',
  // Shaped like the Base64 secret keys KIPU issues.
  secretKey: 'c2ltdWxhdGVkLWtpcHUtc2VjcmV0LWtleS1mb3ItY2FyZWJyaWRnZQ==',
  appId: 'demo-kipu-app',
})

export interface KipuSimulatorOptions extends Partial<KipuCredentials> {
  /** The machine clock in epoch ms (the simulated clock adds its offset to it). */
  now?: () => number
}

export interface KipuSimulator {
  app: FastifyInstance
  store: KipuStore
  /** Starts listening on 127.0.0.1 (port 0 = any free port); resolves to the base URL (the origin). */
  listen(port?: number): Promise<string>
  /** Admits the chart made for a sending app's patient (demo mode); false when no such chart exists yet. */
  admitBySendingAppId(sendingAppPatientId: string, overrides?: Partial<Admission>): boolean
  /** Subscribes a URL to the instance's webhooks. */
  subscribe(url: string): void
  close(): Promise<void>
}

export function createKipuSimulator(options: KipuSimulatorOptions = {}): KipuSimulator {
  const store = new KipuStore(
    { accessId: options.accessId ?? DEMO_KIPU.accessId, secretKey: options.secretKey ?? DEMO_KIPU.secretKey, appId: options.appId ?? DEMO_KIPU.appId },
    options.now ?? Date.now,
  )
  const app = Fastify({ logger: false, bodyLimit: 5 * 1024 * 1024 })
  keepRawJsonBodies(app)
  answerErrorsAsKipu(app)
  installSimControl(app, store, { faultBody: (status, message) => kipuError(message ?? (status === 503 ? 'The service is overloaded with requests' : `Injected fault (${status})`)) })
  registerKipuRoutes(app, store)
  // Answers carry the simulated clock, as KIPU's carry its own: a client can see how far apart they are.
  app.addHook('onSend', async (_request, reply, payload) => {
    void reply.header('date', new Date(store.clock()).toUTCString())
    return payload
  })

  return {
    app,
    store,
    async listen(port = 0) {
      await app.listen({ host: '127.0.0.1', port })
      const { port: bound } = app.server.address() as AddressInfo
      return `http://127.0.0.1:${bound}`
    },
    admitBySendingAppId(sendingAppPatientId, overrides = {}) {
      const chart = store.charts.all().find((c) => c.data.sending_app_patient_id === sendingAppPatientId)
      if (!chart) return false
      store.charts.admit(chart, { ...ADMISSION_DEFAULTS, ...overrides })
      store.webhooks.notify('Chart Update', chart)
      return true
    },
    subscribe(url) {
      store.webhooks.subscribers.add(url)
    },
    async close() {
      store.webhooks.close()
      await app.close()
    },
  }
}

/** Content-MD5 is checked over the body bytes as received, so JSON bodies are kept raw beside the parsed value. */
function keepRawJsonBodies(app: FastifyInstance): void {
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const raw = body as Buffer
    ;(request as FastifyRequest & { rawBody?: Buffer }).rawBody = raw
    if (raw.length === 0) return done(null, undefined)
    try {
      done(null, JSON.parse(raw.toString('utf8')))
    } catch {
      done(Object.assign(new Error(MESSAGES.invalidJson), { statusCode: 400 }), undefined)
    }
  })
}

/** Parse failures, unknown routes and crashes answer `{"errors": "…"}` like KIPU. */
function answerErrorsAsKipu(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500
    const message = status === 415 ? MESSAGES.unsupportedMediaType : status >= 500 ? 'Something is broken' : error.message
    return reply.code(status).send(kipuError(message))
  })
  app.setNotFoundHandler((request, reply) => reply.code(404).send(kipuError(MESSAGES.routeNotFound(request.method, request.url.split('?')[0] ?? request.url))))
}
