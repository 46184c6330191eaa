/**
 * Ritten's API request limit: "a bucket that holds 100 tokens and refills at 50 tokens per
 * second. Each request consumes one token."
 */

export const API_RATE_LIMIT = { capacity: 100, refillPerSecond: 50 } as const

/** One token bucket on a given clock (milliseconds). */
export class TokenBucket {
  private tokens: number
  private updatedAt: number

  constructor(
    private readonly capacity: number,
    private readonly refillPerSecond: number,
    private readonly now: () => number,
  ) {
    this.tokens = capacity
    this.updatedAt = now()
  }

  /** Takes one token; false when the bucket is empty (the request must be refused). */
  take(): boolean {
    const at = this.now()
    const elapsedSeconds = Math.max(0, at - this.updatedAt) / 1000
    this.tokens = Math.min(this.capacity, this.tokens + elapsedSeconds * this.refillPerSecond)
    this.updatedAt = at
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }
}

/** A bucket per caller (client id), created full on first use. */
export class RequestBuckets {
  private readonly buckets = new Map<string, TokenBucket>()

  constructor(
    private readonly now: () => number,
    /** null: no limit at all (a benchmark measuring the hub's own cost, never the default). */
    private readonly limit: { capacity: number; refillPerSecond: number } | null = API_RATE_LIMIT,
  ) {}

  take(caller: string): boolean {
    if (!this.limit) return true
    let bucket = this.buckets.get(caller)
    if (!bucket) {
      bucket = new TokenBucket(this.limit.capacity, this.limit.refillPerSecond, this.now)
      this.buckets.set(caller, bucket)
    }
    return bucket.take()
  }

  reset(): void {
    this.buckets.clear()
  }
}
