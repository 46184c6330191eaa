import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRittenSimulator, RITTEN_SEEDED_PAYERS, type RittenSimulator } from '../simulators/ritten/server.js'
import { ADMIN_KEY, createTestDatabase, startHub, waitFor, type RunningHub } from './harness.js'
import { connectRitten } from './rittenHelpers.js'

/**
 * The admin UI's sign-in as an API: an API key exchanged for a session cookie, changes made with
 * that cookie refused from other sites, security headers; and the small routes the UI reads
 * (connection health, the log over time, values no map translates yet, the CRM's fields).
 */
let hub: RunningHub
let sim: RittenSimulator
let database: Awaited<ReturnType<typeof createTestDatabase>>
let staffKey: string

beforeAll(async () => {
  sim = createRittenSimulator()
  const simUrl = await sim.listen(0)
  database = await createTestDatabase()
  hub = await startHub({ databaseUrl: database?.url })
  await connectRitten(hub, simUrl)
  staffKey = (await hub.api('POST', '/api/keys', { name: 'intake desk', role: 'staff' })).body.key
})

afterAll(async () => {
  await hub?.stop()
  await sim?.close()
  await database?.drop()
})

interface Answer {
  status: number
  body: any
  headers: Headers
}

/** A request as a browser page of the hub makes it: the cookie, and (for changes) the CSRF header and its own Origin. */
async function call(method: string, path: string, options: { cookie?: string; csrf?: string; origin?: string; site?: string; body?: unknown; key?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = {}
  if (options.cookie) headers.cookie = options.cookie
  if (options.csrf) headers['x-csrf-token'] = options.csrf
  if (options.origin) headers.origin = options.origin
  if (options.site) headers['sec-fetch-site'] = options.site
  if (options.key) headers.authorization = `Bearer ${options.key}`
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(`${hub.url}${path}`, { method, headers, body: options.body !== undefined ? JSON.stringify(options.body) : undefined })
  const text = await res.text()
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {
    // not JSON
  }
  return { status: res.status, body, headers: res.headers }
}

async function signIn(key: string): Promise<{ cookie: string; setCookie: string; csrf: string; body: any }> {
  const res = await call('POST', '/api/session', { body: { key }, origin: hub.url, site: 'same-origin' })
  expect(res.status).toBe(200)
  const setCookie = res.headers.get('set-cookie') ?? ''
  return { cookie: setCookie.split(';')[0]!, setCookie, csrf: res.body.csrfToken, body: res.body }
}

describe('sign-in with an API key', () => {
  it('answers a session cookie that is HttpOnly, SameSite=Strict, not Secure over plain HTTP, and is not the key', async () => {
    const { setCookie, cookie, body } = await signIn(ADMIN_KEY)
    expect(setCookie).toMatch(/^carebridge_session=/)
    expect(setCookie).toMatch(/; HttpOnly/i)
    expect(setCookie).toMatch(/; SameSite=Strict/i)
    expect(setCookie).toMatch(/; Path=\//i)
    expect(setCookie).not.toMatch(/; Secure/i)
    expect(cookie).not.toContain(ADMIN_KEY)
    expect(body).toMatchObject({ role: 'admin', via: 'session', csrfToken: expect.any(String), expiresAt: expect.any(String) })
    expect(JSON.stringify(body)).not.toContain(ADMIN_KEY)

    const me = await call('GET', '/api/session', { cookie })
    expect(me.status).toBe(200)
    expect(me.body).toMatchObject({ role: 'admin', via: 'session', csrfToken: body.csrfToken })
  })

  it('refuses an unknown key, and a sign-in posted by another site', async () => {
    const wrong = await call('POST', '/api/session', { body: { key: 'not-a-key-at-all' } })
    expect(wrong.status).toBe(401)
    expect(wrong.body.message).toMatch(/unknown or revoked/)
    expect(wrong.headers.get('set-cookie')).toBeNull()

    const foreign = await call('POST', '/api/session', { body: { key: ADMIN_KEY }, origin: 'https://evil.example' })
    expect(foreign.status).toBe(403)
    expect(foreign.body).toMatchObject({ error: 'cross_site_refused', message: expect.stringContaining('https://evil.example') })
    expect(foreign.headers.get('set-cookie')).toBeNull()

    const missing = await call('POST', '/api/session', { body: {} })
    expect(missing.status).toBe(400)
    expect(missing.body.message).toMatch(/key/)
  })

  it('signs out: the session ends at once and the cookie is cleared', async () => {
    const { cookie, csrf } = await signIn(ADMIN_KEY)
    const out = await call('DELETE', '/api/session', { cookie, csrf, origin: hub.url })
    expect(out.status).toBe(204)
    expect(out.headers.get('set-cookie')).toMatch(/carebridge_session=;.*Expires=Thu, 01 Jan 1970/i)
    const after = await call('GET', '/api/patients', { cookie })
    expect(after.status).toBe(401)
    expect(after.body.error).toBe('session_ended')
  })

  it('a revoked key ends its sessions', async () => {
    const created = await hub.api('POST', '/api/keys', { name: 'short-lived', role: 'staff' })
    const { cookie } = await signIn(created.body.key)
    expect((await call('GET', '/api/patients', { cookie })).status).toBe(200)
    expect((await hub.api('DELETE', `/api/keys/${created.body.id}`)).status).toBe(204)
    expect((await call('GET', '/api/patients', { cookie })).status).toBe(401)
  })

  it('a staff session has the staff role: admin routes are refused', async () => {
    const { cookie, body } = await signIn(staffKey)
    expect(body.role).toBe('staff')
    expect((await call('GET', '/api/keys', { cookie })).status).toBe(403)
    expect((await call('GET', '/api/patients', { cookie })).status).toBe(200)
  })
})

describe('changes made with the session cookie', () => {
  const account = { name: 'Cookie family', insurances: [] }

  it('are accepted from the hub\'s own pages (same origin, CSRF token)', async () => {
    const { cookie, csrf } = await signIn(ADMIN_KEY)
    const res = await call('POST', '/api/accounts', { cookie, csrf, origin: hub.url, site: 'same-origin', body: account })
    expect(res.status).toBe(201)
  })

  it('are refused without the CSRF token', async () => {
    const { cookie } = await signIn(ADMIN_KEY)
    const res = await call('POST', '/api/accounts', { cookie, origin: hub.url, body: account })
    expect(res.status).toBe(403)
    expect(res.body).toMatchObject({ error: 'csrf_refused', message: expect.stringContaining('x-csrf-token') })
    const wrong = await call('POST', '/api/accounts', { cookie, csrf: 'guessed', origin: hub.url, body: account })
    expect(wrong.status).toBe(403)
  })

  it('are refused from another site even with the token', async () => {
    const { cookie, csrf } = await signIn(ADMIN_KEY)
    const origin = await call('POST', '/api/accounts', { cookie, csrf, origin: 'https://evil.example', body: account })
    expect(origin.status).toBe(403)
    expect(origin.body.error).toBe('cross_site_refused')
    const site = await call('POST', '/api/accounts', { cookie, csrf, site: 'cross-site', body: account })
    expect(site.status).toBe(403)
    expect(site.body.message).toMatch(/cross-site/)
    const before = (await hub.api('GET', '/api/accounts?limit=500')).body.items.filter((a: { name: string }) => a.name === account.name).length
    expect(before).toBe(1) // only the same-origin one above
  })

  it('reads need no token; a key in the header needs none either', async () => {
    const { cookie } = await signIn(ADMIN_KEY)
    expect((await call('GET', '/api/accounts', { cookie, site: 'cross-site' })).status).toBe(200)
    expect((await call('POST', '/api/accounts', { key: ADMIN_KEY, body: { name: 'Key family' } })).status).toBe(201)
  })
})

describe('security headers', () => {
  it('the UI and the API send a CSP without inline scripts, no framing, nosniff, and no CORS headers', async () => {
    for (const path of ['/', '/api/patients', '/patients/some-page']) {
      const res = await fetch(`${hub.url}${path}`, { headers: { accept: 'text/html', authorization: `Bearer ${ADMIN_KEY}`, origin: 'https://evil.example' } })
      const csp = res.headers.get('content-security-policy') ?? ''
      expect(csp).toContain("script-src 'self'")
      expect(csp).toContain("frame-ancestors 'none'")
      expect(csp).not.toContain('unsafe-inline')
      expect(csp).not.toContain('unsafe-eval')
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
      expect(res.headers.get('x-frame-options')).toBe('DENY')
      expect(res.headers.get('access-control-allow-origin')).toBeNull()
      await res.body?.cancel()
    }
  })

  it('serves the UI page at any UI address, and JSON 404s under /api', async () => {
    const page = await fetch(`${hub.url}/connections/anything`, { headers: { accept: 'text/html' } })
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toMatch(/text\/html/)
    expect(page.headers.get('cache-control')).toBe('no-cache')
    const html = await page.text()
    expect(html).toMatch(/<script type="module"[^>]* src="\/assets\/[^"]+\.js"><\/script>/)
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/) // no inline script
    const asset = html.match(/src="(\/assets\/[^"]+\.js)"/)![1]!
    const js = await fetch(`${hub.url}${asset}`)
    expect(js.headers.get('cache-control')).toContain('immutable')
    await js.body?.cancel()
    const missing = await fetch(`${hub.url}/api/nothing-here`, { headers: { accept: 'text/html', authorization: `Bearer ${ADMIN_KEY}` } })
    expect(missing.status).toBe(404)
    expect(await missing.json()).toMatchObject({ error: 'not_found' })
  })
})

describe('what the UI reads', () => {
  it('lists CRM values no value map translates yet, until they are mapped', async () => {
    const connectionId = (await hub.api('GET', '/api/connections')).body.items[0].id
    const account = await hub.api('POST', '/api/accounts', {
      name: 'Unmapped family',
      insurances: [
        { payerCode: 'ZZZ01', memberId: 'M1', priority: 'primary', subscriber: { relationship: 'self' } },
        { payerCode: 'ZZZ02', memberId: 'M2', priority: 'secondary' },
      ],
    })
    await hub.api('POST', '/api/accounts', { name: 'Unmapped family 2', insurances: [{ payerCode: 'ZZZ01', memberId: 'M3', priority: 'primary' }] })
    await hub.api('POST', '/api/patients', { firstName: 'Una', lastName: 'Mapped', accountId: account.body.id, customFields: { pronouns: 'she/her' } })

    const before = (await hub.api('GET', `/api/connections/${connectionId}/unmapped-values`)).body.items
    expect(before).toEqual(
      expect.arrayContaining([
        { valueMap: 'payerCode', source: 'account.insurances.payerCode', value: 'ZZZ01', count: 2 },
        { valueMap: 'payerCode', source: 'account.insurances.payerCode', value: 'ZZZ02', count: 1 },
      ]),
    )
    // `self` is in Ritten's default relationship map: it is translated, so not listed.
    expect(before.find((v: { valueMap: string }) => v.valueMap === 'relationship')).toBeUndefined()

    const payer = RITTEN_SEEDED_PAYERS[0]!.id
    expect((await hub.api('PUT', `/api/connections/${connectionId}/mappings`, { valueMaps: { payerCode: { ZZZ01: payer } } })).status).toBe(200)
    const after = (await hub.api('GET', `/api/connections/${connectionId}/unmapped-values`)).body.items
    expect(after.map((v: { value: string }) => v.value)).toContain('ZZZ02')
    expect(after.map((v: { value: string }) => v.value)).not.toContain('ZZZ01')

    const fields = (await hub.api('GET', '/api/crm-fields', undefined, staffKey)).body
    expect(fields.fields).toContain('address.city')
    expect(fields.customFields).toContain('customFields.pronouns')
    expect(fields.picklists.gender).toEqual(['male', 'female', 'other', 'unknown'])
  })

  it("reports each connection's health and the log over time", async () => {
    const connectionId = (await hub.api('GET', '/api/connections')).body.items[0].id
    const patient = await hub.api('POST', '/api/patients', { firstName: 'Hana', lastName: 'Health', dob: '1990-01-02' })
    await waitFor('linked', async () => (await hub.api('GET', `/api/patients/${patient.body.id}`)).body.links[0]?.state === 'linked')
    // The link turns linked a moment before its job is settled: wait for the queue to empty.
    const health = await waitFor('the queue to empty', async () => {
      const h = (await hub.api('GET', '/api/connection-health', undefined, staffKey)).body.items.find((i: { connectionId: string }) => i.connectionId === connectionId)
      return h && h.queue.queued + h.queue.running + h.queue.retrying === 0 ? h : undefined
    })
    expect(health).toMatchObject({ failuresLastHour: 0, queue: { queued: 0, running: 0, retrying: 0 }, lastPull: null })
    expect(health.links.linked).toBeGreaterThanOrEqual(1)
    expect(Date.parse(health.lastSuccessAt)).toBeGreaterThan(Date.now() - 60_000)
    expect(health.exchangesLastHour).toBeGreaterThanOrEqual(2)

    const timeline = (await hub.api('GET', `/api/exchange-timeline?connectionId=${connectionId}&hours=2&bucketMinutes=30`)).body
    expect(timeline.bucketMinutes).toBe(30)
    const ok = timeline.items.reduce((n: number, b: { ok: number }) => n + b.ok, 0)
    expect(ok).toBe(health.exchangesLastHour - health.failuresLastHour)
    expect((await hub.api('GET', '/api/exchange-timeline?hours=0')).status).toBe(400)
  })

  it('filters the log by direction and time', async () => {
    const all = (await hub.api('GET', '/api/exchanges?limit=500')).body.items
    expect(all.length).toBeGreaterThan(0)
    expect((await hub.api('GET', '/api/exchanges?direction=inbound')).body.items).toEqual([])
    expect((await hub.api('GET', '/api/exchanges?direction=outbound&limit=500')).body.items.length).toBe(all.length)
    const future = new Date(Date.now() + 3_600_000).toISOString()
    expect((await hub.api('GET', `/api/exchanges?since=${encodeURIComponent(future)}`)).body.items).toEqual([])
    expect((await hub.api('GET', `/api/exchanges?until=${encodeURIComponent(future)}&limit=500`)).body.items.length).toBe(all.length)
    const bad = await hub.api('GET', '/api/exchanges?since=yesterday')
    expect(bad.status).toBe(400)
    expect(bad.body.message).toMatch(/since/)
  })
})
