import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRittenSimulator, type RittenSimulator } from '../simulators/ritten/server.js'
import { mountSmallDisk, smallDiskUnavailableReason, type SmallDisk } from './diskSpace.js'
import { ADMIN_KEY, startHub, WAIT, waitFor, type RunningHub } from './harness.js'
import { connectRitten } from './rittenHelpers.js'
import { copyDatabaseTemplate } from './template.js'

/**
 * The embedded database runs out of disk while the API takes creates (issue 15, "Faults"): its
 * data directory is a small tmpfs, shrunk to what is in use. Every create is then either answered
 * 201 and there afterwards, or answered 503 (`database_full`, with Retry-After) and absent — never
 * a 500, never a patient without its account or its push job. When space returns the same process
 * serves again, and every acknowledged patient reaches Ritten.
 *
 * The embedded database only: on PostgreSQL the disk is the server's, which the hub does not run
 * (its 53100 takes the same path to a 503, src/api/errors.test.ts).
 */
const onPostgres = Boolean(process.env.TEST_DATABASE_URL)
const cannotMount = onPostgres ? null : smallDiskUnavailableReason()
if (cannotMount) console.log(`disk-full.e2e: skipped, ${cannotMount}`)

/** Room left once the disk is "full": a few pages, used up by the first creates. */
const HEADROOM = 256 * 1024
/** Each create carries ~1.5 kB that does not compress (PostgreSQL would squeeze repeated text into nothing). */
const filler = () => randomBytes(1_100).toString('base64')

let sim: RittenSimulator
let disk: SmallDisk
let hub: RunningHub
let db: pg.Client

beforeAll(async () => {
  if (onPostgres || cannotMount) return
  sim = createRittenSimulator()
  const simUrl = await sim.listen(0)
  disk = mountSmallDisk(1024 * 1024 * 1024)
  const copied = await copyDatabaseTemplate(disk.dir)
  hub = await startHub({ dataDir: disk.dir, freshDatabase: !copied })
  await connectRitten(hub, simUrl)
  // The hub's own database, beside it, to look for half-written records.
  const url = /Database:\s+(postgres:\/\/\S+)/.exec(hub.output())?.[1]
  if (!url) throw new Error(`the hub printed no embedded database address:\n${hub.output()}`)
  db = new pg.Client({ connectionString: url })
  await db.connect()
}, WAIT.start)

afterAll(async () => {
  await db?.end()
  await hub?.stop()
  await sim?.close()
  disk?.remove()
})

interface Attempt {
  lastName: string
  status: number
  error?: string
  retryAfter: string | null
  patientId?: string
  accountId?: string
}

/** One create as an intake form makes it: the parent account, then the patient in it. */
async function createFamily(n: number): Promise<Attempt> {
  const lastName = `Full${n}x${randomBytes(3).toString('hex')}`
  const account = await post('/api/accounts', { name: `${lastName} family`, insurances: [{ payerCode: 'AET01', memberId: `M${n}`, priority: 'primary' }] })
  if (account.status !== 201) return { lastName, ...account }
  const patient = await post('/api/patients', { firstName: 'Disk', lastName, dob: '1990-02-03', accountId: account.body.id, customFields: { intakeNote: filler() } })
  return { lastName, ...patient, accountId: account.body.id, patientId: patient.status === 201 ? patient.body.id : undefined }
}

async function post(path: string, body: unknown): Promise<{ status: number; error?: string; retryAfter: string | null; body: any }> {
  const res = await fetch(`${hub.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const text = await res.text()
  let parsed: any
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw new Error(`${path} answered ${res.status} with a body that is not JSON: ${text.slice(0, 500)}`, { cause: err })
  }
  return { status: res.status, error: parsed?.error, retryAfter: res.headers.get('retry-after'), body: parsed }
}

describe.skipIf(onPostgres || cannotMount)('the embedded database out of disk space', () => {
  it('answers each create 201 (and keeps it whole) or 503 database_full (and keeps none of it), then serves again when space returns', async () => {
    expect((await createFamily(0)).status).toBe(201)
    disk.resize(disk.used() + HEADROOM)

    // Pour creates in (4 callers) until the disk has refused a good many of them.
    const attempts: Attempt[] = []
    let n = 1
    const refused = () => attempts.filter((a) => a.status === 503).length
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (refused() < 40 && n < 3_000) attempts.push(await createFamily(n++))
      }),
    )
    const unexpected = attempts.filter((a) => a.status !== 201 && a.status !== 503)
    expect(unexpected, 'every create is answered 201 or 503').toEqual([])
    expect(refused(), `the disk filled up (${attempts.length} creates tried)`).toBeGreaterThanOrEqual(40)
    for (const a of attempts.filter((x) => x.status === 503)) {
      expect(['database_full', 'database_unavailable', 'database_busy'], JSON.stringify(a)).toContain(a.error)
      expect(a.retryAfter, 'a 503 says when to retry').toMatch(/^\d+$/)
    }
    expect(attempts.filter((a) => a.error === 'database_full').length, 'the full disk is named').toBeGreaterThan(0)
    expect(hub.running(), 'the hub is still running').toBe(true)
    expect(hub.output()).not.toMatch(/"level":(50|60)[^\n]*"request failed"/)

    // Space comes back: the same process takes creates again, without a restart.
    disk.resize(1024 * 1024 * 1024)
    const after = await waitFor('a create accepted once space is back', async () => {
      const a = await createFamily(n++)
      attempts.push(a)
      return a.status === 201 ? a : undefined
    }, WAIT.job)
    expect(after.patientId).toBeTruthy()

    // Nothing half-written: each acknowledged patient is there with its account, its link and its push job; each refused one is absent.
    const stored = await db.query<{ last_name: string; id: string; account_id: string | null; account: string | null; links: number; jobs: number }>(
      `select p.last_name, p.id, p.account_id, a.id as account,
              (select count(*)::int from links l where l.record_type = 'patient' and l.record_id = p.id) as links,
              (select count(*)::int from sync_jobs j where j.kind = 'push_patient' and j.record_id = p.id) as jobs
         from patients p left join accounts a on a.id = p.account_id
        where p.last_name like 'Full%'`,
    )
    const byName = new Map(stored.rows.map((r) => [r.last_name, r]))
    const acknowledged = attempts.filter((a) => a.status === 201)
    for (const a of acknowledged) {
      const row = byName.get(a.lastName)
      expect(row, `acknowledged patient ${a.lastName} is stored`).toBeDefined()
      expect(row!.account, `${a.lastName} has its account`).toBe(a.accountId)
      expect(row!.links, `${a.lastName} has its Ritten link`).toBe(1)
      expect(row!.jobs, `${a.lastName} has its push job`).toBeGreaterThanOrEqual(1)
    }
    for (const a of attempts.filter((x) => x.status === 503)) expect(byName.has(a.lastName), `refused patient ${a.lastName} is absent`).toBe(false)
    expect(stored.rows.filter((r) => r.account === null || r.links !== 1 || r.jobs < 1), 'no patient is half-written').toEqual([])

    // The workers recovered too: every acknowledged patient reaches Ritten.
    const ids = acknowledged.map((a) => a.patientId!)
    await waitFor(
      `all ${ids.length} acknowledged patients linked`,
      async () => {
        const { rows } = await db.query<{ n: number }>(`select count(*)::int as n from links where record_id::text = any($1::text[]) and state = 'linked'`, [ids])
        return rows[0]!.n === ids.length
      },
      WAIT.jobs(ids.length),
    )
    console.log(`disk-full.e2e: ${attempts.length} creates, ${acknowledged.length} acknowledged, ${refused()} refused (${[...new Set(attempts.filter((a) => a.status === 503).map((a) => a.error))].join(', ')})`)
  }, WAIT.jobs(400))
})
