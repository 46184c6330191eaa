import { describe, expect, it } from 'vitest'
import { retryDelayMs } from './retry.js'

const policy = { maxAttempts: 8, baseMs: 1000, maxMs: 60_000 }

describe('retryDelayMs', () => {
  it('doubles the step each attempt, with half of it random', () => {
    expect(retryDelayMs(policy, 1, undefined, () => 0)).toBe(500)
    expect(retryDelayMs(policy, 1, undefined, () => 1)).toBe(1000)
    expect(retryDelayMs(policy, 3, undefined, () => 0)).toBe(2000)
    expect(retryDelayMs(policy, 3, undefined, () => 1)).toBe(4000)
  })

  it('never waits longer than the cap', () => {
    expect(retryDelayMs(policy, 30, undefined, () => 1)).toBe(60_000)
  })

  it('honours Retry-After beyond its own backoff cap, up to an hour', () => {
    expect(retryDelayMs(policy, 1, 7000, () => 0)).toBe(7000)
    expect(retryDelayMs(policy, 1, 90_000, () => 0)).toBe(90_000)
    expect(retryDelayMs(policy, 1, 7_200_000, () => 0)).toBe(3_600_000)
  })
})
