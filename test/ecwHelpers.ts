import type { BulkOptions } from '../simulators/ecw/bulk.js'
import { createEcwSimulator, type EcwSimulator } from '../simulators/ecw/server.js'
import { createTestKey, requestToken, serveJwks, signClientAssertion, type JwksServer } from '../simulators/ecw/testing.js'
import { DEFAULT_ECW_SCOPES } from '../src/connectors/ecw/client.js'
import type { RunningHub } from './harness.js'

export const PRACTICE = 'FFBJCD'

/** One call the simulator received; `body` is the JSON a write carried. */
export interface SimRequest {
  /** When the call reached the simulator (ISO time). */
  at: string
  method: string
  path: string
  status: number | null
  fault?: string
  body?: unknown
}

/** The ECW simulator plus a direct FHIR client of its own, to look and change things "inside ECW". */
export interface EcwWorld {
  sim: EcwSimulator
  base: string
  /** Calls the practice's FHIR API as a separate ECW user (not the hub). */
  fhir(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>
  /** POSTs to one of the simulator's /_sim controls (settings, clock, paging-faults, tokens/revoke, faults…). */
  control(path: string, body: unknown): Promise<{ status: number; body: any }>
  /** The simulator's request log (/_sim/requests). */
  requests(): Promise<SimRequest[]>
  /** The writes (POST, PUT) that carried CRM patient `crmId` (our identifier in the body). */
  writesCarrying(crmId: string): Promise<SimRequest[]>
  close(): Promise<void>
}

export async function startEcw(options: { ratePerMinute?: number; demo?: boolean; clockOffsetMs?: number; bulk?: BulkOptions } = {}): Promise<EcwWorld> {
  // Bulk exports are ready after a second by default (ECW's own take minutes).
  const bulk = { exportMs: 1_000, ...options.bulk }
  const sim = createEcwSimulator({
    practices: [{ code: PRACTICE, clients: [] }],
    demo: options.demo ?? true,
    bulk,
    ...(options.ratePerMinute ? { ratePerMinute: options.ratePerMinute } : {}),
    ...(options.clockOffsetMs ? { clockOffsetMs: options.clockOffsetMs } : {}),
  })
  await sim.listen(0)
  await sim.ready
  const base = sim.baseUrl(PRACTICE)
  const key = await createTestKey()
  const jwks: JwksServer = await serveJwks([key.publicJwk])
  const staffScopes = 'system/Patient.rs system/Patient.c system/Patient.u'
  sim.registerClient(PRACTICE, { clientId: 'ecw-staff', jwksUrl: jwks.url, scopes: staffScopes.split(' ') })
  const origin = new URL(base).origin
  let token: string | null = null
  const tokenUrl = `${base}/oauth/oauth2/token`
  const requests = async () => ((await (await fetch(`${origin}/_sim/requests`)).json()) as { items: SimRequest[] }).items
  return {
    sim,
    base,
    async fhir(method, path, body) {
      const send = async () => {
        if (!token) {
          const assertion = await signClientAssertion({ key, clientId: 'ecw-staff', aud: tokenUrl })
          const res = await requestToken(tokenUrl, assertion, staffScopes)
          if (res.status !== 200) throw new Error(`test client token: ${JSON.stringify(res.body)}`)
          token = String(res.body.access_token)
        }
        return fetch(`${base}${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, accept: 'application/fhir+json', ...(body ? { 'content-type': 'application/fhir+json' } : {}) },
          body: body ? JSON.stringify(body) : undefined,
        })
      }
      let res = await send()
      if (res.status === 401) {
        // Revoked or expired (tests revoke tokens): a fresh one.
        token = null
        res = await send()
      }
      return { status: res.status, body: await res.json().catch(() => null) }
    },
    async control(path, body) {
      const res = await fetch(`${origin}/_sim/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      return { status: res.status, body: await res.json().catch(() => null) }
    },
    requests,
    async writesCarrying(crmId) {
      // Our identifier is the CRM id (urn:oid:…|<id>): a write carrying it names the patient.
      return (await requests()).filter((r) => r.method !== 'GET' && JSON.stringify(r.body ?? null).includes(`"${crmId}"`))
    },
    async close() {
      await sim.close()
      await jwks.close()
    },
  }
}

/** Adds an ECW connection through the API and allow-lists the hub's JWKS URL at the simulator, as ECW's staff would. */
export async function connectEcw(hub: RunningHub, world: EcwWorld, options: { clientId?: string; settings?: Record<string, unknown>; allowList?: boolean } = {}) {
  const clientId = options.clientId ?? `hub-${Math.random().toString(36).slice(2, 8)}`
  const created = await hub.api('POST', '/api/connections', {
    connector: 'ecw',
    name: `ECW ${clientId}`,
    baseUrl: world.base,
    settings: { clientId, ...options.settings },
  })
  if (created.status !== 201) throw new Error(`connection: ${JSON.stringify(created.body)}`)
  if (options.allowList !== false) {
    world.sim.registerClient(PRACTICE, { clientId, jwksUrl: `${hub.url}${created.body.jwksPath}`, scopes: DEFAULT_ECW_SCOPES.split(' ') })
  }
  return created.body as { id: string; jwksPath: string }
}
