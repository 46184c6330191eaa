import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'
import { DatabaseAvailability } from '../db/availability.js'
import { createErrorHandler } from './errors.js'
import { parseJsonBody } from './jsonBody.js'

async function post(payload: string) {
  const app = Fastify()
  app.setErrorHandler(createErrorHandler(new DatabaseAvailability(async () => undefined, { warn: () => undefined, info: () => undefined })))
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parseJsonBody)
  app.post('/things', async (request) => ({ got: request.body }))
  const response = await app.inject({ method: 'POST', url: '/things', payload, headers: { 'content-type': 'application/json' } })
  await app.close()
  return { status: response.statusCode, body: response.json() }
}

describe('the JSON body parser', () => {
  it('says where JSON breaks', async () => {
    const answer = await post('{"firstName": "Ana",}')
    expect(answer).toMatchObject({ status: 400, body: { error: 'invalid_input', field: 'body', message: expect.stringMatching(/^body: is not valid JSON \(.*position/) } })
  })

  it('says an empty body is empty', async () => {
    expect((await post('')).body).toMatchObject({ field: 'body', message: 'body: is empty: send a JSON object' })
  })

  it('refuses __proto__ and constructor.prototype keys at any depth, naming where', async () => {
    expect((await post('{"a":[{"__proto__":{"admin":true}}]}')).body).toMatchObject({ field: 'a.0.__proto__', message: expect.stringMatching(/refused/) })
    expect((await post('{"constructor":{"prototype":{"admin":true}}}')).body).toMatchObject({ field: 'constructor.prototype' })
  })

  it('takes JSON that only looks alike: a "constructor" that is a value, a "prototype" elsewhere', async () => {
    expect(await post('{"constructor":"x","prototype":{"a":1}}')).toEqual({ status: 200, body: { got: { constructor: 'x', prototype: { a: 1 } } } })
  })
})
