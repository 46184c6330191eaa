import { sql } from 'kysely'
import type { Db } from '../db/database.js'
import type { TokenStore } from '../connectors/connector.js'
import type { SecretBox } from '../security/secrets.js'

const MINT_LEASE_SECONDS = 30
const inFlight = new Map<string, Promise<string>>()

/**
 * A connection's access token, sealed in the database and shared by all workers. Only one
 * caller mints at a time (in-process by a shared promise, across processes by a lease row), so
 * a burst of jobs costs one token request — Ritten allows just two mints an hour.
 */
export function createTokenStore(db: Db, box: SecretBox, connectionId: string, now: () => Date = () => new Date()): TokenStore {
  const readValid = async (minValidityMs: number): Promise<string | null> => {
    const row = await db.selectFrom('connection_tokens').select(['token', 'expires_at']).where('connection_id', '=', connectionId).executeTakeFirst()
    if (!row?.token || !row.expires_at) return null
    if (row.expires_at.getTime() - now().getTime() < minValidityMs) return null
    return box.open(row.token)
  }

  const acquireLease = async (): Promise<boolean> => {
    const { rows } = await sql<{ connection_id: string }>`
      insert into connection_tokens (connection_id, mint_lease_until) values (${connectionId}, now() + make_interval(secs => ${MINT_LEASE_SECONDS}))
      on conflict (connection_id) do update set mint_lease_until = excluded.mint_lease_until
        where connection_tokens.mint_lease_until is null or connection_tokens.mint_lease_until < now()
      returning connection_id`.execute(db)
    return rows.length > 0
  }

  const releaseLease = () =>
    db.updateTable('connection_tokens').set({ mint_lease_until: null }).where('connection_id', '=', connectionId).execute()

  return {
    async get(mint, minValidityMs = 60_000) {
      const cached = await readValid(minValidityMs)
      if (cached) return cached
      const running = inFlight.get(connectionId)
      if (running) return running
      const attempt = (async () => {
        const deadline = Date.now() + (MINT_LEASE_SECONDS + 5) * 1000
        while (Date.now() < deadline) {
          if (await acquireLease()) {
            try {
              const fresh = await readValid(minValidityMs)
              if (fresh) return fresh
              const minted = await mint()
              await db
                .updateTable('connection_tokens')
                .set({ token: box.seal(minted.token), expires_at: minted.expiresAt, mint_lease_until: null })
                .where('connection_id', '=', connectionId)
                .execute()
              return minted.token
            } finally {
              await releaseLease()
            }
          }
          await new Promise((r) => setTimeout(r, 200))
          const minted = await readValid(minValidityMs)
          if (minted) return minted
        }
        throw new Error('Timed out waiting for another worker to obtain an access token')
      })()
      inFlight.set(connectionId, attempt)
      try {
        return await attempt
      } finally {
        inFlight.delete(connectionId)
      }
    },
    async clear(ifToken) {
      let clear = db.updateTable('connection_tokens').set({ token: null, expires_at: null }).where('connection_id', '=', connectionId)
      if (ifToken !== undefined) {
        // Compare and clear: only the token that was refused, never one another worker has just minted.
        const row = await db.selectFrom('connection_tokens').select('token').where('connection_id', '=', connectionId).executeTakeFirst()
        if (!row?.token || box.open(row.token) !== ifToken) return
        clear = clear.where('token', '=', row.token)
      }
      await clear.execute()
    },
  }
}
