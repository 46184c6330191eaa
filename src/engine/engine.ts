import type { Db, DbOrTx } from '../db/database.js'
import { PROCESS_SENDER } from '../db/queue.js'
import { patientPushConnectors, pushTargets } from '../connections/connections.js'
import { patientIdsOfAccount } from '../crm/patients.js'
import { ConflictError, NotFoundError, UnsupportedError } from '../errors.js'
import { getConnector } from '../connectors/registry.js'
import { patientPushRefusal, referralPushRefusal } from '../connectors/connector.js'
import { lastFireTime } from './schedule.js'
import { sql } from 'kysely'
import { readBudgetUseFrom, readQueueFrom, type QueueSnapshot } from '../observability/metrics.js'
import { measureBudgetUse } from './budgetUse.js'
import { claimNextJob, enqueueJob, newRecordPushes, type ClaimedJob, type JobKind } from './jobs.js'
import { ensureLink, getLink, updateLink } from './links.js'
import { runJob, type EngineDeps } from './runner.js'
import { setPatientLink, type LinkChange, type LinkTarget } from './relink.js'
import { reviewConflict, type ConflictView } from './conflicts.js'
import { pruneExchangeBodies } from '../exchanges/retention.js'
import { pruneEvents } from '../events/retention.js'
import { vacuumWhereDue } from '../db/maintenance.js'
import type { JobWakeUp } from './wakeUp.js'

/** How often each worker also polls by itself, should a wake-up be missed (the engine's poll wakes one every `pollSeconds`). */
const BACKSTOP_POLL_SECONDS = 30
/** How long a worker whose fetch met a database outage waits for it to end before it fetches again. */
const OUTAGE_WAIT_MS = 60_000
/** How long `stop` lets the jobs in hand finish (their leases cover the rest: they run again). */
const STOP_WAIT_MS = 5000

/** One worker: a loop that takes due jobs one after another, and sleeps when none is due until woken. */
interface Worker {
  busy: boolean
  /** A wake-up came while it was not asleep: it fetches again before it sleeps. */
  woken: boolean
  wake: (() => void) | null
  loop: Promise<void>
}

/**
 * The sync engine's entry points. Changes enqueue jobs inside the caller's transaction (the
 * outbox); workers take them from sync_jobs and run them; a job whose worker died is due again
 * when its lease runs out.
 */
export class Engine {
  private workers: Worker[] = []
  private stopping = false
  private nextWake = 0
  private housekeeping: NodeJS.Timeout | null = null
  private retentionRanAt = -Infinity
  private maintainedAt = -Infinity
  private polling: NodeJS.Timeout | null = null
  private readonly deps: EngineDeps & EngineOptions

  constructor(deps: Omit<EngineDeps, 'patientChanged'> & EngineOptions) {
    this.deps = { ...deps, patientChanged: (trx, organizationId, patientId, except) => this.patientChanged(trx, organizationId, patientId, except) }
    readBudgetUseFrom(() => measureBudgetUse(this.deps.db, { unpaced: this.deps.unpaced }))
    readQueueFrom(() => readQueue(this.deps.db))
  }

  /**
   * F11: one push job per enabled connection that can receive patients. Call inside the change's
   * transaction. `except` leaves out the connection the change came from (a pulled change).
   */
  async patientChanged(trx: DbOrTx, organizationId: string, patientId: string, except?: string): Promise<string[]> {
    const ids: string[] = []
    for (const target of await pushTargets(trx, organizationId, 'patient')) {
      if (target.id === except) continue
      await ensureLink(trx, { organizationId, recordType: 'patient', recordId: patientId, connectionId: target.id, connector: target.connector })
      const job = await enqueueJob(trx, {
        organizationId,
        connectionId: target.id,
        kind: 'push_patient',
        recordType: 'patient',
        recordId: patientId,
      })
      ids.push(job.id)
    }
    return ids
  }

  /**
   * F11 for a patient the API creates: its pushes as CTEs of the create's own statement (see
   * `newRecordPushes`), one per enabled connection whose connector can receive patients. The
   * statement's wake-up names this process: call `wakeOwnWorker` once it has returned.
   */
  newPatientPushes(organizationId: string): ReturnType<typeof newRecordPushes> {
    return newRecordPushes({ organizationId, kind: 'push_patient', recordType: 'patient', sender: PROCESS_SENDER }, patientPushConnectors())
  }

  /**
   * After a statement or commit whose wake-up carried PROCESS_SENDER (which this process's listener skips):
   * one local idle worker takes the job now, without the notification's trip through the database.
   */
  wakeOwnWorker(): void {
    this.wakeOneWorker()
  }

  /** One push of a patient to one connection (an explicit "push now"); refused with the reason when the connector cannot receive patients. */
  async pushPatientTo(trx: DbOrTx, organizationId: string, patientId: string, connectionId: string): Promise<string> {
    const connection = await trx.selectFrom('connections').select(['connector']).where('id', '=', connectionId).executeTakeFirstOrThrow()
    const connector = getConnector(connection.connector)
    const refusal = connector ? patientPushRefusal(connector) : `No connector "${connection.connector}" is installed`
    if (refusal) throw new UnsupportedError(refusal)
    await ensureLink(trx, { organizationId, recordType: 'patient', recordId: patientId, connectionId, connector: connection.connector })
    const job = await enqueueJob(trx, { organizationId, connectionId, kind: 'push_patient', recordType: 'patient', recordId: patientId })
    return job.id
  }

  /**
   * One delivery of a referral to a referral destination (CRMS): call inside the transaction that
   * changed the referral. Refused with the reason when the connector cannot receive referrals.
   */
  async pushReferralTo(trx: DbOrTx, organizationId: string, referralId: string, connectionId: string): Promise<string> {
    const connection = await trx.selectFrom('connections').select(['connector']).where('id', '=', connectionId).where('organization_id', '=', organizationId).executeTakeFirst()
    if (!connection) throw new NotFoundError('Connection')
    const connector = getConnector(connection.connector)
    const refusal = connector ? referralPushRefusal(connector) : `No connector "${connection.connector}" is installed`
    if (refusal) throw new UnsupportedError(refusal)
    await ensureLink(trx, { organizationId, recordType: 'referral', recordId: referralId, connectionId, connector: connection.connector })
    const job = await enqueueJob(trx, { organizationId, connectionId, kind: 'push_referral', recordType: 'referral', recordId: referralId })
    return job.id
  }

  /** An account's insurance travels with its patients (Ritten's PATCH), so each of them is pushed again. */
  async accountChanged(trx: DbOrTx, organizationId: string, accountId: string): Promise<void> {
    for (const patientId of await patientIdsOfAccount(trx, organizationId, accountId)) await this.patientChanged(trx, organizationId, patientId)
  }

  /**
   * Runs the job behind an exchange again, as a new job pointing at the original (the log keeps
   * both). The link leaves `needs_attention`/`failed`; with an external id it resumes as partial.
   */
  async replayExchange(organizationId: string, exchangeId: string): Promise<{ jobId: string }> {
    return this.deps.db.transaction().execute(async (trx) => {
      const exchange = await trx
        .selectFrom('exchanges')
        .select(['sync_job_id'])
        .where('id', '=', exchangeId)
        .where('organization_id', '=', organizationId)
        .executeTakeFirst()
      if (!exchange) throw new NotFoundError('Exchange')
      if (!exchange.sync_job_id) throw new ConflictError('This exchange was not part of a sync job (e.g. a connection test): run that action again instead')
      const original = await trx.selectFrom('sync_jobs').selectAll().where('id', '=', exchange.sync_job_id).executeTakeFirstOrThrow()
      if (original.state === 'running' || original.state === 'queued' || original.state === 'retrying') {
        throw new ConflictError(`The job of this exchange is still ${original.state}; wait for it to finish before replaying`)
      }
      if (original.record_type && original.record_id && original.connection_id) {
        const link = await getLink(trx, original.record_type, original.record_id, original.connection_id)
        if (link && link.state !== 'linked') {
          await updateLink(trx, link.id, { state: link.external_id ? 'partial' : 'pending', message: 'replay queued' })
        }
      }
      const job = await enqueueJob(trx, {
        organizationId,
        connectionId: original.connection_id,
        kind: original.kind as JobKind,
        recordType: original.record_type,
        recordId: original.record_id,
        replayOf: original.id,
        input: original.input,
      })
      return { jobId: job.id }
    }).finally(() => this.nudge())
  }

  /** F5: links a patient to an EMR record by hand, or clears a stale link; a push follows. */
  async setPatientLink(organizationId: string, patientId: string, connectionId: string, target: LinkTarget): Promise<LinkChange> {
    const change = await setPatientLink(this.deps.db, { organizationId, patientId, connectionId, target })
    this.nudge()
    return change
  }

  /** F16: closes a conflict, keeping the winner or writing the loser back to the CRM (then to every EMR). */
  async reviewConflict(organizationId: string, conflictId: string, keep: 'crm' | 'emr' | undefined, reviewer: string): Promise<ConflictView> {
    const view = await reviewConflict(this.deps.db, (trx, org, patientId) => this.patientChanged(trx, org, patientId), { organizationId, conflictId, keep, reviewer })
    this.nudge()
    return view
  }

  /**
   * Starts a pull of a connection (F14) unless one is already waiting or running, in which case
   * that one is returned: two pulls of one EMR at once would only race each other.
   */
  async startPull(organizationId: string, connectionId: string, options: { full?: boolean } = {}): Promise<{ jobId: string; alreadyRunning: boolean }> {
    const result = await this.deps.db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(hashtext(${`pull:${connectionId}`}))`.execute(trx)
      const connection = await trx.selectFrom('connections').select(['connector']).where('id', '=', connectionId).where('organization_id', '=', organizationId).executeTakeFirst()
      if (!connection) throw new NotFoundError('Connection')
      const connector = getConnector(connection.connector)
      if (!connector?.flows.pull) {
        const capability = connector?.capabilities.patient?.pull
        throw new UnsupportedError(`${connector?.title ?? connection.connector} cannot pull: ${capability && !capability.supported ? capability.reason : 'this connector has no pull flow'}`)
      }
      const active = await trx
        .selectFrom('sync_jobs')
        .select('id')
        .where('connection_id', '=', connectionId)
        .where('kind', '=', 'pull')
        .where('state', 'in', ['queued', 'running', 'retrying'])
        .executeTakeFirst()
      if (active) return { jobId: active.id, alreadyRunning: true }
      // `full`: read everything again rather than what changed since the last pull (e.g. after mapping values a pull left out).
      const job = await enqueueJob(trx, { organizationId, connectionId, kind: 'pull', recordType: null, recordId: null, input: options.full ? { full: true } : null })
      return { jobId: job.id, alreadyRunning: false }
    })
    this.nudge()
    return result
  }

  /** Starts the pulls whose cron schedule came due since their last run; several workers agree through the row update. */
  async startDuePulls(now = new Date()): Promise<void> {
    const rows = await this.deps.db
      .selectFrom('connections')
      .select(['id', 'organization_id', 'connector', 'settings', 'pull_scheduled_at', 'created_at'])
      .where('enabled', '=', true)
      .execute()
    for (const row of rows) {
      const connector = getConnector(row.connector)
      if (!connector?.flows.pull) continue
      const schedule = typeof row.settings.pullSchedule === 'string' ? row.settings.pullSchedule : connector.defaultPullSchedule
      if (!schedule) continue
      const due = lastFireTime(schedule, now)
      const since = row.pull_scheduled_at ?? row.created_at
      if (!due || due <= since) continue
      const taken = await this.deps.db
        .updateTable('connections')
        .set({ pull_scheduled_at: now })
        .where('id', '=', row.id)
        .where((eb) => (row.pull_scheduled_at ? eb('pull_scheduled_at', '=', row.pull_scheduled_at) : eb('pull_scheduled_at', 'is', null)))
        .executeTakeFirst()
      if (Number(taken.numUpdatedRows) === 1) await this.startPull(row.organization_id, row.id)
    }
  }

  /**
   * Called after a commit that queued work, so that a local worker takes it now rather than at its
   * next poll. When this process listens for job wake-ups the commit's own notification does it
   * (it reaches every process, and arrives a moment after the commit), so this adds nothing.
   */
  nudge(): void {
    if (this.deps.wakeUp?.listening) return
    this.wakeOneWorker()
  }

  /**
   * Wakes one idle worker. Waking them all for each job made every idle worker fetch and all but
   * one find nothing — queries the embedded database serves one at a time. A worker that does find
   * a job wakes the next one (there may be more: a commit can queue several), so a burst still
   * reaches every worker, one fetch after another; a busy worker fetches again when its job ends.
   */
  private wakeOneWorker(): void {
    const idle = this.workers.filter((w) => !w.busy)
    if (idle.length === 0) return
    wake(idle[this.nextWake++ % idle.length]!)
  }

  async startWorkers(): Promise<void> {
    this.stopping = false
    for (let i = 0; i < this.deps.concurrency; i++) {
      const worker: Worker = { busy: false, woken: true, wake: null, loop: Promise.resolve() }
      worker.loop = this.work(worker)
      this.workers.push(worker)
    }
    // Jobs committed by any process wake these workers at once (the API's local nudge reaches only its own process).
    await this.deps.wakeUp?.start(() => this.wakeOneWorker())
    // Jobs that come due later (a retry's backoff, a Retry-After, a lease that ran out) announce
    // nothing: one idle worker looks for them at each poll, and wakes the next if it finds one.
    // Every worker polling on its own made four fetches per interval on an idle hub, which the
    // embedded database serves one at a time; a busy worker fetches again as its job ends, so an
    // all-busy process polls nothing.
    // Not unref'd: it is what keeps a worker process alive (its workers wait on timers that are, and
    // while the database is away it may hold no socket at all) until `stop`.
    this.polling = setInterval(() => this.wakeOneWorker(), this.deps.pollSeconds * 1000)
    await this.housekeep()
    this.housekeeping = setInterval(() => void this.housekeep(), 10_000)
    this.housekeeping.unref()
  }

  /**
   * A worker's loop: claim the next due job (one statement, see claimNextJob), wake the next idle
   * worker (there may be more), run the job, and again; with nothing due, sleep until woken (or
   * BACKSTOP_POLL_SECONDS). Started with `woken` set: it looks once at the start.
   */
  private async work(worker: Worker): Promise<void> {
    while (!this.stopping) {
      if (!worker.woken) await sleepUntilWoken(worker, BACKSTOP_POLL_SECONDS * 1000)
      worker.woken = false
      if (this.stopping) return
      const claimedAt = Date.now()
      let claim: ClaimedJob | null
      try {
        claim = await claimNextJob(this.deps.db, this.deps.leaseSeconds)
      } catch (err) {
        if (this.deps.availability.noteFailure(err)) {
          // The outage is logged once (availability); look again as soon as the database answers.
          worker.woken = await this.deps.availability.waitUntilUp(OUTAGE_WAIT_MS)
        } else {
          this.deps.log.error({ err }, 'a worker could not fetch a job; it looks again when woken')
        }
        continue
      }
      if (!claim) continue
      worker.busy = true
      this.wakeOneWorker()
      try {
        await runJob(this.deps, claim, claimedAt)
      } catch (err) {
        // The job's own row owns its retry: it stays running until its lease is over, then it is due again (once: the claim fences it).
        if (!this.deps.availability.noteFailure(err)) this.deps.log.error({ err, jobId: claim.job.id }, 'sync job handler crashed; the job runs again when its lease is over')
      } finally {
        worker.busy = false
      }
      // With a backlog, fetch again at once.
      worker.woken = true
    }
  }

  /** Stops taking jobs; the jobs in hand get STOP_WAIT_MS to finish (else their leases run out and they run again). */
  async stop(): Promise<void> {
    this.stopping = true
    if (this.housekeeping) clearInterval(this.housekeeping)
    if (this.polling) clearInterval(this.polling)
    await this.deps.wakeUp?.stop()
    for (const worker of this.workers) wake(worker)
    let timer: NodeJS.Timeout | undefined
    await Promise.race([Promise.all(this.workers.map((w) => w.loop)), new Promise((resolve) => (timer = setTimeout(resolve, STOP_WAIT_MS)))])
    clearTimeout(timer)
    this.workers = []
  }

  /**
   * Every 10 s: due pulls start (a job whose worker died needs nothing here: it is due again once
   * its lease is over). Retention (old exchange bodies, old events, stale pacing rows) works in
   * days, so it runs at the first pass and then once every RETENTION_EVERY_MS: each of its
   * statements scans its table (exchanges has no index to find the bodies still kept), and on the
   * embedded database a scan holds every other client while it runs. Once a minute (autovacuum's
   * own naptime) the tables past autovacuum's thresholds are vacuumed and analyzed when no
   * autovacuum serves the database — always so on the embedded one (src/db/maintenance.ts). `now`
   * is the clock that decides what is due.
   */
  async housekeep(now: number = Date.now()): Promise<void> {
    try {
      await this.startDuePulls()
      if (now - this.maintainedAt >= MAINTENANCE_EVERY_MS) {
        this.maintainedAt = now
        const done = await vacuumWhereDue(this.deps.db)
        if (done.vacuumed.length + done.analyzed.length > 0) this.deps.log.info(done, 'vacuumed and analyzed the tables that were due (no autovacuum serves this database)')
      }
      if (now - this.retentionRanAt < RETENTION_EVERY_MS) return
      await pruneExchangeBodies(this.deps.db, this.deps.bodyRetentionDays)
      await pruneEvents(this.deps.db, this.deps.bodyRetentionDays)
      await this.deps.db.deleteFrom('rate_limits').where('updated_at', '<', new Date(Date.now() - 24 * 3600_000)).execute()
      this.retentionRanAt = now
    } catch (err) {
      if (this.deps.availability.noteFailure(err)) return
      this.deps.log.warn({ err }, 'housekeeping failed; it runs again shortly')
    }
  }
}

function wake(worker: Worker): void {
  worker.woken = true
  worker.wake?.()
}

function sleepUntilWoken(worker: Worker, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, timeoutMs)
    timer.unref()
    function done() {
      clearTimeout(timer)
      worker.wake = null
      resolve()
    }
    worker.wake = done
  })
}

/** How often a worker process looks for tables to vacuum where no autovacuum runs (see Engine.housekeep). */
export const MAINTENANCE_EVERY_MS = 60_000

/** How often a worker process prunes what the retention settings let go (see Engine.housekeep). */
export const RETENTION_EVERY_MS = 10 * 60_000

interface EngineOptions {
  concurrency: number
  /** The fallback: how often an idle worker looks for work when no wake-up reached it. */
  pollSeconds: number
  bodyRetentionDays: number
  /** Wakes the workers when a job is committed in any process (none: the local nudge and polling). */
  wakeUp?: JobWakeUp
}

/** The queue as the /metrics gauges show it (src/observability/metrics.ts). */
export async function readQueue(db: Db): Promise<QueueSnapshot> {
  const jobs = await db
    .selectFrom('sync_jobs')
    .select(['state', 'connection_id', db.fn.countAll<number>().as('n'), db.fn.min<Date>('created_at').as('oldest')])
    .where('state', 'in', ['queued', 'running', 'retrying'])
    .groupBy(['state', 'connection_id'])
    .execute()
  const connections = await db.selectFrom('connections').select(['id', 'connector']).execute()
  return { jobs: jobs.map((j) => ({ state: j.state, connectionId: j.connection_id, count: Number(j.n), oldest: j.oldest })), connections }
}
