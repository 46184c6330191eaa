import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestDatabase, type TestDatabase } from '../../test/database.js'
import { QUEUES, startQueue, syncMessages, type Queue } from '../db/queue.js'
import { claimJob, enqueueJob, finishedJob, finishJob, isLeaseLost, leaseOf, redispatchOrphans, saveJobProgressInfo, saveProgress, scheduleRetry, updateJobWithLink, type JobLease } from './jobs.js'
import { ensureLink, getLink } from './links.js'
import { LeaseKeeper } from './leaseKeeper.js'

/** Jobs are settled only by the claim that holds them: a worker that lost its lease writes nothing. */
let database: TestDatabase
let queue: Queue
let organizationId: string
let connectionId: string
const quiet = { warn: () => undefined, info: () => undefined }

beforeAll(async () => {
  database = await openTestDatabase()
  queue = await startQueue({ connectionString: database.connectionString, pollSeconds: 1, schedule: false, availability: database.availability, log: quiet })
  organizationId = randomUUID()
  connectionId = randomUUID()
  await database.db.insertInto('organizations').values({ id: organizationId, name: 'Lease test' }).execute()
  await database.db.insertInto('connections').values({ id: connectionId, organization_id: organizationId, connector: 'ritten', name: 'r', base_url: 'http://127.0.0.1:9', settings: JSON.stringify({}), value_maps: JSON.stringify({}) }).execute()
}, 120_000)

afterAll(async () => {
  await queue?.stop({ graceful: false, wait: true }).catch(() => undefined)
  await database?.close()
})

async function newRunningJob(): Promise<JobLease> {
  const { id } = await database.db.transaction().execute((trx) =>
    enqueueJob(trx, queue, { organizationId, connectionId, kind: 'pull', recordType: null, recordId: null }),
  )
  const claim = await claimJob(database.db, id, 30)
  if (!claim.claimed) throw new Error(`not claimed: ${claim.reason}`)
  return leaseOf(claim.job)
}

/** What happens when a worker is too slow: its lease ends and another worker claims the job. */
async function takeOver(lease: JobLease): Promise<JobLease> {
  await database.db.updateTable('sync_jobs').set({ lease_until: sql`now() - interval '1 second'` }).where('id', '=', lease.jobId).execute()
  const claim = await claimJob(database.db, lease.jobId, 30)
  if (!claim.claimed) throw new Error(`not taken over: ${claim.reason}`)
  return leaseOf(claim.job)
}

async function jobRow(id: string) {
  return database.db.selectFrom('sync_jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
}

describe('job leases', () => {
  it('lets only the current claim settle a job', async () => {
    const stale = await newRunningJob()
    const current = await takeOver(stale)
    expect(current.attempt).toBe(stale.attempt + 1)

    expect(await finishJob(database.db, stale, 'failed', { code: 'x', message: 'stale worker' })).toBe(false)
    expect(await database.db.transaction().execute((trx) => scheduleRetry(trx, queue, stale, 1000, { code: 'x', message: 'stale' }))).toBe(false)
    await expect(saveProgress(database.db, stale, { done: { create: { at: 'x' } }, started: {} })).rejects.toSatisfy(isLeaseLost)
    await expect(saveJobProgressInfo(database.db, stale, { stale: true })).rejects.toSatisfy(isLeaseLost)
    expect((await jobRow(stale.jobId)).state).toBe('running')

    expect(await finishJob(database.db, current, 'succeeded')).toBe(true)
    const row = await jobRow(current.jobId)
    expect(row.state).toBe('succeeded')
    expect(row.last_error).toBeNull()
    expect(row.progress).toBeNull()
  })

  it('stops the job in a worker whose lease was taken over', async () => {
    const stale = await newRunningJob()
    const keeper = new LeaseKeeper(database.db, stale, 3, Date.now())
    try {
      expect(() => keeper.check()).not.toThrow()
      await takeOver(stale)
      // The keeper renews every second (a third of the lease): the renewal finds the lease gone.
      await expect.poll(() => keeper.held, { timeout: 5000 }).toBe(false)
      expect(() => keeper.check()).toThrow(/no longer holds its lease/)
    } finally {
      keeper.stop()
    }
  })

  it('stops the job once its lease ran out without a renewal (the database was away)', async () => {
    const lease = await newRunningJob()
    const keeper = new LeaseKeeper(database.db, lease, 30, Date.now() - 31_000)
    try {
      expect(keeper.held).toBe(false)
      expect(() => keeper.check()).toThrow(/no longer holds its lease/)
    } finally {
      keeper.stop()
    }
  })

  it('writes a push step and its link in one statement, and neither for a worker that lost its lease', async () => {
    const patientId = randomUUID()
    const link = await ensureLink(database.db, { organizationId, recordType: 'patient', recordId: patientId, connectionId, connector: 'ritten' })
    const jobId = await queuedPush(patientId)
    const first = await claimJob(database.db, jobId, 30)
    if (!first.claimed) throw new Error(`not claimed: ${first.reason}`)
    const stale = leaseOf(first.job)
    const steps = { done: { create: { at: 'now' } }, started: { patch: { at: 'now', attempt: 1 } } }
    await updateJobWithLink(database.db, stale, { steps: JSON.stringify(steps) }, link.id, { external_id: 'ext-1', state: 'partial' })
    expect((await jobRow(jobId)).steps).toEqual(steps)
    expect(await getLink(database.db, 'patient', patientId, connectionId)).toMatchObject({ external_id: 'ext-1', state: 'partial' })

    const current = await takeOver(stale)
    await expect(updateJobWithLink(database.db, stale, finishedJob('succeeded'), link.id, { state: 'linked', external_id: 'ext-stale' })).rejects.toSatisfy(isLeaseLost)
    expect((await jobRow(jobId)).state).toBe('running')
    expect(await getLink(database.db, 'patient', patientId, connectionId)).toMatchObject({ external_id: 'ext-1', state: 'partial' })

    await updateJobWithLink(database.db, current, finishedJob('succeeded'), link.id, { state: 'linked' })
    expect(await jobRow(jobId)).toMatchObject({ state: 'succeeded', lease_until: null })
    expect((await getLink(database.db, 'patient', patientId, connectionId))!.state).toBe('linked')
  })

  it('counts failures in a row and resets them when a page is stored', async () => {
    const lease = await newRunningJob()
    await database.db.transaction().execute((trx) => scheduleRetry(trx, queue, lease, 0, { code: 'x', message: 'one' }))
    const again = await claimJob(database.db, lease.jobId, 30)
    if (!again.claimed) throw new Error(`not claimed again: ${again.reason}`)
    const second = leaseOf(again.job)
    expect((await jobRow(lease.jobId)).failures_since_progress).toBe(1)
    await saveJobProgressInfo(database.db, second, { page: 1 }, { progressed: true })
    expect((await jobRow(lease.jobId)).failures_since_progress).toBe(0)
    // An attempt the database cut short does not count.
    await database.db.transaction().execute((trx) => scheduleRetry(trx, queue, second, 0, { code: 'database_unavailable', message: 'x' }, { countsAsFailure: false }))
    expect((await jobRow(lease.jobId)).failures_since_progress).toBe(0)
  })
})

/** A push job of one patient on this test's connection, queued (not claimed); a replay of `replayOf` is not folded into a queued one. */
async function queuedPush(patientId: string, replayOf?: string): Promise<string> {
  const { id } = await database.db.transaction().execute((trx) =>
    enqueueJob(trx, queue, { organizationId, connectionId, kind: 'push_patient', recordType: 'patient', recordId: patientId, replayOf }),
  )
  return id
}

describe('claims (one statement: the record lock, then the guarded update)', () => {
  it('takes a queued job: running, one attempt more, under a lease, with the connection row version', async () => {
    const id = await queuedPush(randomUUID())
    const claim = await claimJob(database.db, id, 30)
    if (!claim.claimed) throw new Error(`not claimed: ${claim.reason}`)
    expect(claim.job).toMatchObject({ id, state: 'running', attempts: 1, kind: 'push_patient' })
    expect(claim.job.lease_until!.getTime()).toBeGreaterThan(Date.now() + 20_000)
    const { rows } = await sql<{ v: string }>`select xmin::text as v from connections where id = ${connectionId}`.execute(database.db)
    expect(claim.connectionVersion).toBe(rows[0]!.v)
    expect(await jobRow(id)).toMatchObject({ state: 'running', attempts: 1 })
  })

  it('says why a job was not taken: held by another claim, finished, not due yet, missing', async () => {
    const id = await queuedPush(randomUUID())
    const first = await claimJob(database.db, id, 30)
    if (!first.claimed) throw new Error(`not claimed: ${first.reason}`)
    expect(await claimJob(database.db, id, 30)).toEqual({ claimed: false, reason: 'held' })
    await finishJob(database.db, leaseOf(first.job), 'succeeded')
    expect(await claimJob(database.db, id, 30)).toEqual({ claimed: false, reason: 'finished' })
    const later = await queuedPush(randomUUID())
    await database.db.updateTable('sync_jobs').set({ next_attempt_at: sql`now() + interval '1 minute'` }).where('id', '=', later).execute()
    expect(await claimJob(database.db, later, 30)).toEqual({ claimed: false, reason: 'not_due' })
    expect((await jobRow(later)).state).toBe('queued')
    expect(await claimJob(database.db, randomUUID(), 30)).toEqual({ claimed: false, reason: 'missing' })
  })

  it('runs the jobs of one record one at a time: a second job waits while the first is running', async () => {
    const patientId = randomUUID()
    const first = await queuedPush(patientId)
    const second = await queuedPush(patientId, first)
    const claim = await claimJob(database.db, first, 30)
    if (!claim.claimed) throw new Error(`not claimed: ${claim.reason}`)
    expect(await claimJob(database.db, second, 30)).toEqual({ claimed: false, reason: 'busy_record' })
    expect((await jobRow(second)).state).toBe('queued')
    await finishJob(database.db, leaseOf(claim.job), 'succeeded')
    expect((await claimJob(database.db, second, 30)).claimed).toBe(true)
  })

  it('lets exactly one of two claims racing for one record win, whichever waited on the lock', async () => {
    const patientId = randomUUID()
    const first = await queuedPush(patientId)
    const jobs = [first, await queuedPush(patientId, first)]
    // Both claims queue behind the record's lock (as relink.ts holds it), then run the moment it is let go.
    let claims: Promise<Awaited<ReturnType<typeof claimJob>>[]> | null = null
    await database.db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(hashtext(${`${connectionId}:${patientId}`}))`.execute(trx)
      claims = Promise.all(jobs.map((id) => claimJob(database.db, id, 30)))
      await new Promise((resolve) => setTimeout(resolve, 200))
    })
    const results = await claims!
    expect(results.filter((r) => r.claimed)).toHaveLength(1)
    expect(results.filter((r) => !r.claimed)).toEqual([{ claimed: false, reason: 'busy_record' }])
    const states = await Promise.all(jobs.map(async (id) => (await jobRow(id)).state))
    expect(states.sort()).toEqual(['queued', 'running'])
  })
})

describe('one owner for retries and orphans', () => {
  it('pg-boss never retries a message: the engine sends a crashed job again once, when its lease is over', async () => {
    expect(await queue.getQueue(QUEUES.sync)).toMatchObject({ retryLimit: 0 })
    // A handler that crashed mid-job: the job is left running under its lease.
    const lease = await newRunningJob()
    const messages = async () =>
      Number((await sql<{ n: string }>`select count(*) as n from pgboss.job where name = ${QUEUES.sync} and data->>'jobId' = ${lease.jobId}`.execute(database.db)).rows[0]!.n)
    const sent = await messages()
    await redispatchOrphans(database.db, queue, 30)
    expect(await messages()).toBe(sent) // still under its lease: nothing sent
    await database.db.updateTable('sync_jobs').set({ lease_until: sql`now() - interval '1 second'` }).where('id', '=', lease.jobId).execute()
    await redispatchOrphans(database.db, queue, 30)
    // Housekeeping runs every 10 s: the next round within the grace period sends nothing more.
    await redispatchOrphans(database.db, queue, 30)
    expect(await messages()).toBe(sent + 1)
  })
})

describe('a sync message written in a change\'s own statement', () => {
  it('is the row pg-boss\'s own insert writes: same queue policy, retries, expiry and retention', async () => {
    const [ours, theirs] = [randomUUID(), randomUUID()]
    await sql`with jobs as (select ${ours}::uuid as id) ${sql`, messages as (${syncMessages('jobs')})`} select count(*) from messages`.execute(database.db)
    await queue.insert([{ name: QUEUES.sync, data: { jobId: theirs } }])
    const row = async (jobId: string) =>
      (await sql<Record<string, unknown>>`
        select name, priority, data - 'jobId' as data, state, retry_limit, retry_count, retry_delay, retry_backoff, expire_in::text, policy, dead_letter, singleton_key, singleton_on,
          date_trunc('minute', keep_until - created_on)::text as kept, start_after <= now() as due
        from pgboss.job where data->>'jobId' = ${jobId}`.execute(database.db)).rows
    const written = await row(ours)
    expect(written).toHaveLength(1)
    expect(written).toEqual(await row(theirs))
    expect(written[0]).toMatchObject({ name: QUEUES.sync, retry_limit: 0, due: true })
    // A worker fetches it as it fetches pg-boss's own.
    const fetched = await queue.fetch<{ jobId: string }>(QUEUES.sync, { batchSize: 50 })
    expect((fetched ?? []).map((j) => j.data.jobId)).toEqual(expect.arrayContaining([ours, theirs]))
  })
})
