import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertConnection, openTestDatabase, runQueuedJob, startTestEngine, type TestDatabase } from '../../test/database.js'
import { enqueueJob } from '../engine/jobs.js'
import { z } from 'zod'
import { ConnectionPatch, getConnectionView, loadRunnableConnection, putMappings, runnableConnection, stripUnknownKeys, updateConnection } from './connections.js'
import { claimNextJob } from '../engine/jobs.js'

/** Settings stored under an older connector schema keep working, or name what a person must set. */
let database: TestDatabase
let engine: Awaited<ReturnType<typeof startTestEngine>>

beforeAll(async () => {
  database = await openTestDatabase()
  engine = await startTestEngine(database)
})

afterAll(async () => {
  await engine?.stop()
  await database?.close()
})

const rittenSecrets = () => database.box.sealJson({ clientSecret: 's' })

describe('stored connection settings', () => {
  it('drops keys the schema no longer knows, fills new defaults, and saves the migrated form', async () => {
    const { connectionId } = await insertConnection(database.db, { connector: 'ritten', settings: { clientId: 'c', tenant: 't', region: 'eu' }, secrets: database.box.sealJson({ clientSecret: 's', legacyPin: '1' }) })
    const connection = await loadRunnableConnection(database.db, database.box, connectionId)
    const migrated = { clientId: 'c', tenant: 't', audience: 'https://external-api.ritten.io' }
    expect(connection.settings).toEqual(migrated)
    expect(connection.secrets).toEqual({ clientSecret: 's' })
    const row = await database.db.selectFrom('connections').select(['settings', 'secrets']).where('id', '=', connectionId).executeTakeFirstOrThrow()
    expect(row.settings).toEqual(migrated)
    expect(database.box.openJson(row.secrets!)).toEqual({ clientSecret: 's' })
  })

  it('a setting that cannot be migrated stops the job at its first attempt and names the setting on the link', async () => {
    const { organizationId, connectionId } = await insertConnection(database.db, { connector: 'ritten', settings: { clientId: 'c' }, secrets: rittenSecrets() })
    const patientId = randomUUID()
    await database.db.insertInto('patients').values({ id: patientId, organization_id: organizationId, first_name: 'Ana', last_name: 'Stale', custom_fields: JSON.stringify({}) }).execute()
    await database.db
      .insertInto('links')
      .values({ id: randomUUID(), organization_id: organizationId, record_type: 'patient', record_id: patientId, connection_id: connectionId, connector: 'ritten', state: 'pending' })
      .execute()
    const job = await database.db.transaction().execute((trx) => enqueueJob(trx, { organizationId, connectionId, kind: 'push_patient', recordType: 'patient', recordId: patientId }))
    expect(await runQueuedJob(engine.deps, job.id)).toBe(true)

    const settled = await database.db.selectFrom('sync_jobs').select(['state', 'attempts', 'last_error']).where('id', '=', job.id).executeTakeFirstOrThrow()
    expect(settled).toMatchObject({ state: 'needs_attention', attempts: 1, last_error: expect.objectContaining({ code: 'settings_invalid' }) })
    const link = await database.db.selectFrom('links').select(['state', 'message']).where('record_id', '=', patientId).executeTakeFirstOrThrow()
    expect(link.state).toBe('needs_attention')
    expect(link.message).toMatch(/settings\.tenant/)
    expect(link.message).toContain(`PATCH /api/connections/${connectionId}`)
  })

  it('an admin can still change a connection whose stored settings hold a key the schema dropped', async () => {
    const { organizationId, connectionId } = await insertConnection(database.db, { connector: 'ritten', settings: { clientId: 'c', tenant: 't', region: 'eu' }, secrets: rittenSecrets() })
    const { after } = await updateConnection(database.db, database.box, organizationId, connectionId, { settings: { tenant: 't2' } })
    expect(after.settings).toEqual({ clientId: 'c', tenant: 't2', audience: 'https://external-api.ritten.io' })
    // The admin's own unknown keys are still refused.
    await expect(updateConnection(database.db, database.box, organizationId, connectionId, { settings: { tenantt: 'x' } })).rejects.toThrow(/settings: Unrecognized key/)
    expect((await getConnectionView(database.db, database.box, organizationId, connectionId)).settings).toEqual(after.settings)
  })

  it('strips unknown keys at any depth and reports their paths', () => {
    const schema = z.object({ a: z.string(), inner: z.object({ b: z.number() }).strict() }).strict()
    const stored = { a: 'x', old: 1, inner: { b: 2, gone: true } }
    expect(stripUnknownKeys(schema, stored)).toEqual({ value: { a: 'x', inner: { b: 2 } }, dropped: ['inner.gone', 'old'] })
    expect(stored).toEqual({ a: 'x', old: 1, inner: { b: 2, gone: true } })
  })
})

describe('a connection PATCH', () => {
  it('changes only what it sends: a disabled connection stays disabled and keeps its cached token', async () => {
    const { organizationId, connectionId } = await insertConnection(database.db, { connector: 'ritten', settings: { clientId: 'c', tenant: 't' }, secrets: rittenSecrets() })
    await database.db.updateTable('connections').set({ enabled: false }).where('id', '=', connectionId).execute()
    await database.db.insertInto('connection_tokens').values({ connection_id: connectionId, token: database.box.seal('cached'), expires_at: new Date(Date.now() + 3_600_000) }).execute()

    const { after } = await updateConnection(database.db, database.box, organizationId, connectionId, ConnectionPatch.parse({ name: 'Renamed' }))
    expect(after).toMatchObject({ name: 'Renamed', enabled: false, settings: { clientId: 'c', tenant: 't' }, credentials: { clientSecret: 'set' } })
    expect(await database.db.selectFrom('connection_tokens').select('token').where('connection_id', '=', connectionId).executeTakeFirst()).toBeDefined()

    // New credentials do throw the token away: it was minted with the old ones.
    await updateConnection(database.db, database.box, organizationId, connectionId, ConnectionPatch.parse({ credentials: { clientSecret: 'new' } }))
    expect(await database.db.selectFrom('connection_tokens').select('token').where('connection_id', '=', connectionId).executeTakeFirst()).toBeUndefined()
    expect((await getConnectionView(database.db, database.box, organizationId, connectionId)).enabled).toBe(false)
  })

  it('removes a setting sent as null, so its default applies again; a required one cannot be removed', async () => {
    const { organizationId, connectionId } = await insertConnection(database.db, {
      connector: 'ritten',
      settings: { clientId: 'c', tenant: 't', audience: 'https://staging.example.test' },
      secrets: rittenSecrets(),
    })
    const { after } = await updateConnection(database.db, database.box, organizationId, connectionId, ConnectionPatch.parse({ settings: { audience: null } }))
    expect(after.settings).toEqual({ clientId: 'c', tenant: 't', audience: 'https://external-api.ritten.io' })
    await expect(updateConnection(database.db, database.box, organizationId, connectionId, ConnectionPatch.parse({ settings: { tenant: null } }))).rejects.toThrow(/settings\.tenant/)
    expect((await getConnectionView(database.db, database.box, organizationId, connectionId)).settings).toMatchObject({ tenant: 't' })
  })
})

describe('a runnable connection kept between jobs', () => {
  /** The version a worker's claim of a new job of this connection reads. */
  async function claimedVersion(organizationId: string, connectionId: string): Promise<string | null> {
    const { id } = await database.db.transaction().execute((trx) => enqueueJob(trx, { organizationId, connectionId, kind: 'pull', recordType: null, recordId: null }))
    const claim = await claimNextJob(database.db, 30)
    expect(claim?.job.id).toBe(id)
    return claim!.connectionVersion
  }

  it('is loaded once while the row is unchanged, and afresh by the next job after a settings, credentials or mapping change', async () => {
    const { organizationId, connectionId } = await insertConnection(database.db, { connector: 'ritten', settings: { clientId: 'c', tenant: 't' }, secrets: rittenSecrets() })
    const first = await runnableConnection(database.db, database.box, connectionId, await claimedVersion(organizationId, connectionId))
    // Loading saved the migrated settings (a new version): the next claim loads once more, then the cache holds.
    const settled = await runnableConnection(database.db, database.box, connectionId, await claimedVersion(organizationId, connectionId))
    const version = await claimedVersion(organizationId, connectionId)
    expect(version).toBe(settled.version)
    expect(await runnableConnection(database.db, database.box, connectionId, version)).toBe(settled)
    expect(first.settings).toEqual(settled.settings)

    await updateConnection(database.db, database.box, organizationId, connectionId, ConnectionPatch.parse({ settings: { tenant: 't2' }, credentials: { clientSecret: 'new' } }))
    const changed = await runnableConnection(database.db, database.box, connectionId, await claimedVersion(organizationId, connectionId))
    expect(changed.settings).toMatchObject({ tenant: 't2' })
    expect(changed.secrets).toEqual({ clientSecret: 'new' })

    await putMappings(database.db, organizationId, connectionId, { valueMaps: { payerCode: { AET01: 'aetna' } } })
    const mapped = await runnableConnection(database.db, database.box, connectionId, await claimedVersion(organizationId, connectionId))
    expect(mapped.mapping.valueMaps.payerCode).toMatchObject({ AET01: 'aetna' })
  })

  it('is loaded afresh when the caller does not know the version', async () => {
    const { connectionId } = await insertConnection(database.db, { connector: 'ritten', settings: { clientId: 'c', tenant: 't', audience: 'https://external-api.ritten.io' }, secrets: rittenSecrets() })
    const one = await runnableConnection(database.db, database.box, connectionId, null)
    const two = await runnableConnection(database.db, database.box, connectionId, null)
    expect(two).not.toBe(one)
    expect(two.version).toBe(one.version)
  })
})
