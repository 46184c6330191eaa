import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { checkedSerializer } from './checkedSerializer.js'

const serializerFor = (schema: unknown) => checkedSerializer({ schema, method: 'GET', url: '/api/things/:id', httpStatus: '200' })

describe('checkedSerializer', () => {
  it('sends the answer as it is, fields the schema does not list included', () => {
    const serialize = serializerFor(z.object({ id: z.string() }))
    expect(JSON.parse(serialize({ id: 'a', added: 1 }))).toEqual({ id: 'a', added: 1 })
  })

  it('refuses an answer that breaks its schema', () => {
    const serialize = serializerFor(z.object({ id: z.string(), state: z.enum(['linked']) }))
    expect(() => serialize({ id: 'a', state: 'lost' })).toThrow(/doesn't match the schema/)
  })

  it('sends as JSON where a route declares no schema', () => {
    expect(serializerFor(undefined)({ ok: true })).toBe('{"ok":true}')
  })
})
