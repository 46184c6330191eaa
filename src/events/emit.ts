import { newId } from '../db/ids.js'
import type { DbOrTx } from '../db/database.js'
import { sql, type RawBuilder } from 'kysely'
import { jobsDue } from '../db/queue.js'
import { emptyProgress, enqueueJob } from '../engine/jobs.js'
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
export async function emitEvent<T extends EventType>(trx: DbOrTx, event: EventInput<T>): Promise<string | null> {
  const [id] = await emitEvents(trx, [event])
  return id ?? null
}

/**
 * `emitEvent` for several events at once; ids in order, null where none wanted it. The
 * subscriptions are read once, and an event nobody wants costs nothing more (no body is built:
 * a 100,000-patient pull announces every new link, usually to no one). The wanted events and
 * their deliveries are written by one statement whose rows are JSON parameters, which also wakes
 * the workers: one event and its jobs a round trip each made a pull's page of 500 new patients
 * 1,500 round trips for one subscriber.
 */
export async function emitEvents(trx: DbOrTx, events: EventInput[]): Promise<(string | null)[]> {
  if (events.length === 0) return []
  const organizations = [...new Set(events.map((e) => e.organizationId))]
  const subscriptions = await trx
    .selectFrom('event_subscriptions')
    .select(['id', 'organization_id', 'events'])
    .where('organization_id', 'in', organizations)
    .where('enabled', '=', true)
    .orderBy('created_at')
    .execute()
  if (subscriptions.length === 0) return events.map(() => null)
  const ids: (string | null)[] = []
  const eventRows: { id: string; organization_id: string; type: string; occurred_at: string; body: string }[] = []
  const jobRows: { id: string; organization_id: string; record_id: string; input: DeliveryInput }[] = []
  for (const event of events) {
    const targets = subscriptions.filter((s) => s.organization_id === event.organizationId && s.events.includes(event.type))
    if (targets.length === 0) {
      ids.push(null)
      continue
    }
    const body = eventBody(event)
    eventRows.push({ id: body.id, organization_id: event.organizationId, type: event.type, occurred_at: body.occurredAt, body: JSON.stringify(body) })
    for (const subscription of targets) jobRows.push({ id: newId(), organization_id: event.organizationId, record_id: body.id, input: { eventId: body.id, subscriptionId: subscription.id } })
    ids.push(body.id)
  }
  if (eventRows.length > 0) await storeDeliveries(trx, eventRows, jobRows)
  return ids
}

/**
 * The events and their `deliver_event` jobs (as enqueueJob writes one: queued, empty steps, no
 * connection, so nothing to coalesce with) and the workers' wake-up (delivered at commit), one
 * statement.
 */
async function storeDeliveries(
  trx: DbOrTx,
  eventRows: { id: string; organization_id: string; type: string; occurred_at: string; body: string }[],
  jobRows: { id: string; organization_id: string; record_id: string; input: DeliveryInput }[],
): Promise<void> {
  await sql`
    with stored as (
      insert into events (id, organization_id, type, occurred_at, body)
      select e.id, e.organization_id, e.type, e.occurred_at, e.body
      from jsonb_populate_recordset(null::events, ${JSON.stringify(eventRows)}::jsonb) as e
    ), queued as (
      insert into sync_jobs (id, organization_id, connection_id, kind, record_type, record_id, state, steps, replay_of, input)
      select j.id, j.organization_id, null, 'deliver_event', 'event', j.record_id, 'queued', ${JSON.stringify(emptyProgress())}::jsonb, null, j.input
      from jsonb_populate_recordset(null::sync_jobs, ${JSON.stringify(jobRows)}::jsonb) as j
    )
    select ${jobsDue()}`.execute(trx)
}

/**
 * An event as data-modifying CTEs of another statement (the change that caused it), stored with its
 * `deliver_event` jobs only when `when` (a condition on the statement's other CTEs, e.g. its fenced
 * update found the job) holds and an enabled subscription wants it, as emitEvent stores it. The
 * statement must select `wake` (the workers' wake-up, sent only when a delivery was queued;
 * PostgreSQL runs a CTE that selects only when it is read). It spares the transaction emitEvent
 * needs (the read of the subscriptions, then the write), most often to find that no one wants it.
 */
export function eventWrites(event: EventInput, when: RawBuilder<unknown>): { ctes: { name: string; expression: RawBuilder<Record<string, unknown>> }[]; wake: RawBuilder<unknown> } {
  const body = eventBody(event)
  return {
    ctes: [
      {
        name: 'event_targets',
        expression: sql<Record<string, unknown>>`select s.id from event_subscriptions s where s.organization_id = ${event.organizationId}::uuid and s.enabled and s.events ? ${event.type}::text and ${when}`,
      },
      {
        name: 'event_stored',
        expression: sql<Record<string, unknown>>`insert into events (id, organization_id, type, occurred_at, body)
          select ${body.id}::uuid, ${event.organizationId}::uuid, ${event.type}::text, ${body.occurredAt}::timestamptz, ${JSON.stringify(body)}::text
          where exists (select 1 from event_targets)`,
      },
      {
        name: 'event_deliveries',
        expression: sql<Record<string, unknown>>`insert into sync_jobs (id, organization_id, connection_id, kind, record_type, record_id, state, steps, replay_of, input)
          select carebridge_uuidv7(), ${event.organizationId}::uuid, null, 'deliver_event', 'event', ${body.id}::uuid, 'queued', ${JSON.stringify(emptyProgress())}::jsonb, null,
            jsonb_build_object('eventId', ${body.id}::text, 'subscriptionId', t.id)
          from event_targets t
          returning id`,
      },
      { name: 'event_woken', expression: sql<Record<string, unknown>>`select ${jobsDue()} where exists (select 1 from event_deliveries)` },
    ],
    wake: sql`(select count(*) from event_woken)`,
  }
}

/** The body of an event: its id (the `webhook-id` of every delivery and retry of it), type, time, organization and checked data. */
export function eventBody<T extends EventType>(event: EventInput<T>, id: string = newId()): EventBody<T> {
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
export async function emitTestEvent(trx: DbOrTx, options: { organizationId: string; subscriptionId: string }): Promise<{ eventId: string; jobId: string }> {
  const body = eventBody({ organizationId: options.organizationId, type: 'subscription.test', data: { subscriptionId: options.subscriptionId } })
  await trx.insertInto('events').values({ id: body.id, organization_id: options.organizationId, type: body.type, occurred_at: new Date(body.occurredAt), body: JSON.stringify(body) }).execute()
  const input: DeliveryInput = { eventId: body.id, subscriptionId: options.subscriptionId }
  const job = await enqueueJob(trx, { organizationId: options.organizationId, connectionId: null, kind: 'deliver_event', recordType: 'event', recordId: body.id, input: { ...input } })
  return { eventId: body.id, jobId: job.id }
}

/**
 * F19 for referrals: a referral arrived in the CRM inbox. Call inside the transaction that stores
 * it (the referral import), after the referral row is written.
 */
export function emitReferralImported(trx: DbOrTx, options: { organizationId: string; data: EventData<'referral.imported'> }): Promise<string | null> {
  return emitEvent(trx, { organizationId: options.organizationId, type: 'referral.imported', data: options.data })
}
