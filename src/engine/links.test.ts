import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertConnection, openTestDatabase, runQueuedJob, startTestEngine, type TestDatabase } from '../../test/database.js'
import type { Engine } from './engine.js'
import { enqueueJob } from './jobs.js'
import { setPatientLink } from './relink.js'
import type { EngineDeps } from './runner.js'

/**
 * A link is a record's identity in one system, keyed by record type, record id and connection.
 * Referral links share the table (and could share an id): every lookup must name the type.
 */
let database: TestDatabase
let parts: Awaited<ReturnType<typeof startTestEngine>>
let engine: Engine
let deps: EngineDeps

beforeAll(async () => {
  database = await openTestDatabase()
  parts = await startTestEngine(database)
  ;({ engine, deps } = parts)
})

afterAll(async () => {
  await parts?.stop()
  await database?.close()
})

/** A Ritten connection with a failed referral link made first, then a partial patient link, both for one record id. */
async function twoLinksOfOneId(patientExists: boolean) {
  const { organizationId, connectionId } = await insertConnection(database.db, {
    connector: 'ritten',
    settings: { clientId: 'c', tenant: 't' },
    secrets: database.box.sealJson({ clientSecret: 's' }),
  })
  const recordId = randomUUID()
  if (patientExists) await database.db.insertInto('patients').values({ id: recordId, organization_id: organizationId, first_name: 'Ana', last_name: 'Both', custom_fields: JSON.stringify({}) }).execute()
  for (const recordType of ['referral', 'patient']) {
    await database.db
      .insertInto('links')
      .values({ id: randomUUID(), organization_id: organizationId, record_type: recordType, record_id: recordId, connection_id: connectionId, connector: 'ritten', state: recordType === 'referral' ? 'failed' : 'partial', external_id: `${recordType}-ext` })
      .execute()
  }
  const linkOf = (recordType: string) =>
    database.db.selectFrom('links').select(['state', 'message', 'external_id']).where('record_type', '=', recordType).where('record_id', '=', recordId).where('connection_id', '=', connectionId).executeTakeFirstOrThrow()
  return { organizationId, connectionId, recordId, linkOf }
}

describe('links are looked up by record type', () => {
  it('a failed push settles the patient link, not a referral link of the same id', async () => {
    const { organizationId, connectionId, recordId, linkOf } = await twoLinksOfOneId(false)
    const job = await database.db.transaction().execute((trx) => enqueueJob(trx, { organizationId, connectionId, kind: 'push_patient', recordType: 'patient', recordId }))
    expect(await runQueuedJob(deps, job.id)).toBe(true)
    expect(await linkOf('patient')).toMatchObject({ state: 'needs_attention', message: 'The patient no longer exists in the CRM' })
    expect(await linkOf('referral')).toMatchObject({ state: 'failed', message: null })

    // Replaying that exchange moves the patient link back, and leaves the referral link alone.
    const exchange = await database.db.selectFrom('exchanges').select('id').where('sync_job_id', '=', job.id).executeTakeFirstOrThrow()
    await engine.replayExchange(organizationId, exchange.id)
    expect(await linkOf('patient')).toMatchObject({ state: 'partial', message: 'replay queued' })
    expect(await linkOf('referral')).toMatchObject({ state: 'failed', message: null })
  })

  it("settling a patient link by hand is neither blocked nor changed by a referral's jobs of the same id", async () => {
    const { organizationId, connectionId, recordId, linkOf } = await twoLinksOfOneId(true)
    const referralJob = (state: 'running' | 'retrying') =>
      database.db
        .insertInto('sync_jobs')
        .values({ id: randomUUID(), organization_id: organizationId, connection_id: connectionId, kind: 'deliver_referral', record_type: 'referral', record_id: recordId, state, lease_until: new Date(Date.now() + 60_000), steps: JSON.stringify({}) })
        .returning('id')
        .executeTakeFirstOrThrow()
    const running = await referralJob('running')
    const retrying = await referralJob('retrying')
    const change = await setPatientLink(database.db, { organizationId, patientId: recordId, connectionId, target: { externalId: 'chosen-by-hand' } })
    expect(change.after).toMatchObject({ externalId: 'chosen-by-hand', state: 'partial' })
    expect(await linkOf('referral')).toMatchObject({ external_id: 'referral-ext', state: 'failed' })
    const states = await database.db.selectFrom('sync_jobs').select(['id', 'state']).where('id', 'in', [running.id, retrying.id]).execute()
    expect(Object.fromEntries(states.map((s) => [s.id, s.state]))).toEqual({ [running.id]: 'running', [retrying.id]: 'retrying' })
  })
})
