import { describe, expect, it } from 'vitest'
import type { TokenStore } from '../connector.js'
import type { HttpRequest, HttpResponse } from '../http.js'
import { rittenCall, type RittenContext } from './client.js'

const NOW = Date.parse('2026-03-02T09:00:00Z')

/**
 * A token store with the engine's semantics (a cached token is used while it has `minValidityMs`
 * left, else `mint` runs; `clear(ifToken)` forgets only that token), in memory.
 */
function memoryTokens(now: () => number) {
  let cached: { token: string; expiresAt: number } | null = null
  const cleared: (string | undefined)[] = []
  const store: TokenStore = {
    async get(mint, minValidityMs = 60_000) {
      if (cached && cached.expiresAt - now() >= minValidityMs) return cached.token
      const minted = await mint()
      cached = { token: minted.token, expiresAt: minted.expiresAt.getTime() }
      return minted.token
    },
    async clear(ifToken) {
      cleared.push(ifToken)
      if (ifToken === undefined || cached?.token === ifToken) cached = null
    },
  }
  return { store, cleared, cached: () => cached, put: (token: string, expiresAt: number) => (cached = { token, expiresAt }) }
}

/** A Ritten that answers the token endpoint from `tokens` (in order) and the API with `api`. */
function fakeRitten(tokens: { access_token: string; expires_in: number }[], api: (request: HttpRequest) => number) {
  let clock = NOW
  const sent: HttpRequest[] = []
  const memory = memoryTokens(() => clock)
  const answer = (status: number, json: unknown): HttpResponse => ({ status, headers: new Headers(), text: JSON.stringify(json), json, exchangeId: `x${sent.length}` })
  const ctx: RittenContext = {
    connection: {
      id: 'c1',
      name: 'Ritten',
      baseUrl: 'https://api.ritten.io/v1/',
      settings: { clientId: 'client', tenant: 'ritclinic', audience: 'https://external-api.ritten.io' },
      secrets: { clientSecret: 'secret' },
    },
    http: {
      async request(request) {
        sent.push(request)
        if (request.url.endsWith('/oauth/token')) {
          const grant = tokens.shift()
          return grant ? answer(200, { ...grant, token_type: 'Bearer', scope: '' }) : answer(429, { error: 'rate_limit_exceeded' })
        }
        return answer(api(request), {})
      },
      async recordRefusal() {
        return 'refusal'
      },
    },
    tokens: memory.store,
    now: () => new Date(clock),
  }
  return { ctx, sent, memory, advance: (ms: number) => (clock += ms) }
}

const call = (ctx: RittenContext) => rittenCall(ctx, { operation: 'test', method: 'GET', path: '/insurance/payers' })

describe('Ritten calls and tokens', () => {
  it('sends the token and the tenant, and paces the token request like every other call', async () => {
    const ritten = fakeRitten([{ access_token: 't1', expires_in: 86_400 }], () => 200)
    expect((await call(ritten.ctx)).status).toBe(200)
    const [token, api] = ritten.sent
    expect(token).toMatchObject({ operation: 'token', method: 'POST', url: 'https://api.ritten.io/v1/oauth/token' })
    expect(token!.unpaced).toBeUndefined()
    expect(api).toMatchObject({ url: 'https://api.ritten.io/v1/insurance/payers', headers: { authorization: 'Bearer t1', 'x-ritten-tenant': 'ritclinic' } })
  })

  it('uses a token to its end instead of asking before every call near expiry, and takes the same token back from Ritten\u2019s cache', async () => {
    const ritten = fakeRitten(
      [
        { access_token: 't1', expires_in: 86_400 },
        // Asked again (the token expired by the hub's clock a moment before Ritten's): Ritten's
        // cache hands back the same token with what is left of it.
        { access_token: 't1', expires_in: 0 },
        { access_token: 't2', expires_in: 86_400 },
      ],
      () => 200,
    )
    await call(ritten.ctx)
    ritten.advance(86_400_000 - 30_000) // 30 s left
    for (let i = 0; i < 20; i += 1) await call(ritten.ctx)
    expect(ritten.sent.filter((r) => r.operation === 'token')).toHaveLength(1)

    ritten.advance(30_001) // the hub's clock says it has expired
    await call(ritten.ctx)
    await call(ritten.ctx)
    expect(ritten.sent.filter((r) => r.operation === 'token')).toHaveLength(2)
    expect(ritten.sent.at(-1)!.headers!.authorization).toBe('Bearer t1')

    ritten.advance(1_001)
    await call(ritten.ctx)
    expect(ritten.sent.at(-1)!.headers!.authorization).toBe('Bearer t2')
  })

  it('after a 401 forgets only the refused token and tries once more with a fresh one', async () => {
    let refuse = 1
    const ritten = fakeRitten(
      [
        { access_token: 't2', expires_in: 86_400 },
        { access_token: 't3', expires_in: 86_400 },
      ],
      () => (refuse-- > 0 ? 401 : 200),
    )
    ritten.memory.put('t1', NOW + 3_600_000)
    expect((await call(ritten.ctx)).status).toBe(200)
    expect(ritten.memory.cleared).toEqual(['t1'])
    expect(ritten.sent.map((r) => r.headers?.authorization ?? r.operation)).toEqual(['Bearer t1', 'token', 'Bearer t2'])

    // A second 401 in a row is Ritten's answer, not a stale token: no third try.
    refuse = 2
    expect((await call(ritten.ctx)).status).toBe(401)
    expect(ritten.memory.cleared).toEqual(['t1', 't2'])
    expect(ritten.sent.slice(3).map((r) => r.headers?.authorization ?? r.operation)).toEqual(['Bearer t2', 'token', 'Bearer t3'])
  })
})
