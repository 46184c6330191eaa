import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { DbOrTx } from '../db/database.js'
import { hashKey, type Actor } from './apiKeys.js'

/**
 * Browser sessions (admin UI): an API key is exchanged for a random session token carried by an
 * HttpOnly cookie. The database keeps only the token's hash. A session lasts while it is used
 * (idle limit) and never beyond an absolute limit; revoking its API key ends it at once.
 */
export const SESSION_IDLE_MS = 60 * 60_000
export const SESSION_MAX_MS = 12 * 60 * 60_000
/** `last_seen_at` is written at most this often, so reads do not turn into writes. */
const TOUCH_EVERY_MS = 60_000

export interface Session {
  actor: Actor
  csrfToken: string
  expiresAt: Date
}

export interface NewSession extends Session {
  /** The cookie value; shown only here. */
  token: string
}

export async function createSession(db: DbOrTx, actor: Actor, now = new Date()): Promise<NewSession> {
  const token = randomBytes(32).toString('base64url')
  const csrfToken = randomBytes(24).toString('base64url')
  const expiresAt = new Date(now.getTime() + SESSION_MAX_MS)
  // Sign-in is a good moment to forget sessions that ran out.
  await db.deleteFrom('sessions').where('expires_at', '<', now).execute()
  await db
    .insertInto('sessions')
    .values({ token_hash: hashKey(token), organization_id: actor.organizationId, api_key_id: actor.keyId, csrf_token: csrfToken, last_seen_at: now, expires_at: expiresAt })
    .execute()
  return { token, csrfToken, expiresAt, actor }
}

/** The live session of a cookie token, or null (unknown, expired, idle too long, or its key revoked). */
export async function findSession(db: DbOrTx, token: string, now = new Date()): Promise<Session | null> {
  const tokenHash = hashKey(token)
  const row = await db
    .selectFrom('sessions')
    .innerJoin('api_keys', 'api_keys.id', 'sessions.api_key_id')
    .select(['sessions.csrf_token', 'sessions.last_seen_at', 'sessions.expires_at', 'api_keys.id as key_id', 'api_keys.name', 'api_keys.role', 'api_keys.organization_id'])
    .where('sessions.token_hash', '=', tokenHash)
    .where('api_keys.revoked_at', 'is', null)
    .executeTakeFirst()
  if (!row) return null
  if (row.expires_at <= now || now.getTime() - row.last_seen_at.getTime() > SESSION_IDLE_MS) {
    await db.deleteFrom('sessions').where('token_hash', '=', tokenHash).execute()
    return null
  }
  if (now.getTime() - row.last_seen_at.getTime() > TOUCH_EVERY_MS) {
    await db.updateTable('sessions').set({ last_seen_at: now }).where('token_hash', '=', tokenHash).execute()
  }
  return {
    actor: { keyId: row.key_id, name: row.name, role: row.role, organizationId: row.organization_id },
    csrfToken: row.csrf_token,
    expiresAt: row.expires_at,
  }
}

export async function deleteSession(db: DbOrTx, token: string): Promise<boolean> {
  const result = await db.deleteFrom('sessions').where('token_hash', '=', hashKey(token)).executeTakeFirst()
  return Number(result.numDeletedRows) > 0
}

/** Constant-time comparison of the CSRF header with the session's token. */
export function csrfMatches(expected: string, sent: string | undefined): boolean {
  if (!sent) return false
  const a = Buffer.from(expected)
  const b = Buffer.from(sent)
  return a.length === b.length && timingSafeEqual(a, b)
}
