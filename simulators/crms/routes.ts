/**
 * CRMS's referral API over HTTP ([P], see inferred.ts): the X-API-Key guard, POST/GET/PATCH
 * /referrals, attachment bytes, and the CRMS-specific /_sim extras (staff accepting a referral).
 * The behaviour lives in the inbox; this file only translates requests and outcomes.
 */
import { timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { crmsError, MESSAGES } from './inferred.js'
import { parseCreate, parseReferral } from './payload.js'
import { view, type CrmsInbox, type Outcome, type CrmsReferral } from './store.js'

/** Registers the API and the /_sim extras. Call after installSimControl. */
export function registerCrmsRoutes(app: FastifyInstance, inbox: CrmsInbox, apiKey: string): void {
  void app.register(async (api) => {
    api.addHook('onRequest', apiKeyGuard(apiKey))
    // Every 4xx a write gets is kept, so a demo can show what an integration was told to fix.
    api.addHook('onSend', async (request, reply, payload) => {
      if (request.method !== 'GET' && reply.statusCode >= 400 && reply.statusCode < 500 && typeof payload === 'string') {
        inbox.refusals.push({ at: new Date().toISOString(), method: request.method, path: request.url, status: reply.statusCode, message: messageOf(payload) })
      }
      return payload
    })

    api.post('/referrals', async (request, reply) => {
      const parsed = parseCreate(request.body)
      if (!parsed.ok) return reply.code(400).send(crmsError(parsed.message))
      return answer(reply, inbox.create(parsed.body), 201, (r) => ({ id: r.id, status: r.status }))
    })

    api.get('/referrals', async (request, reply) => {
      const query = request.query as Record<string, unknown>
      const externalId = query.external_id
      if (externalId !== undefined && (typeof externalId !== 'string' || externalId === '')) {
        return reply.code(400).send(crmsError('external_id must be a single non-empty value'))
      }
      return { items: inbox.list(externalId as string | undefined).map((r) => ({ id: r.id, external_id: r.external_id, status: r.status })) }
    })

    api.get('/referrals/:id', async (request, reply) => {
      const { id } = request.params as { id: string }
      const referral = inbox.get(id)
      if (!referral) return reply.code(404).send(crmsError(MESSAGES.referralNotFound(id)))
      return view(referral)
    })

    api.get('/referrals/:id/attachments/:attachmentId', async (request, reply) => {
      const { id, attachmentId } = request.params as { id: string; attachmentId: string }
      const referral = inbox.get(id)
      if (!referral) return reply.code(404).send(crmsError(MESSAGES.referralNotFound(id)))
      const attachment = referral.attachments.find((a) => a.id === attachmentId)
      if (!attachment) return reply.code(404).send(crmsError(MESSAGES.attachmentNotFound(id, attachmentId)))
      return reply.type(attachment.content_type).header('content-disposition', `inline; filename="${attachment.filename.replace(/"/g, '')}"`).send(attachment.data)
    })

    api.patch('/referrals/:id', async (request, reply) => {
      const { id } = request.params as { id: string }
      if (!inbox.get(id)) return reply.code(404).send(crmsError(MESSAGES.referralNotFound(id)))
      const parsed = parseReferral(request.body)
      if (!parsed.ok) return reply.code(400).send(crmsError(parsed.message))
      return answer(reply, inbox.update(id, parsed.body), 200, view)
    })
  })

  app.post('/_sim/referrals/:id/accept', async (request, reply) => {
    const { id } = request.params as { id: string }
    return answer(reply, inbox.accept(id), 200, view)
  })
}

function apiKeyGuard(apiKey: string) {
  const expected = Buffer.from(apiKey)
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const sent = request.headers['x-api-key']
    const value = Array.isArray(sent) ? sent[0] : sent
    if (!value) return reply.code(401).send(crmsError(MESSAGES.missingApiKey))
    const given = Buffer.from(value)
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return reply.code(401).send(crmsError(MESSAGES.wrongApiKey))
  }
}

function answer<T>(reply: FastifyReply, outcome: Outcome<CrmsReferral>, status: number, shape: (r: CrmsReferral) => T) {
  if (!outcome.ok) return reply.code(outcome.status).send(outcome.body)
  return reply.code(status).send(shape(outcome.value))
}

function messageOf(payload: string): string {
  try {
    const parsed = JSON.parse(payload) as { message?: unknown }
    return typeof parsed.message === 'string' ? parsed.message : payload
  } catch {
    return payload
  }
}
