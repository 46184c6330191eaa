import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertConnection, openTestDatabase, startTestEngine, type TestDatabase } from '../../test/database.js'
import { createPatient, PatientInput } from '../crm/patients.js'
import { insurancePulledEvents } from '../engine/pullEvents.js'
import { emitEvent, emitEvents, eventBody } from './emit.js'
import { createSubscription, SubscriptionInput } from './subscriptions.js'
import { pruneEvents } from './retention.js'

/** Emitting events: checked data, stored only for subscribers, committed (or not) with the step's transaction. */
let database: TestDatabase
let stop: () => Promise<void>
let organizationId: string
let connectionId: string

beforeAll(async () => {
  database = await openTestDatabase()
  ;({ stop } = await startTestEngine(database))
  ;({ organizationId, connectionId } = await insertConnection(database.db, { connector: 'ritten', settings: { clientId: 'c', tenant: 't' } }))
})

afterAll(async () => {
  await stop?.()
  await database?.close()
})

const linked = (patientId: string) => ({
  organizationId,
  type: 'patient.linked' as const,
  data: { patientId, connectionId, connector: 'ritten', externalId: 'R-1', via: 'push' as const },
})

async function subscribe(events: string[], enabled = true) {
  return createSubscription(database.db, database.box, organizationId, SubscriptionInput.parse({ url: 'http://127.0.0.1:9/hook', events, enabled }))
}

async function deliveriesOf(eventId: string) {
  return database.db.selectFrom('sync_jobs').selectAll().where('kind', '=', 'deliver_event').where('record_id', '=', eventId).execute()
}

describe('event bodies', () => {
  it('carry id, type, time, organization and the data its schema allows', () => {
    const body = eventBody(linked(randomUUID()), 'evt-1')
    expect(body).toMatchObject({ id: 'evt-1', type: 'patient.linked', organizationId, data: { connectionId, externalId: 'R-1', via: 'push' } })
    expect(new Date(body.occurredAt).toISOString()).toBe(body.occurredAt)
  })

  it('refuse data beyond the schema, so no chart value can ride along', () => {
    const event = linked(randomUUID())
    expect(() => eventBody({ ...event, data: { ...event.data, lastName: 'Rivers' } as never })).toThrow(/patient\.linked.*lastName|Unrecognized key/)
    expect(() => eventBody({ ...event, data: { ...event.data, patientId: 'not-an-id' } })).toThrow(/patientId/)
  })
})

describe('emitting', () => {
  it('stores nothing when no subscription wants the event', async () => {
    const id = await database.db.transaction().execute((trx) => emitEvent(trx, { organizationId, type: 'pull.completed', data: { connectionId, connector: 'ritten', jobId: randomUUID(), resources: {} } }))
    expect(id).toBeNull()
  })

  it('queues one delivery per enabled subscription that wants it, in the same transaction', async () => {
    const wanted = await subscribe(['patient.linked', 'link.failed'])
    // The signing secret is stored sealed.
    const sealed = await database.db.selectFrom('event_subscriptions').select('secret').where('id', '=', wanted.id).executeTakeFirstOrThrow()
    expect(sealed.secret).not.toContain(wanted.secret.slice(6))
    expect(database.box.open(sealed.secret)).toBe(wanted.secret)
    const alsoWanted = await subscribe(['patient.linked'])
    await subscribe(['patient.linked'], false)
    await subscribe(['insurance.pulled'])
    const id = await database.db.transaction().execute((trx) => emitEvent(trx, linked(randomUUID())))
    expect(id).not.toBeNull()
    const stored = await database.db.selectFrom('events').selectAll().where('id', '=', id!).executeTakeFirstOrThrow()
    expect(JSON.parse(stored.body)).toMatchObject({ id, type: 'patient.linked' })
    const jobs = await deliveriesOf(id!)
    expect(jobs.map((j) => j.input?.subscriptionId).sort()).toEqual([wanted.id, alsoWanted.id].sort())
    expect(jobs.every((j) => j.connection_id === null && j.state === 'queued' && j.record_type === 'event')).toBe(true)
  })

  it('leaves no event and no delivery when the step that caused it rolls back', async () => {
    await subscribe(['patient.linked'])
    let emitted: string | null = null
    await expect(
      database.db.transaction().execute(async (trx) => {
        emitted = await emitEvent(trx, linked(randomUUID()))
        throw new Error('the step failed')
      }),
    ).rejects.toThrow('the step failed')
    expect(emitted).not.toBeNull()
    expect(await database.db.selectFrom('events').select('id').where('id', '=', emitted!).execute()).toEqual([])
    expect(await deliveriesOf(emitted!)).toEqual([])
  })

  it('emits several at once with one look-up, null where none wanted it', async () => {
    const ids = await database.db.transaction().execute((trx) =>
      emitEvents(trx, [linked(randomUUID()), { organizationId, type: 'referral.imported', data: { referralId: randomUUID(), connectionId, connector: 'caredove', externalId: 'ref-1' } }]),
    )
    expect(ids[0]).not.toBeNull()
    expect(ids[1]).toBeNull()
  })
  it('emits a page of events to several subscribers in a fixed number of statements, each delivery with its wake-up', async () => {
    await subscribe(['patient.linked'])
    await subscribe(['patient.linked'])
    // Every enabled subscription of the organization that wants the event, the earlier tests' too.
    const wanting = await database.db.selectFrom('event_subscriptions').select('id').where('organization_id', '=', organizationId).where('enabled', '=', true).where(sql<boolean>`events @> '["patient.linked"]'::jsonb`).execute()
    expect(wanting.length).toBeGreaterThanOrEqual(2)
    let statements = 0
    const page = Array.from({ length: 300 }, () => linked(randomUUID()))
    const ids = await database.db.transaction().execute((trx) =>
      emitEvents(
        trx.withPlugin({ transformQuery: (args) => args.node, transformResult: async (args) => (statements++, args.result) }),
        page,
      ),
    )
    // The subscriptions' look-up, then the events with their deliveries and the wake-up — not one round trip an event.
    expect(statements).toBe(2)
    expect(new Set(ids).size).toBe(300)
    const jobs = await database.db.selectFrom('sync_jobs').selectAll().where('kind', '=', 'deliver_event').where('record_id', 'in', ids as string[]).execute()
    expect(jobs.length).toBe(300 * wanting.length)
    for (const id of [ids[0]!, ids[299]!]) {
      const [event] = await database.db.selectFrom('events').selectAll().where('id', '=', id).execute()
      expect(JSON.parse(event!.body)).toMatchObject({ id, type: 'patient.linked', organizationId })
    }
    expect(jobs.every((j) => j.connection_id === null && j.state === 'queued' && j.record_type === 'event' && j.input?.eventId === j.record_id)).toBe(true)
  })
})

describe('insurance.pulled', () => {
  it('announces insurance that is new or changed for linked patients, not what a census brings again', async () => {
    const patient = await createPatient(database.db, organizationId, PatientInput.parse({ firstName: 'Ins', lastName: 'Urance', dob: '1980-01-01' }))
    const scope = { organizationId, connectionId, connector: 'ritten' }
    const patients = new Map([['P-1', patient.id]])
    const store = (items: { externalId: string; patientExternalId: string; data: Record<string, unknown> }[]) =>
      database.db
        .insertInto('emr_insurances')
        .values(items.map((i) => ({ connection_id: connectionId, external_id: i.externalId, patient_id: patients.get(i.patientExternalId) ?? null, patient_external_id: i.patientExternalId, data: JSON.stringify(i.data) })))
        .onConflict((oc) => oc.columns(['connection_id', 'external_id']).doUpdateSet((eb) => ({ data: eb.ref('excluded.data') })))
        .execute()
    const first = [
      { externalId: 'I-1', patientExternalId: 'P-1', data: { payer: 'Aetna', member: 'W1' } },
      { externalId: 'I-2', patientExternalId: 'P-9', data: { payer: 'Cigna' } },
    ]
    expect(await insurancePulledEvents(database.db, scope, first, patients)).toEqual([
      { organizationId, type: 'insurance.pulled', data: { patientId: patient.id, connectionId, connector: 'ritten', externalId: 'P-1', added: 1, changed: 0 } },
    ])
    await store(first)
    expect(await insurancePulledEvents(database.db, scope, first, patients)).toEqual([])
    const changed = [{ ...first[0]!, data: { payer: 'Aetna', member: 'W2' } }]
    expect((await insurancePulledEvents(database.db, scope, changed, patients))[0]?.data).toMatchObject({ added: 0, changed: 1 })
  })
})

describe('event retention', () => {
  it('removes events older than the retention period unless a delivery of theirs still waits', async () => {
    await subscribe(['patient.linked'])
    const [settled, waiting] = await database.db.transaction().execute((trx) => emitEvents(trx, [linked(randomUUID()), linked(randomUUID())]))
    const old = new Date(Date.now() - 40 * 86_400_000)
    await database.db.updateTable('events').set({ occurred_at: old }).where('id', 'in', [settled!, waiting!]).execute()
    await database.db.updateTable('sync_jobs').set({ state: 'succeeded', finished_at: new Date() }).where('record_id', '=', settled!).execute()
    await pruneEvents(database.db, 30)
    const left = (await database.db.selectFrom('events').select('id').where('id', 'in', [settled!, waiting!]).execute()).map((r) => r.id)
    expect(left).toEqual([waiting])
  })
})
