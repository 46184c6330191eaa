import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'
import { ConnectorError } from '../connectors/errors.js'
import { createErrorHandler } from './errors.js'
import { DatabaseAvailability } from '../db/availability.js'

async function answerTo(error: Error) {
  const app = Fastify()
  app.setErrorHandler(createErrorHandler(new DatabaseAvailability(async () => undefined, { warn: () => undefined, info: () => undefined })))
  app.get('/fails', async () => {
    throw error
  })
  const response = await app.inject({ method: 'GET', url: '/fails' })
  await app.close()
  return response
}

describe('error answers', () => {
  it("answers a connector's verdict with 422 and its message, not 500", async () => {
    const response = await answerTo(
      new ConnectorError({ code: 'settings_invalid', message: "The connection's stored settings no longer fit: settings.tenant: Required", retryable: false }),
    )
    expect(response.statusCode).toBe(422)
    expect(response.json()).toEqual({ error: 'settings_invalid', message: "The connection's stored settings no longer fit: settings.tenant: Required" })
  })

  it('answers a passing connector failure with 503 and its Retry-After', async () => {
    const response = await answerTo(new ConnectorError({ code: 'rate_limited', message: 'ECW asked to wait', retryable: true, retryAfterMs: 1500 }))
    expect(response.statusCode).toBe(503)
    expect(response.headers['retry-after']).toBe('2')
    expect(response.json()).toEqual({ error: 'rate_limited', message: 'ECW asked to wait' })
  })

  it('keeps our own faults at 500 with nothing internal in the body', async () => {
    const response = await answerTo(new Error('secret detail'))
    expect(response.statusCode).toBe(500)
    expect(response.body).not.toContain('secret detail')
  })

  it('answers a write the full disk refused with 503 database_full and Retry-After, not 500', async () => {
    // The error as pg hands it over from PostgreSQL or the embedded PGlite (SQLSTATE 53100).
    const full = Object.assign(new Error('could not extend file "base/5/16385": No space left on device'), { code: '53100' })
    const response = await answerTo(new Error('insert failed', { cause: full }))
    expect(response.statusCode).toBe(503)
    expect(response.headers['retry-after']).toBe('5')
    expect(response.json()).toEqual({ error: 'database_full', message: expect.stringContaining('no room left') })
    expect(response.body).not.toContain('base/5')
  })

  it('answers the database short of memory or connections with 503 database_busy', async () => {
    const response = await answerTo(Object.assign(new Error('out of memory'), { code: '53200' }))
    expect(response.statusCode).toBe(503)
    expect(response.json()).toMatchObject({ error: 'database_busy' })
  })
})
