import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertConnection, openTestDatabase, type TestDatabase } from '../../test/database.js'
import { createTokenStore } from './tokenStore.js'

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
})
