import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestDatabase, type TestDatabase } from '../../test/database.js'
import { fixedQuery } from './fixedQuery.js'

let database: TestDatabase

beforeAll(async () => {
  database = await openTestDatabase()
})

afterAll(async () => {
  await database?.close()
})

const linkKey = fixedQuery((db, key: { recordType: string; recordId: string; connectionId: string }) =>
  db.selectFrom('links').select(['id', 'state']).where('record_type', '=', key.recordType).where('record_id', '=', key.recordId).where('connection_id', '=', key.connectionId),
)

describe('fixedQuery', () => {
  it('binds each call’s values to the statement Kysely built once, as Kysely would build it for those values', () => {
    const { db } = database
    for (const key of [
      { recordType: 'patient', recordId: randomUUID(), connectionId: randomUUID() },
      { recordType: 'referral', recordId: randomUUID(), connectionId: randomUUID() },
    ]) {
      const own = db.selectFrom('links').select(['id', 'state']).where('record_type', '=', key.recordType).where('record_id', '=', key.recordId).where('connection_id', '=', key.connectionId).compile()
      const bound = linkKey.bind(db, key)
      expect(bound.sql).toBe(own.sql)
      expect(bound.parameters).toEqual(own.parameters)
    }
  })

  it('keeps the constants Kysely bound itself among the call’s values', () => {
    const { db } = database
    const query = fixedQuery((kdb, args: { id: string; message: string | null }) => kdb.updateTable('links').set({ state: 'failed', message: args.message }).where('id', '=', args.id))
    const bound = query.bind(db, { id: 'x', message: null })
    const own = db.updateTable('links').set({ state: 'failed', message: null }).where('id', '=', 'x').compile()
    expect(bound.sql).toBe(own.sql)
    expect(bound.parameters).toEqual(['failed', null, 'x'])
    expect(own.parameters).toEqual(['failed', null, 'x'])
  })

  it('refuses an undefined or missing argument, and one more than the statement was built with: each is another statement', () => {
    const { db } = database
    const query = fixedQuery((kdb, args: { id: string; message?: string | null }) => kdb.updateTable('links').set({ message: args.message }).where('id', '=', args.id))
    expect(() => query.bind(db, { id: 'x', message: undefined })).toThrow(/undefined/)
    query.bind(db, { id: 'x', message: 'm' })
    expect(() => query.bind(db, { id: 'x' })).toThrow(/expected the arguments id, message/)
    expect(() => query.bind(db, { id: 'x', message: 'm', extra: 1 } as { id: string })).toThrow(/expected/)
  })

  it('runs on the database, in a transaction too', async () => {
    const { db } = database
    const organizationId = randomUUID()
    await db.insertInto('organizations').values({ id: organizationId, name: 'Fixed' }).execute()
    const insert = fixedQuery((kdb, row: { id: string; organization_id: string; name: string; insurances: string }) => kdb.insertInto('accounts').values(row).returning(['id', 'name']))
    const ids = [randomUUID(), randomUUID()]
    expect((await insert(db, { id: ids[0]!, organization_id: organizationId, name: 'One', insurances: '[]' })).rows).toEqual([{ id: ids[0], name: 'One' }])
    await db.transaction().execute(async (trx) => {
      expect((await insert(trx, { id: ids[1]!, organization_id: organizationId, name: 'Two', insurances: '[]' })).rows).toEqual([{ id: ids[1], name: 'Two' }])
    })
    const names = await db.selectFrom('accounts').select('name').where('organization_id', '=', organizationId).orderBy('name').execute()
    expect(names.map((r) => r.name)).toEqual(['One', 'Two'])
  })
})
