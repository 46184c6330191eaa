/**
 * The CRMS simulator: a client record management system's referral inbox ([P]: CRMS publishes
 * no API) on a loopback port, paths at the origin root, plus the shared /_sim control surface.
 */
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify'
import type { AddressInfo } from 'node:net'
import { installSimControl } from '../kit/control.js'
import { crmsError, LIMITS, MESSAGES } from './inferred.js'
import { registerCrmsRoutes } from './routes.js'
import { CrmsInbox } from './store.js'

export type { CrmsReferral, ReferralView, StoredAttachment } from './store.js'
export type { CrmsInbox } from './store.js'

/** The API key of the simulated instance unless told otherwise (demo mode uses it). */
export const DEMO_CRMS = Object.freeze({ apiKey: 'crms-demo-key' })

export interface CrmsSimulatorOptions {
  apiKey?: string
  /** The simulator clock in epoch ms (created_at, updated_at, accepted_at). */
  now?: () => number
}

export interface CrmsSimulator {
  app: FastifyInstance
  inbox: CrmsInbox
  /** Starts listening on 127.0.0.1 (port 0 = any free port); resolves to the base URL (the origin). */
  listen(port?: number): Promise<string>
  close(): Promise<void>
}

export function createCrmsSimulator(options: CrmsSimulatorOptions = {}): CrmsSimulator {
  const inbox = new CrmsInbox(options.now)
  const app = Fastify({ logger: false, bodyLimit: LIMITS.requestBytes })
  answerErrorsAsCrms(app)
  installSimControl(app, inbox, { faultBody: (status, message) => crmsError(message ?? (status >= 500 ? 'CRMS is temporarily unavailable' : `Injected fault (${status})`)) })
  registerCrmsRoutes(app, inbox, options.apiKey ?? DEMO_CRMS.apiKey)
  return {
    app,
    inbox,
    async listen(port = 0) {
      await app.listen({ host: '127.0.0.1', port })
      const { port: bound } = app.server.address() as AddressInfo
      return `http://127.0.0.1:${bound}`
    },
    async close() {
      await app.close()
    },
  }
}

/** Parse failures, too-large bodies, unknown routes and crashes answer `{"message"}` like every CRMS error. */
function answerErrorsAsCrms(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500
    const message =
      error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError
        ? MESSAGES.invalidJson
        : status === 413
          ? `The request is larger than ${LIMITS.requestBytes / 1024 / 1024} MB`
          : status >= 500
            ? 'Internal server error'
            : error.message
    return reply.code(status).send(crmsError(message))
  })
  app.setNotFoundHandler((request, reply) => reply.code(404).send(crmsError(MESSAGES.routeNotFound(request.method, request.url.split('?')[0] ?? request.url))))
}
