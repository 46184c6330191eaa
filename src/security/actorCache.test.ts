import { describe, expect, it } from 'vitest'
import { ActorCache } from './actorCache.js'
import type { Actor } from './apiKeys.js'

const alice: Actor = { keyId: 'k1', name: 'alice', role: 'admin', organizationId: 'o1' }
const bob: Actor = { keyId: 'k2', name: 'bob', role: 'staff', organizationId: 'o1' }

describe('the per-process trust in verified keys', () => {
  it('trusts a verified key for its bound, then asks again', () => {
    const cache = new ActorCache(5_000)
    cache.remember('h1', alice, cache.begin(), 1_000)
    expect(cache.get('h1', 1_000)).toEqual(alice)
    expect(cache.get('h1', 5_999)).toEqual(alice)
    expect(cache.get('h1', 6_000)).toBeNull()
    expect(cache.get('h2', 1_000)).toBeNull()
  })

  it('forgets a revoked key at once, and keeps the others', () => {
    const cache = new ActorCache(5_000)
    cache.remember('h1', alice, cache.begin(), 0)
    cache.remember('h2', bob, cache.begin(), 0)
    cache.forget('k1')
    expect(cache.get('h1', 1)).toBeNull()
    expect(cache.get('h2', 1)).toEqual(bob)
  })

  it('does not store what a lookup begun before a revocation found', () => {
    const cache = new ActorCache(5_000)
    const started = cache.begin()
    // The lookup read the key as live; the revocation committed and was told while it was in flight.
    cache.forget('k1')
    cache.remember('h1', alice, started, 0)
    expect(cache.get('h1', 1)).toBeNull()
    cache.remember('h1', alice, cache.begin(), 0)
    expect(cache.get('h1', 1)).toEqual(alice)
  })

  it('trusts nothing with a bound of 0', () => {
    const cache = new ActorCache(0)
    cache.remember('h1', alice, cache.begin(), 0)
    expect(cache.get('h1', 0)).toBeNull()
  })
})
