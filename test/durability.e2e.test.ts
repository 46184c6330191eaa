import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import pg from 'pg'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createEcwSimulator, type EcwSimulator } from '../simulators/ecw/server.js'
import { createRittenSimulator, DEMO_RITTEN, type RittenSimulator } from '../simulators/ritten/server.js'
import { SecretBox } from '../src/security/secrets.js'
import { connectEcw, PRACTICE, type EcwWorld } from './ecwHelpers.js'
import { ADMIN_KEY, createTestDatabase, startHub, TEST_SECRET_KEY, WAIT, waitFor, type RunningHub } from './harness.js'
import { registeredSecrets, registerSecret } from './secretScan.js'
import { connectRitten } from './rittenHelpers.js'

/**
 * What survives a crash and a restart: queued work, step progress, records, links, the log — and
 * what never reaches the disk or the log in clear: every secret the hub holds or handles. Each
 * test starts from a running hub (restarted if an earlier one ended it), so any one runs alone.
 */
const onPostgres = Boolean(process.env.TEST_DATABASE_URL)
let sim: RittenSimulator
let simUrl: string
let database: Awaited<ReturnType<typeof createTestDatabase>>
let hub: RunningHub
/** Every hub process of this file. */
const hubs: RunningHub[] = []
/** Every access token, client assertion and secret seen on the wire to the simulators. */
const onTheWire = { rittenTokens: new Set<string>(), ecwTokens: new Set<string>(), ecwAssertions: new Set<string>() }

/**
 * A crash must come while calls are in flight: the hub waits a minute for an answer here (not the
 * harness's 3 s), so a held answer is still awaited when the process dies. Logs at their most verbose.
 */
const HUB_ENV = { CAREBRIDGE_HTTP_TIMEOUT_MS: '60000', LOG_LEVEL: 'trace' }

function bearer(header: string | string[] | undefined): string | null {
  const match = /^Bearer\s+(\S+)$/i.exec(String(header ?? ''))
  return match?.[1] ?? null
}

beforeAll(async () => {
  sim = createRittenSimulator()
  sim.app.addHook('onRequest', async (request) => {
    const token = bearer(request.headers.authorization)
    if (token) onTheWire.rittenTokens.add(token)
  })
  simUrl = await sim.listen(0)
  database = await createTestDatabase()
  hub = await startHub({ databaseUrl: database?.url, env: HUB_ENV })
  hubs.push(hub)
  await connectRitten(hub, simUrl)
})

afterAll(async () => {
  await hub?.stop()
  await sim?.close()
  await database?.drop()
})

beforeEach(async () => {
  await simControl('DELETE', '/_sim/faults')
  if (!hub.running()) await restart()
})

async function restart(): Promise<void> {
  hub = await hub.restart()
  hubs.push(hub)
}

const simControl = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${new URL(simUrl).origin}${path}`, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined })
  return res.json()
}

async function simRecords(externalId: string): Promise<{ id: string }[]> {
  return (await simControl('GET', '/_sim/records')).patients.filter((p: { externalId: string }) => p.externalId === externalId)
}

async function simCalls(): Promise<string[]> {
  const { items } = await simControl('GET', '/_sim/requests')
  return items.map((r: { method: string; path: string }) => `${r.method} ${r.path.replace(/[0-9a-f-]{36}/g, ':id')}`)
}

/** A patient's exchanges at Ritten, oldest first, as `operation:status`; the token (the connection's) left out. */
async function operationsOf(patientId: string): Promise<string[]> {
  const { body } = await hub.api('GET', `/api/exchanges?patientId=${patientId}&limit=100`)
  return body.items
    .reverse()
    .filter((e: { operation: string }) => e.operation !== 'token')
    .map((e: { operation: string; httpStatus: number | null }) => `${e.operation}:${e.httpStatus}`)
}

async function linked(patientId: string) {
  return waitFor(
    `patient ${patientId} linked`,
    async () => {
      const { body } = await hub.api('GET', `/api/patients/${patientId}`)
      return body.links[0]?.state === 'linked' ? body.links[0] : undefined
    },
    // After a crash: the dead process's leases (3 s) run out, housekeeping (every 10 s) sends the jobs again.
    WAIT.job + 15_000,
  )
}

describe('durability', () => {
  it('a crash with calls in flight at every step: each push resumes where it was, and Ritten holds each patient once', async () => {
    await simControl('POST', '/_sim/faults', [
      // One create never reaches Ritten's handler…
      { timeoutRate: 1, count: 1, match: '^POST /v1/patients$' },
      // …one is done at once, but its answer is held past the crash…
      { answerDelayMs: 60_000, count: 1, match: '^POST /v1/patients$' },
      // …and one is answered, so that its PATCH is what the crash interrupts.
      { latencyMs: 60_000, match: '^PATCH /v1/patients/' },
    ])
    const callsBefore = (await simCalls()).length
    const patients = await Promise.all(
      ['Hung', 'Held', 'Patched'].map(async (lastName) => (await hub.api('POST', '/api/patients', { firstName: 'Kim', lastName: `Crash${lastName}`, dob: '1985-07-14' })).body),
    )
    await waitFor(
      'three creates and a PATCH in flight',
      async () => {
        const calls = (await simCalls()).slice(callsBefore)
        return calls.filter((c) => c === 'POST /v1/patients').length === 3 && calls.includes('PATCH /v1/patients/:id')
      },
      WAIT.jobs(3),
    )
    await hub.kill()
    // The create whose answer was held is done at Ritten: the hub never learned it.
    await waitFor('the held create to be stored at Ritten', async () => (await simControl('GET', '/_sim/records')).patients.length >= 2, WAIT.job)
    await simControl('DELETE', '/_sim/faults')

    await restart()
    const links = await Promise.all(patients.map((p) => linked(p.id)))
    for (const [i, patient] of patients.entries()) expect(await simRecords(patient.id)).toEqual([expect.objectContaining({ id: links[i].externalId })])
    const calls = (await simCalls()).slice(callsBefore)
    // Three creates before the crash, and after it only the one that never reached Ritten.
    expect(calls.filter((c) => c === 'POST /v1/patients')).toHaveLength(4)

    // Each push resumed from the step it had reached; the log holds what the dead process never stored.
    const resumed = (await Promise.all(patients.map((p) => operationsOf(p.id)))).map((ops) => ops.filter((o) => !o.startsWith('read:')))
    expect(resumed).toEqual(
      expect.arrayContaining([
        // Never reached Ritten: looked up (not there), then created.
        ['lookup:404', 'create:200', 'patch:200'],
        // Done, answer lost in the crash: found by our id, never created again.
        ['lookup:200', 'patch:200'],
        // Created before the crash: no lookup, the PATCH again.
        ['create:200', 'patch:200'],
      ]),
    )
    // A kill and a start of the hub, then every push settled: sized for a busy machine, or the hub it started outlives the test.
  }, WAIT.start + WAIT.jobs(10))

  it('keeps every record, link and exchange across a restart', async () => {
    const account = (await hub.api('POST', '/api/accounts', { name: 'Kept family', insurances: [{ payerCode: 'AET01', memberId: 'M-1' }] })).body
    const { body: patient } = await hub.api('POST', '/api/patients', { firstName: 'Lee', lastName: 'Kept', accountId: account.id, customFields: { intakeSource: 'web' } })
    // Linked and its push finished: the link is 'linked' after Ritten's create, before the PATCH step records the version it sent.
    await waitFor(
      'linked, its push done',
      async () => {
        const link = (await hub.api('GET', `/api/patients/${patient.id}`)).body.links[0]
        return link?.state === 'linked' && link.syncedVersion !== null
      },
      WAIT.job,
    )
    const before = (await hub.api('GET', `/api/patients/${patient.id}`)).body
    const exchangesBefore = (await hub.api('GET', `/api/exchanges?patientId=${patient.id}`)).body.items

    await restart()
    const after = (await hub.api('GET', `/api/patients/${patient.id}`)).body
    expect(after).toEqual(before)
    expect((await hub.api('GET', `/api/accounts/${account.id}`)).body.insurances).toEqual([expect.objectContaining({ payerCode: 'AET01', memberId: 'M-1' })])
    expect((await hub.api('GET', `/api/exchanges?patientId=${patient.id}`)).body.items).toEqual(exchangesBefore)
  }, WAIT.start + WAIT.job)

  it('keeps every secret out of the database and the logs: credentials, keys, tokens, client assertions, API keys', async () => {
    // Ritten: the client secret, and a token minted and used.
    const canary = `Canary${Date.now().toString(36)}`
    const { body: patient } = await hub.api('POST', '/api/patients', { firstName: 'Sam', lastName: canary, dob: '1979-03-02' })
    await linked(patient.id)
    // ECW: the hub's private key, client assertions and tokens (the connection tested, not pushing).
    const ecw = await ecwWithWireTap()
    try {
      const connection = await connectEcw(hub, ecw, { settings: {} })
      expect((await hub.api('PATCH', `/api/connections/${connection.id}`, { enabled: false })).status).toBe(200)
      const tested = await hub.api('POST', `/api/connections/${connection.id}/test`)
      expect(tested.body, JSON.stringify(tested.body)).toMatchObject({ ok: true })
      // API keys: one made here and used, and the admin key.
      const staff = (await hub.api('POST', '/api/keys', { name: 'scan', role: 'staff' })).body
      expect((await hub.api('GET', '/api/patients?limit=1', undefined, staff.key)).status).toBe(200)
      // What only this suite sees, on the wire to the simulators, joins what the harness registers itself.
      for (const token of onTheWire.rittenTokens) registerSecret('a Ritten access token seen on the wire', token)
      for (const token of onTheWire.ecwTokens) registerSecret('an ECW access token seen on the wire', token)
      for (const jwt of onTheWire.ecwAssertions) {
        registerSecret('an ECW client assertion seen on the wire', jwt)
        registerSecret("an ECW client assertion's signature", jwt.split('.')[2])
      }
      registerSecret('an API key made in the test', staff.key)
      // A scan that found nothing to look for proves nothing.
      for (const [what, seen] of Object.entries(onTheWire)) expect(seen.size, `no ${what} was seen to scan for`).toBeGreaterThan(0)

      // Stopped (the embedded database's files complete; the next test restarts it): the harness
      // scans this hub's output and every row of its database — the ECW private key and every
      // token and credential the connections hold included — and fails the stop on a hit.
      await hub.stop({ keepData: true })
      const stored = await readEveryRow()
      expect(stored.text, 'the test patient was stored').toContain(canary)
      const sealed = stored.secretsOf.get(connection.id)
      expect(sealed, 'the ECW connection holds its sealed credentials').toMatch(/^v1:/)
      const privateKey = new SecretBox(Buffer.from(TEST_SECRET_KEY, 'hex')).openJson<{ privateKeyJwk: Record<string, string> }>(sealed!).privateKeyJwk
      expect(registeredSecrets(), "the scan looked for the ECW private key's members").toEqual(expect.arrayContaining([privateKey.d, privateKey.p, privateKey.q]))
      expect(registeredSecrets()).toEqual(expect.arrayContaining([DEMO_RITTEN.clientSecret, ADMIN_KEY, TEST_SECRET_KEY, staff.key]))

      // Beyond the tables: the embedded database's files, write-ahead log included, hold none in clear either.
      if (!onPostgres) {
        const files = readTree(hub.dataDir)
        expect(files.bytes.length, 'the embedded database files').toBeGreaterThan(1_000_000)
        expect(files.bytes.includes(canary), 'the canary is in the embedded database files').toBe(true)
        const inFiles = registeredSecrets().filter((value) => files.bytes.includes(value))
        expect(inFiles.length, 'registered secrets found in the embedded database files').toBe(0)
      }
      // Nor does PHI reach the logs (they never carry bodies): the harness's scan looked for the patient's name, sent through the API.
      expect(hubs.some((h) => h.output().includes(canary))).toBe(false)
    } finally {
      await ecw.close()
    }
  })

  it.skipIf(onPostgres)('refuses a second process on the same embedded data directory', async () => {
    await expect(startHub({ dataDir: hub.dataDir })).rejects.toThrow(/is in use by process/)
    expect(hub.running()).toBe(true)
  })
})

/** An ECW simulator whose every request's Bearer token and client assertion are noted. */
async function ecwWithWireTap(): Promise<EcwWorld> {
  const ecwSim: EcwSimulator = createEcwSimulator({ practices: [{ code: PRACTICE, clients: [] }], demo: false })
  ecwSim.app.addHook('preHandler', async (request) => {
    const token = bearer(request.headers.authorization)
    if (token) onTheWire.ecwTokens.add(token)
    // The token request's form (parsed as URLSearchParams by this simulator, or as an object).
    const form = request.body
    const assertion = form instanceof URLSearchParams ? form.get('client_assertion') : (form as { client_assertion?: unknown } | undefined)?.client_assertion
    if (typeof assertion === 'string') onTheWire.ecwAssertions.add(assertion)
  })
  ecwSim.app.addHook('onSend', async (request, _reply, payload) => {
    if (request.url.includes('/token') && typeof payload === 'string') {
      const token = (JSON.parse(payload) as { access_token?: string }).access_token
      if (token) onTheWire.ecwTokens.add(token)
    }
    return payload
  })
  await ecwSim.listen(0)
  await ecwSim.ready
  return {
    sim: ecwSim,
    base: ecwSim.baseUrl(PRACTICE),
    fhir: async () => {
      throw new Error('not used here')
    },
    control: async () => {
      throw new Error('not used here')
    },
    requests: async () => {
      throw new Error('not used here')
    },
    writesCarrying: async () => {
      throw new Error('not used here')
    },
    close: () => ecwSim.close(),
  }
}

/** Every row of every table (the hub's and the queue's) as text, from the stopped hub's database. */
async function readEveryRow(): Promise<{ rows: { table: string; text: string }[]; text: string; secretsOf: Map<string, string> }> {
  const listTables = `select table_schema || '.' || table_name as name from information_schema.tables
                      where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')`
  const rows: { table: string; text: string }[] = []
  const secretsOf = new Map<string, string>()
  const read = async (query: <R>(sql: string) => Promise<R[]>) => {
    for (const c of await query<{ id: string; secrets: string | null }>('select id, secrets from connections')) if (c.secrets) secretsOf.set(c.id, c.secrets)
    const tables = (await query<{ name: string }>(listTables)).map((t) => t.name)
    for (const required of ['public.connections', 'public.connection_tokens', 'public.exchanges', 'public.api_keys', 'public.patients']) expect(tables).toContain(required)
    for (const table of tables) {
      const [schema, name] = table.split('.')
      for (const row of await query<{ row: string }>(`select t::text as row from "${schema}"."${name}" t`)) rows.push({ table, text: row.row })
    }
  }
  if (database) {
    const client = new pg.Client({ connectionString: database.url })
    await client.connect()
    try {
      await read(async (sql) => (await client.query(sql)).rows)
    } finally {
      await client.end()
    }
  } else {
    const db = await PGlite.create({ dataDir: join(hub.dataDir, 'pglite') })
    try {
      await read(async <R>(sql: string) => (await db.query<R>(sql)).rows)
    } finally {
      await db.close()
    }
  }
  expect(rows.length).toBeGreaterThan(0)
  return { rows, text: rows.map((r) => r.text).join('\n'), secretsOf }
}

/** Every file under `dir`, concatenated: the embedded database's data, write-ahead log included. */
function readTree(dir: string): { files: number; bytes: Buffer } {
  const buffers: Buffer[] = []
  const walk = (path: string) => {
    for (const name of readdirSync(path)) {
      const full = join(path, name)
      if (statSync(full).isDirectory()) walk(full)
      else buffers.push(readFileSync(full))
    }
  }
  walk(dir)
  return { files: buffers.length, bytes: Buffer.concat(buffers) }
}
