import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRittenSimulator, type RittenSimulator } from '../simulators/ritten/server.js'
import { sleep, startHub, waitFor, type RunningHub } from './harness.js'
import { clusterUnavailableReason, createTestCluster, type TestCluster } from './pgCluster.js'
import { connectRitten } from './rittenHelpers.js'

/**
 * One API and two workers on a PostgreSQL server of the test's own, which is stopped and started
 * mid-run and whose connections are killed: no process exits, the API answers 503 meanwhile, and
 * every patient ends linked and held exactly once by Ritten. PostgreSQL only (TEST_DATABASE_URL),
 * like the other multi-process test: the embedded database serves one process by design.
 */
const onPostgres = Boolean(process.env.TEST_DATABASE_URL)
const cannotRun = clusterUnavailableReason()
if (onPostgres && cannotRun) throw new Error(`The database outage test cannot run here: ${cannotRun}`)

let cluster: TestCluster
let sim: RittenSimulator
let simUrl: string
let db: pg.Pool
const processes: RunningHub[] = []

beforeAll(async () => {
  if (!onPostgres) return
  cluster = await createTestCluster()
  const admin = new pg.Client({ connectionString: cluster.url() })
  await admin.connect()
  await admin.query('create database carebridge')
  await admin.end()
  db = new pg.Pool({ connectionString: cluster.url('carebridge'), max: 2, application_name: 'outage-test' })
  db.on('error', () => undefined)
  sim = createRittenSimulator()
  simUrl = await sim.listen(0)
  // A short lease, so that a job whose worker lost its connection is taken over within seconds.
  const env = { CAREBRIDGE_JOB_LEASE_SECONDS: '5' }
  processes.push(await startHub({ databaseUrl: cluster.url('carebridge'), role: 'api', env }))
  for (let i = 0; i < 2; i++) processes.push(await startHub({ databaseUrl: cluster.url('carebridge'), role: 'worker', env: { ...env, CAREBRIDGE_WORKER_CONCURRENCY: '4' } }))
  await connectRitten(processes[0]!, simUrl)
}, 180_000)

afterAll(async () => {
  for (const p of processes) await p.stop()
  await db?.end().catch(() => undefined)
  await sim?.close()
  await cluster?.destroy()
})

async function createPatients(api: RunningHub, count: number, tag: string): Promise<string[]> {
  const ids: string[] = []
  for (let i = 0; i < count; i += 10) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(10, count - i) }, (_, j) =>
        api.api('POST', '/api/patients', { firstName: 'Outage', lastName: `${tag}${i + j}`, dob: '1979-05-04', phone: '913-555-0100' }),
      ),
    )
    for (const res of batch) {
      expect(res.status, JSON.stringify(res.body)).toBe(201)
      ids.push(res.body.id)
    }
  }
  return ids
}

async function linkedCount(ids: string[]): Promise<number> {
  const { rows } = await db.query(`select count(*)::int as n from links where state = 'linked' and record_id = any($1::uuid[])`, [ids])
  return rows[0].n
}

/** Every patient linked, and Ritten holds each exactly once (counted by our id in its externalId). */
async function expectEachHeldOnce(ids: string[]): Promise<void> {
  await waitFor(`all ${ids.length} patients linked`, async () => (await linkedCount(ids)) === ids.length, 180_000)
  const records = await (await fetch(`${new URL(simUrl).origin}/_sim/records`)).json()
  const held = new Map<string, number>()
  for (const p of records.patients as { externalId: string }[]) held.set(p.externalId, (held.get(p.externalId) ?? 0) + 1)
  expect(ids.filter((id) => held.get(id) !== 1)).toEqual([])
  const { rows } = await db.query(
    `select state, count(*)::int as n from sync_jobs where record_id = any($1::uuid[]) and state in ('failed', 'needs_attention') group by state`,
    [ids],
  )
  expect(rows).toEqual([])
}

function expectAllRunning(): void {
  for (const p of processes) {
    expect(p.running(), `a hub process exited:\n${p.output().slice(-3000)}`).toBe(true)
    expect(p.output()).not.toMatch(/Unhandled 'error' event|carebridge stops/)
  }
}

describe.skipIf(!onPostgres)('the database goes away mid-run', () => {
  it('keeps every process running, answers 503 meanwhile, and links every patient once', async () => {
    const api = processes[0]!
    const ids = await createPatients(api, 300, 'Restart')
    await waitFor('some pushes done', async () => (await linkedCount(ids)) >= 20, 60_000)
    expect(await linkedCount(ids)).toBeLessThan(ids.length)

    await cluster.stop()
    const downAt = Date.now()
    // Every /api request is answered 503 with Retry-After, promptly; readiness says why, liveness stays up.
    const during = await fetch(`${api.url}/api/patients?limit=5`, { headers: { authorization: 'Bearer test-admin-key-0123456789' }, signal: AbortSignal.timeout(8000) })
    expect(during.status).toBe(503)
    expect(during.headers.get('retry-after')).toMatch(/^\d+$/)
    expect(await during.json()).toMatchObject({ error: 'database_unavailable', message: expect.any(String) })
    const again = await fetch(`${api.url}/api/patients/${ids[0]}`, { headers: { authorization: 'Bearer test-admin-key-0123456789' }, signal: AbortSignal.timeout(2000) })
    expect(again.status).toBe(503)
    expect((await fetch(`${api.url}/health`, { signal: AbortSignal.timeout(5000) })).status).toBe(503)
    expect((await fetch(`${api.url}/health/ready`, { signal: AbortSignal.timeout(5000) })).status).toBe(503)
    expect((await fetch(`${api.url}/health/live`, { signal: AbortSignal.timeout(2000) })).status).toBe(200)
    await sleep(Math.max(0, 5000 - (Date.now() - downAt)))
    expectAllRunning()
    await cluster.start()

    await waitFor('the API ready again', async () => (await fetch(`${api.url}/health`)).status === 200, 30_000)
    await expectEachHeldOnce(ids)
    expectAllRunning()
    // The outage is logged once per process, not as a stack per request or job.
    for (const p of processes) expect(p.output().match(/database unreachable/g)?.length ?? 0).toBeLessThanOrEqual(3)
    expect(processes[0]!.output()).not.toMatch(/request failed/)
  }, 300_000)

  it('resumes jobs whose database connections are killed while they run', async () => {
    const api = processes[0]!
    const ids = await createPatients(api, 120, 'Killed')
    let killed = 0
    // Kill every connection of the hub's processes (pool and queue) again and again while pushes run.
    for (let i = 0; i < 30 && (await linkedCount(ids).catch(() => 0)) < ids.length; i++) {
      killed += await cluster.terminateConnections('carebridge')
      await sleep(150)
    }
    expect(killed).toBeGreaterThan(0)
    await expectEachHeldOnce(ids)
    expectAllRunning()
  }, 300_000)
})
