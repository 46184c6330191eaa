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
})
