import type { Actor } from './apiKeys.js'

/**
 * How long a key the database confirmed is trusted without asking it again. Every API request
 * presents a key; looking it up each time was a database transaction per request. A key revoked
 * through this process's API stops working at once (the cache is told); a key revoked through
 * another API process sharing the database stops working here within this bound.
 */
export const KEY_TRUST_MS = 5_000
const MAX_KEYS = 1_000

/**
 * Actors of recently verified keys, by key hash, per process. Only keys the database knew are
 * kept: an unknown key is looked up every time, so a key created elsewhere works at once and a
 * guesser learns nothing from timing.
 */
export class ActorCache {
  private readonly entries = new Map<string, { actor: Actor; until: number }>()
  /** Bumped by each `forget`: a lookup that began before a revocation must not store its answer. */
  private generation = 0

  constructor(private readonly trustMs = KEY_TRUST_MS) {}

  get(keyHash: string, now = Date.now()): Actor | null {
    const entry = this.entries.get(keyHash)
    if (!entry) return null
    if (entry.until <= now) {
      this.entries.delete(keyHash)
      return null
    }
    return entry.actor
  }

  /** The generation to hand back to `remember`: read it before the lookup starts. */
  begin(): number {
    return this.generation
  }

  remember(keyHash: string, actor: Actor, startedAt: number, now = Date.now()): void {
    if (startedAt !== this.generation || this.trustMs <= 0) return
    this.entries.delete(keyHash)
    this.entries.set(keyHash, { actor, until: now + this.trustMs })
    while (this.entries.size > MAX_KEYS) this.entries.delete(this.entries.keys().next().value!)
  }

  /** The key `keyId` was revoked: it must not be trusted from here on, nor by a lookup in flight. */
  forget(keyId: string): void {
    this.generation++
    for (const [hash, entry] of this.entries) if (entry.actor.keyId === keyId) this.entries.delete(hash)
  }
}
