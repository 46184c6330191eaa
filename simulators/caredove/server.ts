/**
 * The Caredove simulator: a referral network holding referrals on service listings, whose staff
 * actions fire Caredove's integration triggers; each event is signed (Standard Webhooks) and
 * delivered to the configured integrations, and every delivery's `http_code` and body is kept
 * like Caredove's integration log, with Resend. Everything is driven through /_sim.
 */
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify'
import type { AddressInfo } from 'node:net'
import { installSimControl } from '../kit/control.js'
import { DEMO_SERVICE_LISTINGS, DEMO_SIGNING_SECRET, MESSAGES } from './inferred.js'
import { registerCaredoveRoutes } from './routes.js'
import { CaredoveStore, type ActionAnswer, type ServiceListing } from './store.js'
import type { ReferralInput } from './referrals.js'
import type { Integration } from './deliveries.js'

export { TRIGGERS, CLOSE_OUTCOMES, type Trigger, type CloseOutcome } from './inferred.js'
export type { CaredoveEvent, WireReferral } from './payload.js'
export type { Delivery, Integration } from './deliveries.js'
export type { ActionAnswer, CaredoveStore, EventRequest, ServiceListing } from './store.js'
export type { HeldReferral, ReferralInput } from './referrals.js'
export { textPdf, gradientPng } from './files.js'

/** The demo signing secret and service listings (demo mode and `npm run simulators` use these). */
export const DEMO_CAREDOVE = Object.freeze({
  signingSecret: DEMO_SIGNING_SECRET,
  serviceListings: DEMO_SERVICE_LISTINGS as readonly ServiceListing[],
})

export interface CaredoveSimulatorOptions {
  serviceListings?: readonly ServiceListing[]
  /** The simulator clock in epoch ms (event times, signatures' timestamps). */
  now?: () => number
}

export interface CaredoveSimulator {
  app: FastifyInstance
  store: CaredoveStore
  /** Starts listening on 127.0.0.1 (port 0 = any free port); resolves to the base URL (the origin). */
  listen(port?: number): Promise<string>
  /** Points Caredove's integration at a URL (e.g. the hub's inbound route), for all listings unless told otherwise. */
  integrate(url: string, options?: { signingSecret?: string; serviceListingIds?: string[] }): Integration
  /**
   * A referral arrives (generated data with these overrides; the first listing unless named) and
   * its `received` event goes to the integrations: what `POST /_sim/referrals` does.
   */
  refer(input?: Partial<ReferralInput>): Promise<ActionAnswer>
  close(): Promise<void>
}

export function createCaredoveSimulator(options: CaredoveSimulatorOptions = {}): CaredoveSimulator {
  const store = new CaredoveStore(options.serviceListings ?? DEMO_CAREDOVE.serviceListings, options.now ?? Date.now)
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024 * 1024 })
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500
    return reply.code(status).send({ message: status >= 500 ? 'Internal server error' : error.message })
  })
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ message: MESSAGES.routeNotFound(request.method, request.url.split('?')[0] ?? request.url) }))
  installSimControl(app, store, { faultBody: (status, message) => ({ message: message ?? `Injected fault (${status})` }) })
  registerCaredoveRoutes(app, store)
  return {
    app,
    store,
    async listen(port = 0) {
      await app.listen({ host: '127.0.0.1', port })
      const { port: bound } = app.server.address() as AddressInfo
      return `http://127.0.0.1:${bound}`
    },
    integrate(url, integration = {}) {
      return store.log.addIntegration({ url, signingSecret: integration.signingSecret ?? DEMO_CAREDOVE.signingSecret, serviceListingIds: integration.serviceListingIds ?? store.listings.map((l) => l.id) })
    },
    async refer(input = {}) {
      const listingId = input.service_listing_id ?? store.listings[0]!.id
      if (!store.listing(listingId)) return { ok: false, status: 400, message: MESSAGES.unknownListing(listingId, store.listings.map((l) => l.id)) }
      return store.dispatch(store.referrals.create({ ...input, service_listing_id: listingId }))
    },
    async close() {
      await app.close()
    },
  }
}
