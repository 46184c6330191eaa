import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'
import { createErrorHandler } from './errors.js'
import { DatabaseAvailability } from '../db/availability.js'
import { MAX_INPUT_DEPTH, refuseUnstorableInput } from './textInput.js'

async function send(options: { method: 'GET' | 'POST'; url: string; body?: unknown; raw?: string }) {
  const app = Fastify()
  app.setErrorHandler(createErrorHandler(new DatabaseAvailability(async () => undefined, { warn: () => undefined, info: () => undefined })))
  app.addHook('preValidation', refuseUnstorableInput)
  let reached = false
  const handler = async () => {
    reached = true
    return { ok: true }
  }
  app.get('/things/:id', handler)
  app.post('/things', handler)
  const response = await app.inject({ method: options.method, url: options.url, ...(options.body !== undefined ? { payload: options.body as object } : {}), ...(options.raw !== undefined ? { payload: options.raw, headers: { 'content-type': 'application/json' } } : {}) })
  await app.close()
  return { status: response.statusCode, body: response.json(), reached }
}

describe('NUL characters in text input', () => {
  it('refuses one in the query string, naming the parameter, before the route runs', async () => {
    const answer = await send({ method: 'GET', url: '/things/1?q=ab%00c' })
    expect(answer).toEqual({ status: 400, reached: false, body: { error: 'invalid_input', field: 'q', message: 'q: must not contain a NUL character (\\u0000)' } })
  })

  it('refuses one in a path parameter', async () => {
    expect((await send({ method: 'GET', url: '/things/a%00' })).body).toMatchObject({ field: 'id' })
  })

  it('refuses one anywhere in a JSON body, values and keys, naming the path', async () => {
    expect((await send({ method: 'POST', url: '/things', body: { address: { line1: 'x\u0000' } } })).body).toMatchObject({ field: 'address.line1' })
    expect((await send({ method: 'POST', url: '/things', body: { insurances: [{ memberId: 'ok' }, { memberId: '\u0000' }] } })).body).toMatchObject({ field: 'insurances.1.memberId' })
    const key = await send({ method: 'POST', url: '/things', body: { customFields: { 'a\u0000b': 1 } } })
    expect(key).toMatchObject({ status: 400, reached: false, body: { field: 'customFields.a\\u0000b' } })
  })

  it('lets text without NUL through, other control characters included', async () => {
    expect(await send({ method: 'POST', url: '/things?q=%01', body: { note: 'tab\there', list: ['a', 1, null, true] } })).toMatchObject({ status: 200, reached: true })
  })
})

describe('other text the database cannot store', () => {
  it('refuses a lone surrogate in a value or a key, naming the field', async () => {
    expect(await send({ method: 'POST', url: '/things', body: { customFields: { note: 'a\ud800b' } } })).toMatchObject({
      status: 400,
      reached: false,
      body: { field: 'customFields.note', message: expect.stringMatching(/valid Unicode text/) },
    })
    expect((await send({ method: 'POST', url: '/things', body: { ['k\udc00']: 1 } })).body).toMatchObject({ field: 'k\\udc00' })
  })

  it('lets proper surrogate pairs (emoji) through', async () => {
    expect(await send({ method: 'POST', url: '/things', body: { note: '🙂 ok' } })).toMatchObject({ status: 200, reached: true })
  })

  it(`refuses nesting deeper than ${MAX_INPUT_DEPTH} levels without overflowing the stack, and takes ${MAX_INPUT_DEPTH}`, async () => {
    // As text: building the request would overflow a stack of its own.
    const nest = (levels: number) => `${'{"a":'.repeat(levels)}"x"${'}'.repeat(levels)}`
    expect(await send({ method: 'POST', url: '/things', raw: `{"settings":${nest(100_000)}}` })).toMatchObject({
      status: 400,
      reached: false,
      body: { field: 'settings', message: expect.stringMatching(/nests deeper than 32 levels/) },
    })
    expect(await send({ method: 'POST', url: '/things', raw: nest(MAX_INPUT_DEPTH) })).toMatchObject({ status: 200, reached: true })
  })
})
