import { randomUUID } from 'node:crypto'
import type { DbOrTx } from '../db/database.js'
import type { Queue } from '../db/queue.js'
import { enqueueJob } from '../engine/jobs.js'
import { EVENT_DATA, type EventBody, type EventData, type EventType } from './catalog.js'

export interface EventInput<T extends EventType = EventType> {
  organizationId: string
  type: T
  data: EventData<T>
  occurredAt?: Date
}

/** What a delivery job works on (its `input`). */
export interface DeliveryInput {
  eventId: string
  subscriptionId: string
}

/**
 * Emits an event inside the transaction that records what caused it (an outbox): the event and
 * one `deliver_event` job per enabled subscription that wants it commit with that change, or not
 * at all. With no subscriber nothing is stored. Returns the event id, or null when none wanted it.
 */
export async function emitEvent<T extends EventType>(trx: DbOrTx, queue: Queue, event: EventInput<T>): Promise<string | null> {
  const [id] = await emitEvents(trx, queue, [event])
  return id ?? null
}

/** `emitEvent` for several events at once (one look-up of the subscriptions); ids in order, null where none wanted it. */
export async function emitEvents(trx: DbOrTx, queue: Queue, events: EventInput[]): Promise<(string | null)[]> {
  if (events.length === 0) return []
  const organizations = [...new Set(events.map((e) => e.organizationId))]
  const subscriptions = await trx
    .selectFrom('event_subscriptions')
    .select(['id', 'organization_id', 'events'])
    .where('organization_id', 'in', organizations)
    .where('enabled', '=', true)
    .orderBy('created_at')
    .execute()
  const ids: (string | null)[] = []
  for (const event of events) {
    const body = eventBody(event)
    const targets = subscriptions.filter((s) => s.organization_id === event.organizationId && s.events.includes(event.type))
    if (targets.length === 0) {
      ids.push(null)
      continue
    }
    await trx
      .insertInto('events')
      .values({ id: body.id, organization_id: event.organizationId, type: event.type, occurred_at: new Date(body.occurredAt), body: JSON.stringify(body) })
      .execute()
    for (const subscription of targets) {
      const input: DeliveryInput = { eventId: body.id, subscriptionId: subscription.id }
      await enqueueJob(trx, queue, { organizationId: event.organizationId, connectionId: null, kind: 'deliver_event', recordType: 'event', recordId: body.id, input: { ...input } })
    }
    ids.push(body.id)
  }
  return ids
}

/** The body of an event: its id (the `webhook-id` of every delivery and retry of it), type, time, organization and checked data. */
export function eventBody<T extends EventType>(event: EventInput<T>, id: string = randomUUID()): EventBody<T> {
  const parsed = EVENT_DATA[event.type].safeParse(event.data)
  if (!parsed.success) {
    // An emitter's mistake, not the user's: the data of an event is fixed by its schema (ids only).
    throw new Error(`Event ${event.type}: data does not fit its schema (${parsed.error.issues.map((i) => `${i.path.join('.') || 'data'} ${i.message}`).join('; ')})`)
  }
  return { id, type: event.type, occurredAt: (event.occurredAt ?? new Date()).toISOString(), organizationId: event.organizationId, data: parsed.data as EventBody<T>['data'] }
}

/**
 * A `subscription.test` event to one subscription, whatever events it names (the admin checks the
 * receiver and its secret); delivered like any other. Returns the event and its delivery job.
 */
export async function emitTestEvent(trx: DbOrTx, queue: Queue, options: { organizationId: string; subscriptionId: string }): Promise<{ eventId: string; jobId: string }> {
  const body = eventBody({ organizationId: options.organizationId, type: 'subscription.test', data: { subscriptionId: options.subscriptionId } })
  await trx.insertInto('events').values({ id: body.id, organization_id: options.organizationId, type: body.type, occurred_at: new Date(body.occurredAt), body: JSON.stringify(body) }).execute()
  const input: DeliveryInput = { eventId: body.id, subscriptionId: options.subscriptionId }
  const job = await enqueueJob(trx, queue, { organizationId: options.organizationId, connectionId: null, kind: 'deliver_event', recordType: 'event', recordId: body.id, input: { ...input } })
  return { eventId: body.id, jobId: job.id }
}

/**
 * F19 for referrals: a referral arrived in the CRM inbox. Call inside the transaction that stores
 * it (the referral import), after the referral row is written.
 */
export function emitReferralImported(trx: DbOrTx, queue: Queue, options: { organizationId: string; data: EventData<'referral.imported'> }): Promise<string | null> {
  return emitEvent(trx, queue, { organizationId: options.organizationId, type: 'referral.imported', data: options.data })
}
