/**
 * Slows down guessing of API keys: an address that presented FAILURE_LIMIT unknown keys (as a
 * Bearer header or at sign-in) within WINDOW_MS is refused further unknown keys, with a 429 and
 * the seconds until its oldest failure leaves the window — without the key being looked at, so
 * a hit is not even noticed. A key that authenticated before (in this process) is still checked
 * and works, from any address: a busy office behind one address keeps working while someone
 * there guesses. Generated keys (192 random bits) cannot be guessed; a key an admin chose
 * (CAREBRIDGE_ADMIN_KEY) might be, which is what this is for.
 *
 * Memory: at most FAILURE_LIMIT timestamps per address, addresses with nothing in the window are
 * dropped, and at most MAX_ADDRESSES are tracked (the oldest dropped first). Each process keeps
 * its own counts (N API processes let through N × FAILURE_LIMIT a minute).
 */
export const FAILURE_LIMIT = 20
export const WINDOW_MS = 60_000
const MAX_ADDRESSES = 10_000
const MAX_KNOWN_GOOD = 1_000
/** A known-good key is forgotten after this long unused (a revoked key is refused by the lookup anyway). */
const KNOWN_GOOD_MS = 12 * 60 * 60_000

export class SignInLimiter {
  private readonly failures = new Map<string, number[]>()
  private readonly knownGood = new Map<string, number>()

  /** Seconds `address` must wait before presenting another unknown key, or null when it may now. */
  blockedFor(address: string, now = Date.now()): number | null {
    const recent = this.recent(address, now)
    if (recent.length < FAILURE_LIMIT) return null
    const oldestCounted = recent[recent.length - FAILURE_LIMIT]!
    return Math.max(1, Math.ceil((oldestCounted + WINDOW_MS - now) / 1000))
  }

  /** Notes an unknown key from `address`; answers how many it presented within the window. */
  fail(address: string, now = Date.now()): number {
    const recent = this.recent(address, now)
    recent.push(now)
    if (recent.length > FAILURE_LIMIT) recent.splice(0, recent.length - FAILURE_LIMIT)
    // Re-inserted so the map's order is by last failure: the first entries are the stalest.
    this.failures.delete(address)
    this.failures.set(address, recent)
    while (this.failures.size > MAX_ADDRESSES) this.failures.delete(this.failures.keys().next().value!)
    return recent.length
  }

  /** `keyHash` authenticated: it is let through (and checked) even from an address that is blocked. */
  succeeded(keyHash: string, now = Date.now()): void {
    this.knownGood.delete(keyHash)
    this.knownGood.set(keyHash, now)
    while (this.knownGood.size > MAX_KNOWN_GOOD) this.knownGood.delete(this.knownGood.keys().next().value!)
  }

  isKnownGood(keyHash: string, now = Date.now()): boolean {
    const at = this.knownGood.get(keyHash)
    return at !== undefined && now - at < KNOWN_GOOD_MS
  }

  private recent(address: string, now: number): number[] {
    const all = this.failures.get(address)
    if (!all) return []
    const recent = all.filter((at) => now - at < WINDOW_MS)
    if (recent.length === 0) this.failures.delete(address)
    else if (recent.length !== all.length) this.failures.set(address, recent)
    return recent
  }
}
