import { describe, expect, it } from 'vitest'
import { getPath, parsePath, setPath } from './paths.js'

describe('paths', () => {
  it('parses names and indexes, the same again from its memo, and refuses what is not a path', () => {
    expect(parsePath('addresses[0].city')).toEqual(['addresses', 0, 'city'])
    expect(parsePath('addresses[0].city')).toEqual(['addresses', 0, 'city'])
    expect(parsePath('a..b')).toBeNull()
    expect(parsePath('a..b')).toBeNull()
  })

  it('stays right past its bound (more distinct paths than it keeps)', () => {
    for (let i = 0; i < 2_500; i++) expect(parsePath(`field${i}[${i}]`)).toEqual([`field${i}`, i])
    expect(parsePath('field7[7]')).toEqual(['field7', 7])
  })

  it('sets and gets through a memoized path without the two sharing state', () => {
    const a: Record<string, unknown> = {}
    const b: Record<string, unknown> = {}
    setPath(a, 'address.city', 'Austin')
    setPath(b, 'address.city', 'Boston')
    setPath(b, 'phones[1]', '555')
    expect(a).toEqual({ address: { city: 'Austin' } })
    expect(getPath(b, 'address.city')).toBe('Boston')
    expect(getPath(b, 'phones[1]')).toBe('555')
    expect(() => setPath(a, 'not a path', 1)).toThrow('Invalid field path')
  })
})
