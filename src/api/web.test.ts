import Fastify from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { registerWebSecurity } from './web.js'
import { sessionCookieOptions } from './routes/sessions.js'

/** The README's `CAREBRIDGE_PUBLIC_URL`: an https address makes the session cookie Secure and turns on HSTS. */
const apps: ReturnType<typeof Fastify>[] = []
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close()
})

async function headersFor(publicUrl: string): Promise<Record<string, unknown>> {
  const app = Fastify({ logger: false })
  apps.push(app)
  await registerWebSecurity(app, { publicUrl })
  app.get('/api/thing', async () => ({ ok: true }))
  return (await app.inject({ method: 'GET', url: '/api/thing' })).headers
}

describe('behind TLS', () => {
  it('sends HSTS and asks for https only when the public URL is https', async () => {
    const tls = await headersFor('https://hub.example.org')
    expect(tls['strict-transport-security']).toMatch(/^max-age=\d+/)
    expect(tls['content-security-policy']).toContain('upgrade-insecure-requests')
    const plain = await headersFor('http://127.0.0.1:8080')
    expect(plain['strict-transport-security']).toBeUndefined()
    expect(plain['content-security-policy']).not.toContain('upgrade-insecure-requests')
    // Either way: no framing, nosniff, no CORS.
    for (const headers of [tls, plain]) {
      expect(headers).toMatchObject({ 'x-frame-options': 'DENY', 'x-content-type-options': 'nosniff' })
      expect(headers['access-control-allow-origin']).toBeUndefined()
    }
  })

  it('makes the session cookie Secure when the public URL or the request is https', () => {
    expect(sessionCookieOptions('http', 'https://hub.example.org')).toMatchObject({ secure: true, httpOnly: true, sameSite: 'strict' })
    expect(sessionCookieOptions('https', 'http://127.0.0.1:8080')).toMatchObject({ secure: true })
    expect(sessionCookieOptions('http', 'http://127.0.0.1:8080')).toMatchObject({ secure: false, httpOnly: true, sameSite: 'strict' })
  })
})
