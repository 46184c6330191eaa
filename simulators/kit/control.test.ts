import Fastify from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { installSimControl } from './control.js'

const apps: ReturnType<typeof Fastify>[] = []
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close()
})

async function simulator() {
  const app = Fastify({ logger: false })
  apps.push(app)
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => done(null, new URLSearchParams(body as string)))
  installSimControl(app, { records: () => ({}), reset: () => undefined })
  // A handler that changes what it was given: the log keeps what the caller sent.
  app.post('/things', async (request) => {
    ;(request.body as { name: string }).name = 'changed'
    return { ok: true }
  })
  app.post('/token', async () => ({ access_token: 't' }))
  app.get('/things', async () => ({ items: [] }))
  await app.ready()
  return app
}

describe('the request log', () => {
  it('keeps the JSON body of each write as sent, and none of a read or a form', async () => {
    const app = await simulator()
    await app.inject({ method: 'POST', url: '/things', payload: { name: 'sent' } })
    await app.inject({ method: 'GET', url: '/things?name=x' })
    await app.inject({ method: 'POST', url: '/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'grant_type=client_credentials' })
    const { items } = (await app.inject({ method: 'GET', url: '/_sim/requests' })).json()
    expect(items).toEqual([
      expect.objectContaining({ method: 'POST', path: '/things', status: 200, body: { name: 'sent' } }),
      expect.not.objectContaining({ body: expect.anything() }),
      expect.not.objectContaining({ body: expect.anything() }),
    ])
    expect(items[1]).toMatchObject({ method: 'GET', path: '/things' })
    expect(items[2]).toMatchObject({ method: 'POST', path: '/token' })
  })
})
