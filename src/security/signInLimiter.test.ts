import { describe, expect, it } from 'vitest'
import { FAILURE_LIMIT, SignInLimiter, WINDOW_MS } from './signInLimiter.js'

describe('SignInLimiter', () => {
  it(`blocks an address after ${FAILURE_LIMIT} unknown keys within the window, for as long as the oldest of them counts`, () => {
    const limiter = new SignInLimiter()
    const start = 1_000_000
    for (let i = 0; i < FAILURE_LIMIT - 1; i++) expect(limiter.fail('10.0.0.1', start + i * 1000)).toBe(i + 1)
    expect(limiter.blockedFor('10.0.0.1', start + 30_000)).toBeNull()
    limiter.fail('10.0.0.1', start + 30_000)
    // The first failure (at start) leaves the window at start + WINDOW_MS.
    expect(limiter.blockedFor('10.0.0.1', start + 30_000)).toBe(Math.ceil((WINDOW_MS - 30_000) / 1000))
    expect(limiter.blockedFor('10.0.0.1', start + WINDOW_MS - 1)).toBe(1)
    expect(limiter.blockedFor('10.0.0.1', start + WINDOW_MS)).toBeNull()
    // Another address is not affected.
    expect(limiter.blockedFor('10.0.0.2', start + 30_000)).toBeNull()
  })

  it('forgets failures once they leave the window', () => {
    const limiter = new SignInLimiter()
    for (let i = 0; i < FAILURE_LIMIT; i++) limiter.fail('a', i)
    expect(limiter.blockedFor('a', FAILURE_LIMIT)).not.toBeNull()
    expect(limiter.fail('a', WINDOW_MS * 3)).toBe(1)
  })

  it('knows a key that authenticated before (by its hash), and forgets it after half a day unused', () => {
    const limiter = new SignInLimiter()
    limiter.succeeded('hash-of-good-key', 0)
    expect(limiter.isKnownGood('hash-of-good-key', 60_000)).toBe(true)
    expect(limiter.isKnownGood('hash-of-another-key', 60_000)).toBe(false)
    expect(limiter.isKnownGood('hash-of-good-key', 12 * 60 * 60_000)).toBe(false)
  })

  it('tracks a bounded number of addresses, dropping the stalest first', () => {
    const limiter = new SignInLimiter()
    for (let i = 0; i < FAILURE_LIMIT; i++) limiter.fail('first', i)
    for (let i = 0; i < 10_000; i++) limiter.fail(`other-${i}`, 100)
    expect(limiter.blockedFor('first', 200)).toBeNull()
  })
})
