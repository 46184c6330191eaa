import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { insertConnection, openTestDatabase, type TestDatabase } from '../../test/database.js'
import { waitFor } from '../../test/harness.js'
import type { DbOrTx } from '../db/database.js'
import { JOBS_CHANNEL, PROCESS_SENDER } from '../db/queue.js'
import { claimNextJob, enqueueJob, leaseOf, scheduleRetry } from './jobs.js'
import { JobWakeUp } from './wakeUp.js'

/**
 * The wake-up of workers in other processes: a job's enqueue announces it inside its transaction,
 * so a listener hears of it after the commit and never of a rolled-back one. On the embedded
 * database this goes through the hub's PGlite socket server, which routes notifications to the
 * clients that listen.
 */
let database: TestDatabase
let enqueue: (trx: DbOrTx) => Promise<unknown>
let wakeUp: JobWakeUp
let wakes = 0
const log = { warn: () => undefined }

beforeAll(async () => {
  database = await openTestDatabase()
  const { organizationId, connectionId } = await insertConnection(database.db, { connector: 'ritten' })
  enqueue = (trx) => enqueueJob(trx, { organizationId, connectionId, kind: 'pull', recordType: null, recordId: null })
  wakeUp = new JobWakeUp({ connectionString: database.connectionString, availability: database.availability, log })
  await wakeUp.start(() => wakes++)
})

afterAll(async () => {
  await wakeUp?.stop()
  await database?.close()
})

/** Lets a notification that is on its way arrive (it comes on another connection). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 300))

describe('job wake-up (LISTEN/NOTIFY)', () => {
  it('wakes once when it starts listening, for whatever was committed before', () => {
    expect(wakeUp.listening).toBe(true)
    expect(wakes).toBe(1)
  })

  it('is delivered when the enqueue commits, not before', async () => {
    const before = wakeUp.received
    let heardInside = -1
    await database.db.transaction().execute(async (trx) => {
      await enqueue(trx)
      await settle()
      heardInside = wakeUp.received - before
    })
    expect(heardInside).toBe(0)
    await waitFor('the wake-up after the commit', async () => wakeUp.received === before + 1, 5000)
  })

  it('skips a notification this process sent with its own name (it woke its workers itself), and wakes on any other', async () => {
    const [received, woken] = [wakeUp.received, wakes]
    await sql`select pg_notify(${JOBS_CHANNEL}::text, ${PROCESS_SENDER}::text)`.execute(database.db)
    await waitFor('its own notification', async () => wakeUp.received === received + 1, 5000)
    expect(wakes).toBe(woken)
    // Another process's name wakes this one.
    await sql`select pg_notify(${JOBS_CHANNEL}::text, ${'process-another'}::text)`.execute(database.db)
    await waitFor('another process\'s notification', async () => wakeUp.received === received + 2, 5000)
    expect(wakes).toBe(woken + 1)
  })

  it('is not delivered when the enqueue rolls back', async () => {
    const before = wakeUp.received
    await expect(
      database.db.transaction().execute(async (trx) => {
        await enqueue(trx)
        throw new Error('the change is refused')
      }),
    ).rejects.toThrow('the change is refused')
    // A later commit's wake-up proves the channel works and that nothing of the rollback came before it.
    await database.db.transaction().execute((trx) => enqueue(trx))
    await waitFor('the later commit', async () => wakeUp.received > before, 5000)
    await settle()
    expect(wakeUp.received).toBe(before + 1)
  })

  it('announces a job that is due now, not a retry due later; several jobs of one commit wake once', async () => {
    await database.db.transaction().execute((trx) => enqueue(trx))
    await settle()
    const claimed = await claimNextJob(database.db, 30)
    const before = wakeUp.received
    await database.db.transaction().execute((trx) => scheduleRetry(trx, leaseOf(claimed!.job), 60_000, { code: 'x', message: 'later' }))
    await database.db.transaction().execute(async (trx) => {
      for (let i = 0; i < 3; i++) await enqueue(trx)
    })
    await waitFor('the wake-up of the commit', async () => wakeUp.received > before, 5000)
    await settle()
    expect(wakeUp.received).toBe(before + 1)
  })

  it('announces a retry due at once', async () => {
    await database.db.transaction().execute((trx) => enqueue(trx))
    await settle()
    const claimed = await claimNextJob(database.db, 30)
    const before = wakeUp.received
    await database.db.transaction().execute((trx) => scheduleRetry(trx, leaseOf(claimed!.job), 0, { code: 'database_unavailable', message: 'x' }, { countsAsFailure: false }))
    await waitFor('the wake-up of the retry', async () => wakeUp.received === before + 1, 5000)
  })

  // PostgreSQL only: the embedded database has one session for every client, which none can end.
  it.skipIf(!process.env.TEST_DATABASE_URL)('listens again after the server ended its connection, and wakes the workers then', async () => {
    const wakesBefore = wakes
    // What a restart or failover does to the connection: the server ends it.
    // This database's only: the server is shared with the rest of the run's hubs, whose own
    // wake-up connections are not this test's to end (each such end is a moment of 503s there).
    const ended = await sql<{ ok: boolean }>`select pg_terminate_backend(pid) as ok from pg_stat_activity where application_name = 'carebridge-wakeup' and datname = current_database()`.execute(database.db)
    expect(ended.rows.map((r) => r.ok)).toEqual([true])
    await waitFor('listening again', async () => wakes > wakesBefore && wakeUp.listening, 10_000)
    const before = wakeUp.received
    await database.db.transaction().execute((trx) => enqueue(trx))
    await waitFor('a wake-up on the new connection', async () => wakeUp.received === before + 1, 5000)
  })
})
