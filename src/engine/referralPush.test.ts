import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertConnection, openTestDatabase, runQueuedJob, startTestEngine, type TestDatabase } from '../../test/database.js'
import { referralPushRefusal } from '../connectors/connector.js'
import { getConnector } from '../connectors/registry.js'
import { resolveMapping } from '../mapping/mapping.js'
import type { Engine } from './engine.js'
import { enqueueJob } from './jobs.js'
import { loadReferralPushInput } from './referralPush.js'
import type { EngineDeps } from './runner.js'

/**
 * Referral pushes through the engine's one step loop: who can receive them, what a job loads,
 * and a job whose referral is gone — without any external system.
 */
let database: TestDatabase
let engine: Engine
let deps: EngineDeps
let stop: () => Promise<void>
let organizationId: string
let ritten: string
let crms: string
let caredove: string

beforeAll(async () => {
  database = await openTestDatabase()
  ;({ engine, deps, stop } = await startTestEngine(database))
  ;({ organizationId, connectionId: ritten } = await insertConnection(database.db, { connector: 'ritten', settings: { clientId: 'c', tenant: 't' } }))
  crms = (await insertConnection(database.db, { connector: 'crms', organizationId, secrets: database.box.sealJson({ apiKey: 'k' }) })).connectionId
  caredove = (await insertConnection(database.db, { connector: 'caredove', organizationId })).connectionId
})

afterAll(async () => {
  await stop?.()
  await database?.close()
})

async function newReferral(): Promise<string> {
  const id = randomUUID()
  await database.db
    .insertInto('referrals')
    .values({
      id,
      organization_id: organizationId,
      source_connection_id: caredove,
      external_id: `ref_${id.slice(0, 8)}`,
      service_listing_id: null,
      source_status: null,
      source_sub_status: null,
      fields: JSON.stringify({ registrant: { firstName: 'Ada', lastName: 'Lovelace', dateOfBirth: '1990-12-10' } }),
      note: 'Reason for referral: assessment',
      source: JSON.stringify({}),
      appointments: JSON.stringify([]),
      messages: JSON.stringify([]),
      destination: 'crms',
      destination_connection_id: crms,
    })
    .execute()
  return id
}

describe('referral pushes', () => {
  it('go only to connectors that receive referrals, with the reason otherwise', async () => {
    expect(referralPushRefusal(getConnector('crms')!)).toBeNull()
    expect(referralPushRefusal(getConnector('ritten')!)).toBe('Ritten cannot receive referrals: this connector has no referral push flow')
    const referral = await newReferral()
    await expect(database.db.transaction().execute((trx) => engine.pushReferralTo(trx, organizationId, referral, ritten))).rejects.toThrow(/Ritten cannot receive referrals/)
    const jobId = await database.db.transaction().execute((trx) => engine.pushReferralTo(trx, organizationId, referral, crms))
    const job = await database.db.selectFrom('sync_jobs').selectAll().where('id', '=', jobId).executeTakeFirstOrThrow()
    expect(job).toMatchObject({ kind: 'push_referral', record_type: 'referral', record_id: referral, connection_id: crms, state: 'queued' })
    expect(await database.db.selectFrom('links').select(['record_type', 'state', 'connector']).where('record_id', '=', referral).execute()).toEqual([
      { record_type: 'referral', state: 'pending', connector: 'crms' },
    ])
  })

  it('load the referral with its attachments in position order, summary first', async () => {
    const referral = await newReferral()
    const file = (position: number, kind: 'summary' | 'attachment', filename: string) => ({
      id: randomUUID(),
      referral_id: referral,
      position,
      kind,
      filename,
      content_type: 'application/pdf',
      size_bytes: 3,
      sha256: 'x',
      data: Buffer.from(filename),
    })
    await database.db.insertInto('referral_attachments').values([file(3, 'attachment', 'b.pdf'), file(1, 'summary', 'summary.pdf'), file(2, 'attachment', 'a.pdf')]).execute()
    const mapping = resolveMapping(getConnector('crms')!.defaults, { fieldMap: null, valueMaps: {} })
    const input = await loadReferralPushInput(database.db, organizationId, referral, mapping)
    expect(input?.referral).toMatchObject({ id: referral, note: 'Reason for referral: assessment', status: 'open', acceptedBy: null, version: 1, fields: { registrant: { firstName: 'Ada' } } })
    expect(input?.attachments.map((a) => [a.position, a.kind, a.filename, a.data.toString()])).toEqual([
      [1, 'summary', 'summary.pdf', 'summary.pdf'],
      [2, 'attachment', 'a.pdf', 'a.pdf'],
      [3, 'attachment', 'b.pdf', 'b.pdf'],
    ])
    expect(await loadReferralPushInput(database.db, randomUUID(), referral, mapping)).toBeNull()
  })

  it('settle a job whose referral is gone as needs_attention, without a retry', async () => {
    const missing = randomUUID()
    const job = await database.db.transaction().execute((trx) =>
      enqueueJob(trx, { organizationId, connectionId: crms, kind: 'push_referral', recordType: 'referral', recordId: missing }),
    )
    expect(await runQueuedJob(deps, job.id)).toBe(true)
    const settled = await database.db.selectFrom('sync_jobs').selectAll().where('id', '=', job.id).executeTakeFirstOrThrow()
    expect(settled).toMatchObject({ state: 'needs_attention', attempts: 1 })
    expect(settled.last_error).toMatchObject({ code: 'record_missing', message: 'The referral no longer exists in the CRM inbox' })
  })
})
