import { describe, expect, it } from 'vitest'
import { csrfMatches } from './sessions.js'

describe('csrfMatches', () => {
  it('accepts only the exact token', () => {
    expect(csrfMatches('abc123', 'abc123')).toBe(true)
    expect(csrfMatches('abc123', 'abc124')).toBe(false)
    expect(csrfMatches('abc123', 'abc12')).toBe(false)
    expect(csrfMatches('abc123', undefined)).toBe(false)
    expect(csrfMatches('abc123', '')).toBe(false)
  })
})
