import { sql } from 'kysely'
import type { Db } from '../db/database.js'
import type { TokenStore } from '../connectors/connector.js'
import type { SecretBox } from '../security/secrets.js'

const MINT_LEASE_SECONDS = 30
const inFlight = new Map<string, Promise<string>>()

/** A token this process holds, and the connection row version it was read or minted under. */
interface HeldToken {
  token: string
  expiresAt: Date
  version: string | undefined
}

/**
 * What one process remembers of its connections' tokens (per connection id): the token it holds,
 * and the tokens the system refused here lately. A refused token must not come back from the
 * database: between one worker's refusal and its clear of the row, another worker of this
 * process may read the row and hold the token again, and the first worker's retry would then be
 * sent with the very token just refused (a second 401 and the record in needs-attention).
 */
export type TokenMemory = Map<string, { held: HeldToken | null; refused: string[] }>
/** Enough to cover the tokens a burst of workers may see refused at once; older ones have expired long since. */
const REFUSED_KEPT = 8
const processMemory = new WeakMap<object, TokenMemory>()

export interface TokenStoreOptions {
  now?: () => Date
  /**
   * The connection row's version (RunnableConnection.version). A token held in memory serves only
   * the version it was taken under: a change of credentials or base URL (which also deletes the
   * stored token) makes a new version, and the next job reads the database again.
   */
  version?: string
  /** This process's memory of tokens; tests pass their own to play two processes. */
  memory?: TokenMemory
}

/**
 * A connection's access token, sealed in the database and shared by all workers. Only one
 * caller mints at a time (in-process by a shared promise, across processes by a lease row), so
 * a burst of jobs costs one token request — Ritten allows just two mints an hour. A token once
 * read or minted is kept in this process's memory as well, so a call costs no database read; the
 * database stays the truth every process mints into and reads from when its memory has nothing
 * valid (a refused token is forgotten by `clear`, an expiring one by its time).
 */
export function createTokenStore(db: Db, box: SecretBox, connectionId: string, options: TokenStoreOptions = {}): TokenStore {
  const now = options.now ?? (() => new Date())
  let memory = options.memory ?? processMemory.get(db)
  if (!memory) processMemory.set(db, (memory = new Map()))
  let own = memory.get(connectionId)
  if (!own) memory.set(connectionId, (own = { held: null, refused: [] }))
  const tokens = own

  const remembered = (minValidityMs: number): string | null => {
    const entry = tokens.held
    if (!entry || entry.version !== options.version) return null
    return entry.expiresAt.getTime() - now().getTime() >= minValidityMs ? entry.token : null
  }
  const remember = (token: string, expiresAt: Date) => {
    tokens.held = { token, expiresAt, version: options.version }
  }

  const readValid = async (minValidityMs: number): Promise<string | null> => {
    const row = await db.selectFrom('connection_tokens').select(['token', 'expires_at']).where('connection_id', '=', connectionId).executeTakeFirst()
    if (!row?.token || !row.expires_at) return null
    if (row.expires_at.getTime() - now().getTime() < minValidityMs) return null
    const token = box.open(row.token)
    // Refused here already: its row is being cleared; a fresh one must be minted (or read once minted).
    if (tokens.refused.includes(token)) return null
    remember(token, row.expires_at)
    return token
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
      const inMemory = remembered(minValidityMs)
      if (inMemory) return inMemory
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
              remember(minted.token, minted.expiresAt)
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
    async clear(refusedToken) {
      if (!tokens.refused.includes(refusedToken)) tokens.refused = [...tokens.refused, refusedToken].slice(-REFUSED_KEPT)
      if (tokens.held?.token === refusedToken) tokens.held = null
      // Compare-and-clear: between the refused call and now another worker may have minted a
      // fresh token; clearing that one would cost another mint (Ritten allows two an hour).
      // Sealing is randomized, so compare the opened token, then clear only that exact sealed row.
      const row = await db.selectFrom('connection_tokens').select('token').where('connection_id', '=', connectionId).executeTakeFirst()
      if (!row?.token || box.open(row.token) !== refusedToken) return
      await db
        .updateTable('connection_tokens')
        .set({ token: null, expires_at: null })
        .where('connection_id', '=', connectionId)
        .where('token', '=', row.token)
        .execute()
    },
  }
}
