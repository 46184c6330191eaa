import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertConnection, openTestDatabase, type TestDatabase } from '../../test/database.js'
import { createTokenStore, type TokenMemory } from './tokenStore.js'

let database: TestDatabase

beforeAll(async () => {
  database = await openTestDatabase()
})

afterAll(async () => {
  await database?.close()
})

/** A mint that hands out `token-1`, `token-2`, … and counts its calls. */
function minter() {
  let count = 0
  return {
    get count() {
      return count
    },
    mint: async () => ({ token: `token-${++count}`, expiresAt: new Date(Date.now() + 3_600_000) }),
  }
}

describe('token store', () => {
  it('clears the token the system refused, so the next call mints a fresh one', async () => {
    const { connectionId } = await insertConnection(database.db, { connector: 'ritten' })
    const tokens = createTokenStore(database.db, database.box, connectionId)
    const mints = minter()
    const refused = await tokens.get(mints.mint)
    await tokens.clear(refused)
    expect(await tokens.get(mints.mint)).toBe('token-2')
    expect(mints.count).toBe(2)
  })

  it('keeps a token another worker minted after the refusal (compare-and-clear)', async () => {
    const { connectionId } = await insertConnection(database.db, { connector: 'ritten' })
    const workerA = createTokenStore(database.db, database.box, connectionId)
    const workerB = createTokenStore(database.db, database.box, connectionId)
    const mints = minter()
    const old = await workerA.get(mints.mint)
    // Both workers' calls with the old token are refused; B handles its 401 first and mints anew…
    await workerB.clear(old)
    expect(await workerB.get(mints.mint)).toBe('token-2')
    // …then A's late clear of the old token must not throw away B's fresh one.
    await workerA.clear(old)
    expect(await workerA.get(mints.mint)).toBe('token-2')
    expect(mints.count).toBe(2)
  })

  it('does nothing when no token is cached', async () => {
    const { connectionId } = await insertConnection(database.db, { connector: 'ritten' })
    const tokens = createTokenStore(database.db, database.box, connectionId)
    await tokens.clear('never-cached')
    const mints = minter()
    expect(await tokens.get(mints.mint)).toBe('token-1')
  })

  it('serves a held token from memory, and one mint for two processes (each with its own memory) through the database', async () => {
    const { connectionId } = await insertConnection(database.db, { connector: 'ritten' })
    const processA: TokenMemory = new Map()
    const processB: TokenMemory = new Map()
    const a = createTokenStore(database.db, database.box, connectionId, { version: 'v1', memory: processA })
    const b = createTokenStore(database.db, database.box, connectionId, { version: 'v1', memory: processB })
    const mints = minter()
    expect(await a.get(mints.mint)).toBe('token-1')
    expect(await b.get(mints.mint)).toBe('token-1')
    expect(mints.count).toBe(1)
    // The stored row gone (as a credentials change deletes it): a process that holds the token for this version needs no read…
    await database.db.deleteFrom('connection_tokens').where('connection_id', '=', connectionId).execute()
    expect(await a.get(mints.mint)).toBe('token-1')
    // …and a job of the changed connection (a new version) does not use it: it mints with the new credentials.
    const changed = createTokenStore(database.db, database.box, connectionId, { version: 'v2', memory: processA })
    expect(await changed.get(mints.mint)).toBe('token-2')
    expect(mints.count).toBe(2)
  })

  it('reads the database again when the held token is about to expire', async () => {
    const { connectionId } = await insertConnection(database.db, { connector: 'ritten' })
    const memory: TokenMemory = new Map()
    let count = 0
    const shortLived = async () => ({ token: `short-${++count}`, expiresAt: new Date(Date.now() + 30_000) })
    const tokens = createTokenStore(database.db, database.box, connectionId, { memory })
    expect(await tokens.get(shortLived, 10_000)).toBe('short-1')
    expect(await tokens.get(shortLived, 10_000)).toBe('short-1')
    // Valid for 30 s, but the caller needs a minute: memory does not answer, nor does the database; a mint does.
    expect(await tokens.get(shortLived, 60_000)).toBe('short-2')
  })

  it('forgets the refused token in its memory, also when another process minted meanwhile', async () => {
    const { connectionId } = await insertConnection(database.db, { connector: 'ritten' })
    const a = createTokenStore(database.db, database.box, connectionId, { memory: new Map() })
    const b = createTokenStore(database.db, database.box, connectionId, { memory: new Map() })
    const mints = minter()
    const old = await a.get(mints.mint)
    await b.clear(old)
    expect(await b.get(mints.mint)).toBe('token-2')
    // A still holds the old token until the system refuses it; then it takes B's from the database.
    expect(await a.get(mints.mint)).toBe(old)
    await a.clear(old)
    expect(await a.get(mints.mint)).toBe('token-2')
    expect(mints.count).toBe(2)
  })

  it('never takes back from the database a token refused in this process (another worker read the row before the clear)', async () => {
    const { connectionId } = await insertConnection(database.db, { connector: 'ritten' })
    const memory: TokenMemory = new Map()
    const worker1 = createTokenStore(database.db, database.box, connectionId, { memory })
    const worker2 = createTokenStore(database.db, database.box, connectionId, { memory })
    const mints = minter()
    const refused = await worker1.get(mints.mint)
    const row = await database.db.selectFrom('connection_tokens').select(['token', 'expires_at']).where('connection_id', '=', connectionId).executeTakeFirstOrThrow()
    await worker1.clear(refused)
    // The row as another worker read it an instant before the clear committed: the refused token, still valid by its time.
    await database.db.updateTable('connection_tokens').set({ token: row.token, expires_at: row.expires_at }).where('connection_id', '=', connectionId).execute()
    expect(await worker2.get(mints.mint)).toBe('token-2')
    expect(await worker1.get(mints.mint)).toBe('token-2')
    expect(mints.count).toBe(2)
  })
})
