import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { receiveInbound } from '../../engine/inbound.js'
import type { Hub } from '../../hub.js'
import { InboundAccepted, InboundRefused } from './responses.js'

/**
 * Calls external systems make to the hub (webhooks): `POST /api/inbound/{connector}/{connectionId}`.
 * Not authenticated by an API key — a key is a hub user's credential and is never handed to an
 * external system — but by the connection's own secret, which the connector checks on the body
 * bytes exactly as received (never re-serialized JSON).
 */
export function inboundRoutes(hub: Hub): FastifyPluginAsyncZod {
  return async (app) => {
    // This scope keeps every body raw: a signature covers the bytes, not a parse of them.
    app.removeAllContentTypeParsers()
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body))

    app.post(
      '/inbound/:connector/:connectionId',
      {
        config: { role: 'public' },
        // Referral events carry their files as base64: attachments of up to 10 MB each (src/referrals/attachments.ts).
        bodyLimit: 32 * 1024 * 1024,
        schema: {
          tags: ['inbound'],
          summary:
            "An external system's event (KIPU's Patient Creation / Chart Update, a Caredove referral event): verified by the connection's own secret, recorded in the log (direction inbound), applied once per event id; its work (a pull of that patient, a referral imported into the inbox) is done or queued at once. A Caredove referral that cannot be imported is answered 400 {\"message\"} naming what to fix",
          security: [],
          params: z.object({ connector: z.string().min(1).max(40), connectionId: z.string().uuid('must be the connection id (a UUID)') }),
          response: { 200: InboundAccepted, 202: InboundAccepted, '4xx': InboundRefused, 503: InboundRefused },
        },
      },
      async (request, reply) => {
        const headers: Record<string, string> = {}
        for (const [name, value] of Object.entries(request.headers)) if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value
        const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)
        const answer = await receiveInbound(hub, request.params, { method: request.method, url: request.url, headers, rawBody, receivedAt: new Date() })
        if (answer.status === 202) hub.engine.nudge()
        return reply.code(answer.status).send(answer.body as never)
      },
    )
  }
}
