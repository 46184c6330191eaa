import { execFileSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import pg from 'pg'
import { createRittenSimulator, DEMO_RITTEN, type RittenSimulator } from '../simulators/ritten/server.js'
import { createTestDatabase, startHub, waitFor, type RunningHub } from './harness.js'
import { connectRitten } from './rittenHelpers.js'

/** What survives a crash and a restart: queued work, step progress, records, links, the log. */
let sim: RittenSimulator
let simUrl: string
let database: Awaited<ReturnType<typeof createTestDatabase>>
let hub: RunningHub

const simControl = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${new URL(simUrl).origin}${path}`, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined })
  return res.json()
}

beforeAll(async () => {
  sim = createRittenSimulator()
  simUrl = await sim.listen(0)
  database = await createTestDatabase()
  hub = await startHub({ databaseUrl: database?.url })
  await connectRitten(hub, simUrl)

})

afterAll(async () => {
  await hub?.stop()
  await sim?.close()
  await database?.drop()
})

const restart = async () => startHub({ dataDir: hub.dataDir, databaseUrl: hub.databaseUrl })

describe('durability', () => {
  it('resumes with the PATCH only when the process dies between create and PATCH', async () => {
    // The PATCH hangs at Ritten, so the hub is killed with the create done and the PATCH in flight.
    await simControl('POST', '/_sim/faults', { latencyMs: 60_000, match: '^PATCH /v1/patients/' })
    const { body: patient } = await hub.api('POST', '/api/patients', { firstName: 'Kim', lastName: 'Crash', dob: '1985-07-14' })
    await waitFor('the PATCH to be in flight', async () => {
      const { items } = await simControl('GET', '/_sim/requests')
      return items.some((r: { method: string }) => r.method === 'PATCH')
    })
    await hub.kill()
    await simControl('DELETE', '/_sim/faults')

    hub = await restart()
    const linked = await waitFor(
      'the link to be linked after the restart',
      async () => {
        const { body } = await hub.api('GET', `/api/patients/${patient.id}`)
        return body.links[0]?.state === 'linked' ? body.links[0] : undefined
      },
      45_000,
    )
    const { items } = await simControl('GET', '/_sim/requests')
    const calls = items.map((r: { method: string; path: string }) => `${r.method} ${r.path.replace(/[0-9a-f-]{36}/g, ':id')}`)
    expect(calls.filter((c: string) => c === 'POST /v1/patients')).toHaveLength(1)
    expect(calls.filter((c: string) => c === 'PATCH /v1/patients/:id')).toHaveLength(2)
    // The create was known to be done: no lookup was needed.
    expect(calls.filter((c: string) => c.startsWith('GET /v1/patients/external'))).toHaveLength(0)
    const records = await simControl('GET', '/_sim/records')
    expect(records.patients.filter((p: { externalId: string }) => p.externalId === patient.id)).toEqual([expect.objectContaining({ id: linked.externalId })])
  })

  it('keeps every record, link and exchange across a restart', async () => {
    const account = (await hub.api('POST', '/api/accounts', { name: 'Kept family', insurances: [{ payerCode: 'AET01', memberId: 'M-1' }] })).body
    const { body: patient } = await hub.api('POST', '/api/patients', { firstName: 'Lee', lastName: 'Kept', accountId: account.id, customFields: { intakeSource: 'web' } })
    await waitFor('linked', async () => (await hub.api('GET', `/api/patients/${patient.id}`)).body.links[0]?.state === 'linked')
    const before = (await hub.api('GET', `/api/patients/${patient.id}`)).body
    const exchangesBefore = (await hub.api('GET', `/api/exchanges?patientId=${patient.id}`)).body.items
    await hub.stop()

    hub = await restart()
    const after = (await hub.api('GET', `/api/patients/${patient.id}`)).body
    expect(after).toEqual(before)
    expect((await hub.api('GET', `/api/accounts/${account.id}`)).body.insurances).toEqual([expect.objectContaining({ payerCode: 'AET01', memberId: 'M-1' })])
    expect((await hub.api('GET', `/api/exchanges?patientId=${patient.id}`)).body.items).toEqual(exchangesBefore)
  })

  it('stores connection credentials encrypted', async () => {
    await hub.stop()
    if (database) {
      const client = new pg.Client({ connectionString: database.url })
      await client.connect()
      const { rows } = await client.query('select secrets from connections')
      await client.end()
      expect(rows.length).toBeGreaterThan(0)
      for (const row of rows) expect(row.secrets).toMatch(/^v1:/)
      expect(JSON.stringify(rows)).not.toContain(DEMO_RITTEN.clientSecret)
    } else {
      // Nothing in the embedded database's files holds the secret in clear.
      const found = (() => {
        try {
          return execFileSync('grep', ['-rl', DEMO_RITTEN.clientSecret, hub.dataDir]).toString()
        } catch {
          return ''
        }
      })()
      expect(found).toBe('')
    }
    hub = await restart()
  })

  it('refuses a second process on the same embedded data directory', async () => {
    if (database) return
    await expect(startHub({ dataDir: hub.dataDir })).rejects.toThrow(/is in use by process/)
  })
})
