import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { EVENT_DESCRIPTIONS, EVENT_TYPES } from '../../events/catalog.js'
import { emitTestEvent } from '../../events/emit.js'
import { ConflictError } from '../../errors.js'
import {
  SubscriptionInput,
  SubscriptionPatch,
  createSubscription,
  deleteSubscription,
  getSubscription,
  listSubscriptions,
  rotateSecret,
  updateSubscription,
  type SubscriptionView,
} from '../../events/subscriptions.js'
import { audit } from '../../security/audit.js'
import type { Hub } from '../../hub.js'
import { errorResponses, listOf } from './responses.js'
import { IdParams, ListQuery } from './common.js'
import { applyCursor, toPage } from '../../db/cursor.js'
import { sql } from 'kysely'
import type { JobError } from '../../engine/jobs.js'

const Subscription = z.object({
  id: z.string().describe('UUID'),
  url: z.string(),
  events: z.array(z.string()),
  enabled: z.boolean(),
  description: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
})
const SubscriptionWithSecret = Subscription.extend({
  secret: z.string().describe('the Standard Webhooks signing secret (whsec_…): shown once, store it with the receiver'),
})
const EventTypeInfo = z.object({ type: z.enum(EVENT_TYPES), description: z.string() })
const DeliveryEntry = z.object({
  jobId: z.string(),
  eventId: z.string(),
  eventType: z.string().nullable().describe('null once the event was removed (after the retention period)'),
  state: z.enum(['queued', 'running', 'retrying', 'succeeded', 'failed', 'needs_attention']),
  delivered: z.boolean().describe('false for a job that succeeded without sending (the subscription was disabled or deleted)'),
  attempts: z.number().int(),
  nextAttemptAt: z.string().nullable(),
  lastError: z.object({ code: z.string(), message: z.string(), httpStatus: z.number().optional(), exchangeId: z.string().optional() }).nullable(),
  replayOf: z.string().nullable(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
})

/** What an audit entry keeps of a subscription: never its secret. */
const audited = (s: SubscriptionView) => ({ url: s.url, events: s.events, enabled: s.enabled, description: s.description })

/** Outbound events (F19): subscriptions of the organization to the hub's events; admins only, every change audited. */
export function eventRoutes(hub: Hub): FastifyPluginAsyncZod {
  const admin = { role: 'admin' } as const
  return async (app) => {
    app.get(
      '/event-types',
      { config: admin, schema: { tags: ['events'], summary: 'The events a subscription can receive, with what each means', response: { 200: listOf(EventTypeInfo), ...errorResponses } } },
      async () => ({ items: EVENT_TYPES.map((type) => ({ type, description: EVENT_DESCRIPTIONS[type] })), next: null }),
    )

    app.get(
      '/event-subscriptions',
      { config: admin, schema: { tags: ['events'], summary: 'Event subscriptions (signing secrets are never returned)', response: { 200: listOf(Subscription), ...errorResponses } } },
      async (request) => ({ items: await listSubscriptions(hub.db, request.actor.organizationId), next: null }),
    )

    app.post(
      '/event-subscriptions',
      {
        config: admin,
        schema: {
          tags: ['events'],
          summary: 'Subscribe a URL to events; the answer holds the signing secret, shown this once',
          body: SubscriptionInput,
          response: { 201: SubscriptionWithSecret, ...errorResponses },
        },
      },
      async (request, reply) => {
        const created = await hub.db.transaction().execute(async (trx) => {
          const subscription = await createSubscription(trx, hub.box, request.actor.organizationId, request.body)
          await audit(trx, request.actor, 'event_subscription.create', { type: 'event_subscription', id: subscription.id }, audited(subscription))
          return subscription
        })
        return reply.code(201).send(created)
      },
    )

    app.get(
      '/event-subscriptions/:id',
      { config: admin, schema: { tags: ['events'], summary: 'One event subscription', params: IdParams, response: { 200: Subscription, ...errorResponses } } },
      async (request) => getSubscription(hub.db, request.actor.organizationId, request.params.id),
    )

    app.patch(
      '/event-subscriptions/:id',
      {
        config: admin,
        schema: { tags: ['events'], summary: 'Change a subscription (URL, events, enabled, description); only what is sent changes', params: IdParams, body: SubscriptionPatch, response: { 200: Subscription, ...errorResponses } },
      },
      async (request) =>
        hub.db.transaction().execute(async (trx) => {
          const { before, after } = await updateSubscription(trx, request.actor.organizationId, request.params.id, request.body)
          await audit(trx, request.actor, 'event_subscription.update', { type: 'event_subscription', id: after.id }, { before: audited(before), after: audited(after) })
          return after
        }),
    )

    app.post(
      '/event-subscriptions/:id/rotate-secret',
      {
        config: admin,
        schema: { tags: ['events'], summary: 'Replace the signing secret; the new one is shown this once and signs every delivery from now on', params: IdParams, response: { 200: SubscriptionWithSecret, ...errorResponses } },
      },
      async (request) =>
        hub.db.transaction().execute(async (trx) => {
          const rotated = await rotateSecret(trx, hub.box, request.actor.organizationId, request.params.id)
          await audit(trx, request.actor, 'event_subscription.rotate_secret', { type: 'event_subscription', id: rotated.id })
          return rotated
        }),
    )

    app.post(
      '/event-subscriptions/:id/test',
      {
        config: admin,
        schema: {
          tags: ['events'],
          summary: 'Send a subscription.test event to this subscription now; follow the delivery at GET /api/jobs/{jobId} and in the log',
          params: IdParams,
          response: { 202: z.object({ eventId: z.string(), jobId: z.string() }), ...errorResponses },
        },
      },
      async (request, reply) => {
        const sent = await hub.db.transaction().execute(async (trx) => {
          const subscription = await getSubscription(trx, request.actor.organizationId, request.params.id)
          if (!subscription.enabled) throw new ConflictError('This subscription is disabled: enable it (PATCH {"enabled": true}) to send it events')
          const test = await emitTestEvent(trx, { organizationId: request.actor.organizationId, subscriptionId: subscription.id })
          await audit(trx, request.actor, 'event_subscription.test', { type: 'event_subscription', id: subscription.id }, test)
          return test
        })
        hub.engine.nudge()
        return reply.code(202).send(sent)
      },
    )

    app.get(
      '/event-subscriptions/:id/deliveries',
      {
        config: admin,
        schema: {
          tags: ['events'],
          summary: "This subscription's deliveries, newest first: each event's job, its attempts and last error (replay one through its exchange: POST /api/exchanges/{id}/replay)",
          params: IdParams,
          querystring: ListQuery.extend({ state: z.enum(['queued', 'running', 'retrying', 'succeeded', 'failed', 'needs_attention']).optional() }),
          response: { 200: listOf(DeliveryEntry), ...errorResponses },
        },
      },
      async (request) => {
        await getSubscription(hub.db, request.actor.organizationId, request.params.id)
        let query = hub.db
          .selectFrom('sync_jobs')
          .leftJoin('events', 'events.id', 'sync_jobs.record_id')
          .selectAll('sync_jobs')
          .select('events.type as event_type')
          .where('sync_jobs.kind', '=', 'deliver_event')
          .where('sync_jobs.organization_id', '=', request.actor.organizationId)
          .where(sql<string>`sync_jobs.input->>'subscriptionId'`, '=', request.params.id)
        if (request.query.state) query = query.where('sync_jobs.state', '=', request.query.state)
        const rows = await applyCursor(query, { cursor: request.query.cursor, limit: request.query.limit, timeColumn: 'sync_jobs.created_at', idColumn: 'sync_jobs.id' }).execute()
        return toPage(rows, request.query.limit, (r) => ({ at: r.created_at, id: r.id }), (r) => ({
          jobId: r.id,
          eventId: r.record_id!,
          eventType: r.event_type,
          state: r.state,
          delivered: (r.progress as { delivered?: unknown } | null)?.delivered === true,
          attempts: r.attempts,
          nextAttemptAt: r.state === 'retrying' || r.state === 'queued' ? r.next_attempt_at.toISOString() : null,
          lastError: r.last_error as JobError | null,
          replayOf: r.replay_of,
          createdAt: r.created_at.toISOString(),
          finishedAt: r.finished_at?.toISOString() ?? null,
        }))
      },
    )

    app.delete(
      '/event-subscriptions/:id',
      { config: admin, schema: { tags: ['events'], summary: 'Remove a subscription; deliveries still waiting for it are not sent', params: IdParams, response: { 204: z.void().describe('removed'), ...errorResponses } } },
      async (request, reply) => {
        await hub.db.transaction().execute(async (trx) => {
          const removed = await deleteSubscription(trx, request.actor.organizationId, request.params.id)
          await audit(trx, request.actor, 'event_subscription.delete', { type: 'event_subscription', id: removed.id }, audited(removed))
        })
        return reply.code(204).send()
      },
    )
  }
}
