import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRittenSimulator, type RittenSimulator } from '../simulators/ritten/server.js'
import { createTestDatabase, startHub, waitFor, type RunningHub } from './harness.js'
import { connectRitten } from './rittenHelpers.js'

/**
 * F27: one API process and several worker processes on one PostgreSQL database. Only on
 * PostgreSQL (TEST_DATABASE_URL): the embedded database serves a single process by design.
 */
const onPostgres = Boolean(process.env.TEST_DATABASE_URL)
let database: Awaited<ReturnType<typeof createTestDatabase>>
let sim: RittenSimulator
let simUrl: string
const processes: RunningHub[] = []

beforeAll(async () => {
  if (!onPostgres) return
  sim = createRittenSimulator()
  simUrl = await sim.listen(0)
  database = await createTestDatabase()
  const api = await startHub({ databaseUrl: database!.url, role: 'api' })
  processes.push(api)
  // Two workers with several concurrent jobs each: every job may be taken by anyone.
  for (let i = 0; i < 2; i++) processes.push(await startHub({ databaseUrl: database!.url, role: 'worker', env: { CAREBRIDGE_WORKER_CONCURRENCY: '4' } }))
})

afterAll(async () => {
  for (const p of processes) await p.stop()
  await sim?.close()
  await database?.drop()
})

describe.skipIf(!onPostgres)('several worker processes on PostgreSQL', () => {
  it('share the queue, the token and the record locks: each patient is created once', async () => {
    const api = processes[0]!
    await connectRitten(api, simUrl)
    const ids: string[] = []
    for (let i = 0; i < 40; i++) {
      const { body } = await api.api('POST', '/api/patients', { firstName: 'Worker', lastName: `Shared${i}`, dob: '1980-01-01' })
      ids.push(body.id)
      // Updates racing the first push: a second job of the same record must never run beside it.
      if (i % 4 === 0) await api.api('PATCH', `/api/patients/${body.id}`, { phone: '913-555-0101' })
    }
    await waitFor(
      'every patient linked',
      async () => {
        for (const id of ids) if ((await api.api('GET', `/api/patients/${id}`)).body.links[0]?.state !== 'linked') return false
        return true
      },
      60_000,
    )
    const records = await (await fetch(`${new URL(simUrl).origin}/_sim/records`)).json()
    for (const id of ids) expect(records.patients.filter((p: { externalId: string }) => p.externalId === id)).toHaveLength(1)
    expect(records.tokens.mints).toBe(1)
    // No job was left behind or failed by a race between processes. A link turns linked after
    // the first push; an update queued behind it may still be running then, so wait for it.
    const listJobs = async () => (await api.api('GET', '/api/jobs?limit=500&kind=push_patient')).body.items as { id: string; state: string; lastError: unknown }[]
    await waitFor('every push job settled', async () => (await listJobs()).every((j) => !['queued', 'running', 'retrying'].includes(j.state)), 60_000)
    const unsettled = (await listJobs()).filter((j) => j.state !== 'succeeded')
    expect(unsettled).toEqual([])

    // The API process runs no housekeeping, yet its /metrics shows the shared queue as it is now:
    // the connection's series, drained to 0 (read at the scrape, not kept from a worker's loop).
    const connectionId = (await api.api('GET', '/api/connections')).body.items[0].id
    const metrics = await (await fetch(`${api.url}/metrics`)).text()
    for (const state of ['queued', 'running', 'retrying'])
      expect(metrics).toMatch(new RegExp(`^carebridge_connection_queue_depth\\{connection="${connectionId}",connector="ritten",state="${state}"\\} 0$`, 'm'))
    expect(metrics).toMatch(new RegExp(`^carebridge_connection_oldest_job_age_seconds\\{connection="${connectionId}",connector="ritten"\\} 0$`, 'm'))
  })
})
