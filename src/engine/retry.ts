/** When to try a failed job again: exponential backoff with jitter, or the system's Retry-After. */
export interface RetryPolicy {
  maxAttempts: number
  baseMs: number
  maxMs: number
}

/**
 * Delay before attempt `attempt + 1`. Without Retry-After: "equal jitter" — half of the
 * exponential step is fixed, half random — so a burst of failures does not retry in lockstep.
 * With Retry-After the system's wish wins (a little jitter added), capped at maxMs.
 */
export function retryDelayMs(policy: RetryPolicy, attempt: number, retryAfterMs?: number, random: () => number = Math.random): number {
  if (retryAfterMs !== undefined) return Math.min(policy.maxMs, retryAfterMs + Math.round(random() * 250))
  const step = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1))
  return Math.round(step / 2 + random() * (step / 2))
}
