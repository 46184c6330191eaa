/** When to try a failed job again: exponential backoff with jitter, or the system's Retry-After. */
export interface RetryPolicy {
  maxAttempts: number
  baseMs: number
  maxMs: number
}

/** A system's own "come back later" is honoured up to an hour; beyond that something is wrong. */
export const RETRY_AFTER_CAP_MS = 3600_000

/**
 * Delay before attempt `attempt + 1`. Without Retry-After: "equal jitter" — half of the
 * exponential step is fixed, half random — so a burst of failures does not retry in lockstep.
 * With Retry-After (or a known wait, like ECW's next minute) the system's wish wins over our own
 * backoff cap — retrying sooner would only be refused again — with a little jitter added.
 */
export function retryDelayMs(policy: RetryPolicy, attempt: number, retryAfterMs?: number, random: () => number = Math.random): number {
  if (retryAfterMs !== undefined) return Math.min(RETRY_AFTER_CAP_MS, retryAfterMs) + Math.round(random() * 250)
  const step = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1))
  return Math.round(step / 2 + random() * (step / 2))
}
