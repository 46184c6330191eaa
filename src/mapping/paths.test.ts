import { describe, expect, it } from 'vitest'
import { getPath, parsePath, setPath } from './paths.js'

describe('paths', () => {
  it('parses a path once and hands out the same frozen segments after', () => {
    const first = parsePath('addresses[0].lines[2]')
    expect(first).toEqual(['addresses', 0, 'lines', 2])
    expect(parsePath('addresses[0].lines[2]')).toBe(first)
    expect(Object.isFrozen(first)).toBe(true)
    expect(parsePath('not a path')).toBeNull()
    expect(parsePath('not a path')).toBeNull()
    expect(parsePath('a..b')).toBeNull()
  })

  it('stays right past the bound of paths it keeps', () => {
    for (let i = 0; i < 2500; i++) expect(parsePath(`f${i}[${i}]`)).toEqual([`f${i}`, i])
    expect(parsePath('f7[7]')).toEqual(['f7', 7])
  })

  it('reads and writes through nested objects and arrays', () => {
    const target: Record<string, unknown> = {}
    setPath(target, 'name.first', 'Ana')
    setPath(target, 'phones[1].number', '5')
    setPath(target, 'top', 1)
    expect(target).toEqual({ name: { first: 'Ana' }, phones: [undefined, { number: '5' }], top: 1 })
    expect(getPath(target, 'phones[1].number')).toBe('5')
    expect(getPath(target, 'phones[0].number')).toBeUndefined()
    expect(() => setPath(target, '[0]', 1)).toThrow(/Invalid field path/)
  })
})
