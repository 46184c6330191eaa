import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestDatabase, type TestDatabase } from '../../test/database.js'
import { createApiKey, type Actor } from './apiKeys.js'
import { createSession, findSession, SESSION_IDLE_MS, SESSION_MAX_MS } from './sessions.js'

/**
 * The README's promise for admin UI sessions: stored hashed, ended after an hour unused or after
 * 12 hours however much they are used, and by revoking their key — on a clock the test moves.
 */
let database: TestDatabase
let actor: Actor

beforeAll(async () => {
  database = await openTestDatabase()
  const organizationId = randomUUID()
  await database.db.insertInto('organizations').values({ id: organizationId, name: 'Clinic' }).execute()
  const { id } = await createApiKey(database.db, { organizationId, name: 'desk', role: 'staff' })
  actor = { keyId: id, name: 'desk', role: 'staff', organizationId }
}, 120_000)

afterAll(async () => {
  await database?.close()
})

const start = Date.parse('2026-11-30T08:00:00.000Z')
const at = (ms: number) => new Date(start + ms)
const MINUTE = 60_000

describe('admin UI sessions', () => {
  it('keep only the hash of their token', async () => {
    const session = await createSession(database.db, actor, at(0))
    const rows = await database.db.selectFrom('sessions').selectAll().execute()
    expect(JSON.stringify(rows)).not.toContain(session.token)
    expect(await findSession(database.db, session.token, at(MINUTE))).toMatchObject({ actor: { keyId: actor.keyId, role: 'staff' } })
    expect(await findSession(database.db, `${session.token}x`, at(MINUTE))).toBeNull()
  })

  it('end after an hour unused, and last while they are used', async () => {
    const idle = await createSession(database.db, actor, at(0))
    const used = await createSession(database.db, actor, at(0))
    // One is used every 50 minutes; the other not at all.
    for (let t = 50 * MINUTE; t <= 150 * MINUTE; t += 50 * MINUTE) expect(await findSession(database.db, used.token, at(t)), `used at ${t / MINUTE} min`).not.toBeNull()
    expect(await findSession(database.db, idle.token, at(SESSION_IDLE_MS + MINUTE))).toBeNull()
    // Ended for good: not alive again at an earlier time either.
    expect(await findSession(database.db, idle.token, at(MINUTE))).toBeNull()
  })

  it('end after 12 hours however much they are used', async () => {
    const session = await createSession(database.db, actor, at(0))
    expect(session.expiresAt.getTime()).toBe(start + SESSION_MAX_MS)
    for (let t = 30 * MINUTE; t < SESSION_MAX_MS; t += 30 * MINUTE) expect(await findSession(database.db, session.token, at(t))).not.toBeNull()
    expect(await findSession(database.db, session.token, at(SESSION_MAX_MS))).toBeNull()
  })

  it('end when their key is revoked', async () => {
    const session = await createSession(database.db, actor, at(0))
    expect(await findSession(database.db, session.token, at(MINUTE))).not.toBeNull()
    await database.db.updateTable('api_keys').set({ revoked_at: at(2 * MINUTE) }).where('id', '=', actor.keyId).execute()
    try {
      expect(await findSession(database.db, session.token, at(3 * MINUTE))).toBeNull()
    } finally {
      await database.db.updateTable('api_keys').set({ revoked_at: null }).where('id', '=', actor.keyId).execute()
    }
  })
})
