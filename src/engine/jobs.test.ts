import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { openTestDatabase, type TestDatabase } from '../../test/database.js'
import { ORPHAN_GRACE_SECONDS, claimNextJob, enqueueJob, releaseLapsedJob, finishedJob, finishJob, isLeaseLost, leaseOf, saveJobProgressInfo, saveProgress, scheduleRetry, updateJobWithLink, type JobLease } from './jobs.js'
import { ensureLink, getLink } from './links.js'
import { LeaseKeeper } from './leaseKeeper.js'
import { newId } from '../db/ids.js'
import type { ExchangeRow } from '../exchanges/held.js'

/** Jobs are settled only by the claim that holds them: a worker that lost its lease writes nothing. */
let database: TestDatabase
let organizationId: string
let connectionId: string

beforeAll(async () => {
  database = await openTestDatabase()
  organizationId = randomUUID()
  connectionId = randomUUID()
  await database.db.insertInto('organizations').values({ id: organizationId, name: 'Lease test' }).execute()
  await database.db.insertInto('connections').values({ id: connectionId, organization_id: organizationId, connector: 'ritten', name: 'r', base_url: 'http://127.0.0.1:9', settings: JSON.stringify({}), value_maps: JSON.stringify({}) }).execute()
}, 120_000)

afterAll(async () => {
  await database?.close()
})

// Each test fetches from the queue its own jobs only: whatever one leaves waiting or running is settled after it.
afterEach(async () => {
  await database.db.updateTable('sync_jobs').set({ state: 'failed', lease_until: null }).where('state', 'in', ['queued', 'retrying', 'running']).execute()
})

/** The next due job, claimed as a worker claims it; it must be `id`. */
async function claim(id: string): Promise<JobLease> {
  const claimed = await claimNextJob(database.db, 30)
  expect(claimed?.job.id).toBe(id)
  return leaseOf(claimed!.job)
}

async function newRunningJob(): Promise<JobLease> {
  const { id } = await database.db.transaction().execute((trx) =>
    enqueueJob(trx, { organizationId, connectionId, kind: 'pull', recordType: null, recordId: null }),
  )
  return claim(id)
}

/** What happens when a worker is too slow: its lease ends and another worker claims the job. */
async function takeOver(lease: JobLease): Promise<JobLease> {
  await database.db.updateTable('sync_jobs').set({ lease_until: sql`now() - make_interval(secs => ${ORPHAN_GRACE_SECONDS + 1})` }).where('id', '=', lease.jobId).execute()
  return claim(lease.jobId)
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
    expect(await database.db.transaction().execute((trx) => scheduleRetry(trx, stale, 1000, { code: 'x', message: 'stale' }))).toBe(false)
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
    const stale = await claim(jobId)
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

  it("writes a step's exchanges with it, also for a worker that lost its lease, and its event only with the job", async () => {
    const patientId = randomUUID()
    const link = await ensureLink(database.db, { organizationId, recordType: 'patient', recordId: patientId, connectionId, connector: 'ritten' })
    const jobId = await queuedPush(patientId)
    const stale = await claim(jobId)
    const current = await takeOver(stale)
    const subscriptionId = randomUUID()
    await sql`insert into event_subscriptions (id, organization_id, url, events, enabled, secret)
      values (${subscriptionId}::uuid, ${organizationId}::uuid, 'http://127.0.0.1:9/hook', '["patient.linked"]'::jsonb, true, 'sealed')`.execute(database.db)
    const event = { organizationId, type: 'patient.linked' as const, data: { patientId, connectionId, connector: 'ritten', externalId: 'ext-9', via: 'push' as const } }
    const announced = () => database.db.selectFrom('events').select('id').where(sql<boolean>`body::jsonb->'data'->>'patientId' = ${patientId}`).execute()
    try {
      // The stale worker's call happened: its exchange is logged; its outcome and event are not.
      const staleCall = exchangeRow(jobId, patientId, 'patch')
      await expect(updateJobWithLink(database.db, stale, finishedJob('succeeded'), link.id, { state: 'linked', external_id: 'ext-stale' }, { exchanges: [staleCall], event })).rejects.toSatisfy(isLeaseLost)
      expect(await database.db.selectFrom('exchanges').select(['id', 'attempt', 'details', 'request_headers', 'started_at']).where('sync_job_id', '=', jobId).execute()).toEqual([
        { id: staleCall.id, attempt: staleCall.attempt, details: { dropped: ['x'] }, request_headers: { 'content-type': 'application/json' }, started_at: staleCall.started_at },
      ])
      expect((await jobRow(jobId)).state).toBe('running')
      expect((await getLink(database.db, 'patient', patientId, connectionId))!.state).toBe('pending')
      expect(await announced()).toEqual([])

      const call = exchangeRow(jobId, patientId, 'patch')
      await updateJobWithLink(database.db, current, finishedJob('succeeded'), link.id, { state: 'linked', external_id: 'ext-9' }, { exchanges: [call], event })
      expect((await jobRow(jobId)).state).toBe('succeeded')
      expect(await getLink(database.db, 'patient', patientId, connectionId)).toMatchObject({ state: 'linked', external_id: 'ext-9' })
      expect(await database.db.selectFrom('exchanges').select('id').where('sync_job_id', '=', jobId).orderBy('id').execute()).toEqual([staleCall.id, call.id].sort().map((id) => ({ id })))
      const [stored] = await announced()
      expect(stored).toBeDefined()
      const delivery = await database.db.selectFrom('sync_jobs').select(['kind', 'state', 'input']).where('record_id', '=', stored!.id).execute()
      expect(delivery).toEqual([{ kind: 'deliver_event', state: 'queued', input: { eventId: stored!.id, subscriptionId } }])
    } finally {
      await database.db.deleteFrom('event_subscriptions').where('id', '=', subscriptionId).execute()
    }
  })

  it('stores no event that no subscription wants', async () => {
    const patientId = randomUUID()
    const link = await ensureLink(database.db, { organizationId, recordType: 'patient', recordId: patientId, connectionId, connector: 'ritten' })
    const lease = await claim(await queuedPush(patientId))
    const event = { organizationId, type: 'patient.linked' as const, data: { patientId, connectionId, connector: 'ritten', externalId: 'ext-10', via: 'push' as const } }
    await updateJobWithLink(database.db, lease, finishedJob('succeeded'), link.id, { state: 'linked' }, { event })
    expect((await jobRow(lease.jobId)).state).toBe('succeeded')
    expect(await database.db.selectFrom('events').select('id').where(sql<boolean>`body::jsonb->'data'->>'patientId' = ${patientId}`).execute()).toEqual([])
  })

  it('keeps no external id another record holds on the connection (F5): nothing but the exchanges is written, and the holder is named', async () => {
    const [holder, patientId] = [randomUUID(), randomUUID()]
    const held = await ensureLink(database.db, { organizationId, recordType: 'patient', recordId: holder, connectionId, connector: 'ritten' })
    await database.db.updateTable('links').set({ external_id: 'ext-shared', state: 'linked' }).where('id', '=', held.id).execute()
    const link = await ensureLink(database.db, { organizationId, recordType: 'patient', recordId: patientId, connectionId, connector: 'ritten' })
    const lease = await claim(await queuedPush(patientId))
    const claimOf = (externalId: string) => ({ connectionId, recordType: 'patient', externalId, exceptRecordId: patientId })
    const call = exchangeRow(lease.jobId, patientId, 'create')
    const steps = JSON.stringify({ done: { create: { at: 'now' } }, started: { patch: { at: 'now', attempt: 1 } } })
    expect(await updateJobWithLink(database.db, lease, { steps }, link.id, { external_id: 'ext-shared', state: 'partial' }, { exchanges: [call], unheldExternalId: claimOf('ext-shared') })).toEqual({ heldBy: holder })
    expect((await jobRow(lease.jobId)).steps).toEqual({ done: {}, started: {} })
    expect(await getLink(database.db, 'patient', patientId, connectionId)).toMatchObject({ external_id: null, state: 'pending' })
    expect(await database.db.selectFrom('exchanges').select('id').where('sync_job_id', '=', lease.jobId).execute()).toEqual([{ id: call.id }])
    // Its own external id, which no one else holds, is kept.
    expect(await updateJobWithLink(database.db, lease, { steps }, link.id, { external_id: 'ext-own', state: 'partial' }, { unheldExternalId: claimOf('ext-own') })).toEqual({ heldBy: null })
    expect(await getLink(database.db, 'patient', patientId, connectionId)).toMatchObject({ external_id: 'ext-own', state: 'partial' })
  })

  it('counts failures in a row and resets them when a page is stored', async () => {
    const lease = await newRunningJob()
    await database.db.transaction().execute((trx) => scheduleRetry(trx, lease, 0, { code: 'x', message: 'one' }))
    const second = await claim(lease.jobId)
    expect((await jobRow(lease.jobId)).failures_since_progress).toBe(1)
    await saveJobProgressInfo(database.db, second, { page: 1 }, { progressed: true })
    expect((await jobRow(lease.jobId)).failures_since_progress).toBe(0)
    // An attempt the database cut short does not count.
    await database.db.transaction().execute((trx) => scheduleRetry(trx, second, 0, { code: 'database_unavailable', message: 'x' }, { countsAsFailure: false }))
    expect((await jobRow(lease.jobId)).failures_since_progress).toBe(0)
  })
})

/** A push job of one patient on this test's connection, queued (not claimed); a replay of `replayOf` is not folded into a queued one. */
async function queuedPush(patientId: string, replayOf?: string): Promise<string> {
  const { id } = await database.db.transaction().execute((trx) =>
    enqueueJob(trx, { organizationId, connectionId, kind: 'push_patient', recordType: 'patient', recordId: patientId, replayOf }),
  )
  return id
}

describe('claims (one statement: the next due job, the record lock, then the guarded update)', () => {
  it('takes a queued job: running, one attempt more, under a lease, with the connection row version', async () => {
    const id = await queuedPush(randomUUID())
    const claimed = await claimNextJob(database.db, 30)
    expect(claimed?.job).toMatchObject({ id, state: 'running', attempts: 1, kind: 'push_patient' })
    expect(claimed!.job.lease_until!.getTime()).toBeGreaterThan(Date.now() + 20_000)
    const { rows } = await sql<{ v: string }>`select xmin::text as v from connections where id = ${connectionId}`.execute(database.db)
    expect(claimed!.connectionVersion).toBe(rows[0]!.v)
    expect(await jobRow(id)).toMatchObject({ state: 'running', attempts: 1 })
  })

  it('takes nothing that is not due: a job held under its lease, a finished one, one due later', async () => {
    const id = await queuedPush(randomUUID())
    const first = await claim(id)
    expect(await claimNextJob(database.db, 30)).toBeNull()
    await finishJob(database.db, first, 'succeeded')
    expect(await claimNextJob(database.db, 30)).toBeNull()
    const later = await queuedPush(randomUUID())
    await database.db.updateTable('sync_jobs').set({ next_attempt_at: sql`now() + interval '1 minute'` }).where('id', '=', later).execute()
    expect(await claimNextJob(database.db, 30)).toBeNull()
    expect((await jobRow(later)).state).toBe('queued')
  })

  it('takes due jobs in the order they came due', async () => {
    const [a, b, c] = [await queuedPush(randomUUID()), await queuedPush(randomUUID()), await queuedPush(randomUUID())]
    await database.db.updateTable('sync_jobs').set({ state: 'retrying', next_attempt_at: sql`now() - interval '1 minute'` }).where('id', '=', c).execute()
    await database.db.updateTable('sync_jobs').set({ next_attempt_at: sql`now() - interval '1 second'` }).where('id', '=', b).execute()
    expect([(await claim(c)).jobId, (await claim(b)).jobId, (await claim(a)).jobId]).toEqual([c, b, a])
  })

  it('never gives one job to two fetches at once', async () => {
    const jobs = [await queuedPush(randomUUID()), await queuedPush(randomUUID())]
    const fetched = await Promise.all([0, 1, 2, 3].map(() => claimNextJob(database.db, 30)))
    const ids = fetched.filter((f) => f !== null).map((f) => f!.job.id)
    expect(ids.sort()).toEqual([...jobs].sort())
    for (const id of jobs) expect(await jobRow(id)).toMatchObject({ state: 'running', attempts: 1 })
  })

  it('runs the jobs of one record one at a time: a second job waits a second while the first is running', async () => {
    const patientId = randomUUID()
    const first = await queuedPush(patientId)
    const second = await queuedPush(patientId, first)
    const running = await claim(first)
    expect(await claimNextJob(database.db, 30)).toBeNull()
    const waiting = await jobRow(second)
    expect(waiting.state).toBe('queued')
    // Put back, not spun on: the next fetches pass it by until then.
    expect(waiting.next_attempt_at.getTime()).toBeGreaterThan(Date.now())
    await finishJob(database.db, running, 'succeeded')
    await database.db.updateTable('sync_jobs').set({ next_attempt_at: sql`now()` }).where('id', '=', second).execute()
    await claim(second)
  })

  it('keeps a record busy through the orphan grace: a lapsed holder may still have a call on its way', async () => {
    const patientId = randomUUID()
    const first = await queuedPush(patientId)
    const second = await queuedPush(patientId, first)
    const lapsed = await claim(first)
    const lapseBy = async (seconds: number) => {
      await database.db.updateTable('sync_jobs').set({ lease_until: sql`now() - make_interval(secs => ${seconds})` }).where('id', '=', first).execute()
      await database.db.updateTable('sync_jobs').set({ next_attempt_at: sql`now()` }).where('id', '=', second).execute()
    }
    // Its lease ran out, but not the grace: neither it nor the record's other job is taken.
    await lapseBy(ORPHAN_GRACE_SECONDS - 2)
    expect(await claimNextJob(database.db, 30)).toBeNull()
    expect((await jobRow(second)).state).toBe('queued')
    // Past the grace the record is free: one of its two jobs runs, the other waits its turn.
    await lapseBy(ORPHAN_GRACE_SECONDS + 1)
    const taken = await claimNextJob(database.db, 30)
    expect([first, second]).toContain(taken?.job.id)
    expect(await claimNextJob(database.db, 30)).toBeNull()
    expect(await finishJob(database.db, lapsed, 'succeeded')).toBe(false)
  })

  it('passes a busy record by and takes the next due job in the same fetch', async () => {
    const patientId = randomUUID()
    const first = await queuedPush(patientId)
    await claim(first)
    const second = await queuedPush(patientId, first)
    const other = await queuedPush(randomUUID())
    await claim(other)
    expect((await jobRow(second)).state).toBe('queued')
  })

  it('lets exactly one of two claims racing for one record win, whichever waited on the lock', async () => {
    const patientId = randomUUID()
    const first = await queuedPush(patientId)
    const jobs = [first, await queuedPush(patientId, first)]
    // Both claims queue behind the record's lock (as relink.ts holds it), then run the moment it is let go.
    let claims: Promise<Awaited<ReturnType<typeof claimNextJob>>[]> | null = null
    await database.db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(hashtext(${`${connectionId}:${patientId}`}))`.execute(trx)
      claims = Promise.all(jobs.map(() => claimNextJob(database.db, 30)))
      await new Promise((resolve) => setTimeout(resolve, 200))
    })
    const results = await claims!
    expect(results.filter((r) => r !== null)).toHaveLength(1)
    const states = await Promise.all(jobs.map(async (id) => (await jobRow(id)).state))
    expect(states.sort()).toEqual(['queued', 'running'])
  })
})

describe('one owner for retries and orphans', () => {
  it('runs a crashed job again once, when its lease is over, under a new attempt', async () => {
    // A handler that crashed mid-job: the job is left running under its lease.
    const crashed = await newRunningJob()
    expect(await claimNextJob(database.db, 30)).toBeNull()
    // Over, but not yet for the grace: the holder may still have a call on its way.
    await database.db.updateTable('sync_jobs').set({ lease_until: sql`now() - make_interval(secs => ${ORPHAN_GRACE_SECONDS - 2})` }).where('id', '=', crashed.jobId).execute()
    expect(await claimNextJob(database.db, 30)).toBeNull()
    await database.db.updateTable('sync_jobs').set({ lease_until: sql`now() - make_interval(secs => ${ORPHAN_GRACE_SECONDS + 1})` }).where('id', '=', crashed.jobId).execute()
    const again = await Promise.all([claimNextJob(database.db, 30), claimNextJob(database.db, 30)])
    expect(again.filter((c) => c !== null).map((c) => [c!.job.id, c!.job.attempts])).toEqual([[crashed.jobId, crashed.attempt + 1]])
    expect(await claimNextJob(database.db, 30)).toBeNull()
    // The crashed attempt, were it still alive somewhere, writes nothing.
    expect(await finishJob(database.db, crashed, 'succeeded')).toBe(false)
  })

  it('hands back at once a job whose worker stopped for want of its lease, unless another worker took it over', async () => {
    const lapsed = await newRunningJob()
    expect(await database.db.transaction().execute((trx) => releaseLapsedJob(trx, lapsed))).toBe(true)
    expect(await jobRow(lapsed.jobId)).toMatchObject({ state: 'retrying', lease_until: null, failures_since_progress: 0 })
    // Due now, not after the orphan grace.
    const again = await claim(lapsed.jobId)
    expect(again.attempt).toBe(lapsed.attempt + 1)
    // The first attempt, taken over, hands back nothing: the new holder keeps running.
    const taken = await takeOver(again)
    expect(await database.db.transaction().execute((trx) => releaseLapsedJob(trx, again))).toBe(false)
    expect(await jobRow(taken.jobId)).toMatchObject({ state: 'running', attempts: taken.attempt })
  })

  it('brings a retry due at once back to the workers, and one due later when its time comes', async () => {
    const lease = await newRunningJob()
    await database.db.transaction().execute((trx) => scheduleRetry(trx, lease, 60_000, { code: 'x', message: 'later' }))
    expect(await claimNextJob(database.db, 30)).toBeNull()
    expect(await jobRow(lease.jobId)).toMatchObject({ state: 'retrying', lease_until: null })
    await database.db.updateTable('sync_jobs').set({ next_attempt_at: sql`now()` }).where('id', '=', lease.jobId).execute()
    expect((await claim(lease.jobId)).attempt).toBe(lease.attempt + 1)
  })
})

/** An exchange row as the recorder makes one for a push job's call. */
function exchangeRow(jobId: string, patientId: string, operation: string): ExchangeRow {
  return {
    id: newId(),
    organization_id: organizationId,
    connection_id: connectionId,
    connector: 'ritten',
    sync_job_id: jobId,
    record_type: 'patient',
    record_id: patientId,
    direction: 'outbound',
    operation,
    status: 'ok',
    http_status: 200,
    message: null,
    method: 'PATCH',
    url: 'http://127.0.0.1:9/patients/1',
    request_body: '{"name":"x"}',
    response_body: '{"id":"1"}',
    details: JSON.stringify({ dropped: ['x'] }),
    request_headers: JSON.stringify({ 'content-type': 'application/json' }),
    attempt: 1,
    started_at: new Date(Math.floor(Date.now() / 1000) * 1000),
    duration_ms: 4,
  }
}
