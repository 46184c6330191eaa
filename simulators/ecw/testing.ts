/**
 * Helpers for tests that talk to the ECW simulator as a SMART Backend Services client: an RS384
 * key pair, a JWKS served over loopback HTTP, signed client assertions and token requests.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomUUID } from 'node:crypto'
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose'
import { CLIENT_ASSERTION_TYPE } from './auth.js'

export interface TestKey {
  kid: string
  alg: 'RS384' | 'RS256'
  privateKey: CryptoKey
  publicJwk: JWK
}

export async function createTestKey(kid = `key-${randomUUID()}`, alg: 'RS384' | 'RS256' = 'RS384'): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }
  return { kid, alg, privateKey, publicJwk }
}

export interface JwksServer {
  url: string
  /** Replace the served key set. */
  setKeys(keys: JWK[]): void
  /** How many times the JWKS was fetched. */
  hits(): number
  close(): Promise<void>
}

/** Serves `{keys}` at http://127.0.0.1:{port}/jwks.json. */
export async function serveJwks(keys: JWK[]): Promise<JwksServer> {
  let current = keys
  let hits = 0
  const server: Server = createServer((request, response) => {
    if (request.url !== '/jwks.json') {
      response.writeHead(404).end()
      return
    }
    hits += 1
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: current }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/jwks.json`,
    setKeys: (next) => {
      current = next
    },
    hits: () => hits,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

export interface AssertionOptions {
  key: TestKey
  clientId: string
  /** The token URL. */
  aud: string
  iss?: string
  sub?: string
  kid?: string
  jti?: string
  /** Seconds from `now` until exp (default 240). */
  expiresIn?: number
  /** Omit exp entirely. */
  noExp?: boolean
  /** Clock in ms (default Date.now()). */
  now?: number
  jku?: string
}

export async function signClientAssertion(options: AssertionOptions): Promise<string> {
  const nowSeconds = Math.floor((options.now ?? Date.now()) / 1000)
  const jwt = new SignJWT({})
    .setProtectedHeader({ alg: options.key.alg, kid: options.kid ?? options.key.kid, typ: 'JWT', ...(options.jku ? { jku: options.jku } : {}) })
    .setIssuer(options.iss ?? options.clientId)
    .setSubject(options.sub ?? options.clientId)
    .setAudience(options.aud)
    .setJti(options.jti ?? randomUUID())
    .setIssuedAt(nowSeconds)
  if (!options.noExp) jwt.setExpirationTime(nowSeconds + (options.expiresIn ?? 240))
  return jwt.sign(options.key.privateKey)
}

/** POSTs a client_credentials token request; returns status and parsed body. */
export async function requestToken(tokenUrl: string, assertion: string, scope: string): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      scope,
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: assertion,
    }).toString(),
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers }
}
