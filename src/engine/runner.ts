import type { Db, DbOrTx } from '../db/database.js'
import type { FlowProgress } from '../connectors/connector.js'
import { ConnectorError, isConnectorError } from '../connectors/errors.js'
import { runnableConnection, type RunnableConnection } from '../connections/connections.js'
import { jobRetries, jobsFinished } from '../observability/metrics.js'
import type { SecretBox } from '../security/secrets.js'
import { recordFailure } from '../exchanges/recorder.js'
import { HeldExchanges } from '../exchanges/held.js'
import { finishJob, isLeaseLost, leaseOf, releaseLapsedJob, scheduleRetry, type ClaimedJob, type JobError, type SyncJobRow } from './jobs.js'
import { LeaseKeeper } from './leaseKeeper.js'
import type { DatabaseAvailability } from '../db/availability.js'
import { runPull } from './pull.js'
import { runPullRecord } from './pullRecord.js'
import { updateLink } from './links.js'
import { runPush } from './push.js'
import { patientPush } from './patientPush.js'
import { referralPush } from './referralPush.js'
import { retryDelayMs, type RetryPolicy } from './retry.js'
import { isCircuitOpen, type CircuitPolicy } from './circuit.js'
import { EVENTS_CONNECTOR, runDeliverEvent } from './deliverEvent.js'
import { emitEvent } from '../events/emit.js'
import { pullCompletedEvent } from './pullEvents.js'

export interface EngineDeps {
  db: Db
  /** Enqueues pushes of a changed patient to every enabled connection except `except` (inside `trx`). */
  patientChanged(trx: DbOrTx, organizationId: string, patientId: string, except?: string): Promise<unknown>
  box: SecretBox
  retry: RetryPolicy
  leaseSeconds: number
  httpTimeoutMs: number
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void; error(obj: object, msg: string): void }
  availability: DatabaseAvailability
  /** Per-connection circuit breaking for jobs' calls (none: every call goes out). */
  circuit?: CircuitPolicy
  /** Connector kinds whose calls are not paced (CAREBRIDGE_UNPACED_CONNECTORS, benchmarks only). */
  unpaced?: readonly string[]
}

/** How long a worker holding a job waits for the database to come back before leaving the job to its lease. */
const OUTAGE_WAIT_MS = 60_000

/**
 * Runs one sync job this worker claimed (claimNextJob; `claimedAt`: when the claim was sent, where
 * the worker's own count of its lease starts): its flow step by step (recording each step's
 * outcome so a retry resumes where it stopped), then settles the job and the link. Every failure ends in one
 * of three places: a scheduled retry, `needs_attention` (a person must fix something), or
 * `failed` (retries exhausted) — each with its reason on the job, the link and the exchange.
 */
export async function runJob(deps: EngineDeps, claim: ClaimedJob, claimedAt: number): Promise<void> {
  const job = claim.job
  const keeper = new LeaseKeeper(deps.db, leaseOf(job), deps.leaseSeconds, claimedAt)
  // A push's calls are logged by its own writes (HeldExchanges); whatever a failure leaves held is written before it settles.
  const held = new HeldExchanges(deps.db)
  let connection: RunnableConnection | null = null
  const connectorName = () => connection?.row.connector ?? (job.kind === 'deliver_event' ? EVENTS_CONNECTOR : 'unknown')
  try {
    // An event delivery concerns no connection. The claim read the connection's version: an unchanged connection is not loaded again.
    if (job.connection_id) connection = await runnableConnection(deps.db, deps.box, job.connection_id, claim.connectionVersion)
    // A push settles its job itself, in the transaction of its last step (or throws).
    let settled = false
    switch (job.kind) {
      case 'deliver_event':
        await runDeliverEvent(deps, job, keeper)
        break
      case 'push_patient':
        await runPush(deps, job, requireConnection(connection), keeper, patientPush, held)
        settled = true
        break
      case 'push_referral':
        await runPush(deps, job, requireConnection(connection), keeper, referralPush, held)
        settled = true
        break
      case 'pull':
        await runPull(deps, job, requireConnection(connection), keeper)
        break
      case 'pull_record':
        await runPullRecord(deps, job, requireConnection(connection), keeper)
        break
      default:
        throw new ConnectorError({ code: 'unknown_job', message: `No flow runs jobs of kind "${job.kind}"`, retryable: false })
    }
    if (!settled) {
      keeper.check()
      settled = await deps.db.transaction().execute(async (trx) => {
        if (!(await finishJob(trx, keeper.lease, 'succeeded'))) return false
        // F19: a finished pull is an event, committed with the job's outcome.
        if (job.kind === 'pull' && connection) await emitEvent(trx, await pullCompletedEvent(trx, job, connection.row))
        return true
      })
    }
    if (settled) jobsFinished.inc({ connector: connectorName(), kind: job.kind, state: 'succeeded' })
  } catch (err) {
    await settleFailure(deps, job, keeper, held, connectorName(), err)
  } finally {
    keeper.stop()
  }
}

function requireConnection(connection: RunnableConnection | null): RunnableConnection {
  if (!connection) throw new ConnectorError({ code: 'bad_job', message: 'This job names no connection', retryable: false })
  return connection
}

async function settleFailure(deps: EngineDeps, job: SyncJobRow, keeper: LeaseKeeper, held: HeldExchanges, connector: string, err: unknown): Promise<void> {
  try {
    // This attempt stopped for want of its lease, between two calls: the job goes back to the
    // queue at once — unless another worker runs it now, which the fence leaves alone; whatever
    // happened here is not ours to record either way, but the calls it made are.
    if (isLeaseLost(err)) {
      await held.flush()
      await deps.db.transaction().execute((trx) => releaseLapsedJob(trx, keeper.lease))
      return
    }
    if (deps.availability.noteFailure(err)) await settleOutage(deps, job, keeper, held, err)
    else {
      // The failure's exchange (the call that failed, which its error names) is in the log before the job says why it stopped.
      await held.flush()
      await settleJobFailure(deps, job, keeper, connector, err)
    }
  } catch (settleError) {
    if (held.size > 0) deps.log.warn({ err: settleError, jobId: job.id, exchanges: held.size }, 'the exchanges of calls this attempt made could not be logged')
    if (isLeaseLost(settleError)) return
    // The database went away while settling: the job stays running until its lease ends, then
    // housekeeping sends it again and it resumes from its saved steps (a started step looks up first).
    if (deps.availability.noteFailure(settleError)) return
    throw settleError
  }
}

/**
 * The database went away under a running job. Not the job's fault and not the EMR's: once the
 * database is back, the job is put back to run again at once, without counting a failure. Steps
 * already recorded as started look up before repeating (the lost-answer rules), so nothing is
 * sent to the EMR twice.
 */
async function settleOutage(deps: EngineDeps, job: SyncJobRow, keeper: LeaseKeeper, held: HeldExchanges, err: unknown): Promise<void> {
  const remaining = Math.min(OUTAGE_WAIT_MS, Math.max(0, deps.leaseSeconds * 1000 - 1000))
  if (!(await deps.availability.waitUntilUp(remaining))) {
    if (held.size > 0) deps.log.warn({ jobId: job.id, exchanges: held.size }, 'the database stayed away: the exchanges of calls this attempt made could not be logged')
    return
  }
  // The calls this attempt made are logged, whether or not it still holds the job.
  await held.flush()
  if (!keeper.held) return
  const error: JobError = { code: 'database_unavailable', message: `The database was unreachable during this attempt (${err instanceof Error ? err.message : String(err)}); resumed when it came back` }
  await deps.db.transaction().execute((trx) => scheduleRetry(trx, keeper.lease, 0, error, { countsAsFailure: false }))
}

/**
 * The connection's circuit is open (the system failed every recent call): the job waits out the
 * pause without spending an attempt and without a log entry per job — the opening is logged once.
 */
async function settleCircuitWait(deps: EngineDeps, job: SyncJobRow, keeper: LeaseKeeper, err: ConnectorError): Promise<void> {
  const delay = (err.retryAfterMs ?? 1000) + Math.round(Math.random() * 500)
  await deps.db.transaction().execute(async (trx) => {
    if (!(await scheduleRetry(trx, keeper.lease, delay, { code: err.code, message: err.message }, { countsAsFailure: false }))) return
    if (job.record_id && job.record_type) {
      const link = await trx.selectFrom('links').select('id').where('record_type', '=', job.record_type).where('record_id', '=', job.record_id).where('connection_id', '=', job.connection_id).executeTakeFirst()
      if (link) await updateLink(trx, link.id, { message: `waiting: ${err.message}` })
    }
  })
}

async function settleJobFailure(deps: EngineDeps, job: SyncJobRow, keeper: LeaseKeeper, connector: string, err: unknown): Promise<void> {
  if (isCircuitOpen(err)) return settleCircuitWait(deps, job, keeper, err)
  const failure = asConnectorError(err)
  if (!isConnectorError(err)) deps.log.error({ err, jobId: job.id }, 'sync job failed unexpectedly')
  const error: JobError = {
    code: failure.code,
    message: failure.message,
    ...(failure.httpStatus ? { httpStatus: failure.httpStatus } : {}),
    ...(typeof failure.details?.exchangeId === 'string' ? { exchangeId: failure.details.exchangeId } : {}),
  }
  // Every failure is in the log with its reason, also one that no call to the system carries.
  if (!error.exchangeId) {
    error.exchangeId = await recordFailure(
      deps.db,
      { organizationId: job.organization_id, connectionId: job.connection_id, connector, syncJobId: job.id, recordType: job.record_type, recordId: job.record_id, attempt: job.attempts },
      { operation: await failedOperation(deps.db, job), message: failure.message, details: { code: failure.code, ...failure.details } },
    )
  }
  const link =
    job.record_id && job.connection_id
      ? await deps.db.selectFrom('links').selectAll().where('record_type', '=', job.record_type).where('record_id', '=', job.record_id).where('connection_id', '=', job.connection_id).executeTakeFirst()
      : undefined

  // Failures are counted, not claims: an attempt cut short by a database outage does not count.
  // A pull moves forward page by page, and a stored page resets the count: it gives up after so
  // many failures in a row without progress, not after so many in all.
  const failures = (await failuresSinceProgress(deps.db, job.id)) + 1
  if (failure.retryable && failures < deps.retry.maxAttempts) {
    const delay = retryDelayMs(deps.retry, failures, failure.retryAfterMs)
    const scheduled = await deps.db.transaction().execute(async (trx) => {
      if (!(await scheduleRetry(trx, keeper.lease, delay, error))) return false
      if (link) await updateLink(trx, link.id, { message: `retry ${failures + 1} of ${deps.retry.maxAttempts} in ${Math.round(delay / 1000)} s: ${failure.message}` })
      return true
    })
    if (scheduled) jobRetries.inc({ connector })
    return
  }
  const state = failure.retryable ? 'failed' : 'needs_attention'
  const reason = failure.retryable
    ? `gave up after ${failures} ${job.kind === 'pull' ? 'failures in a row without progress' : 'attempts'}: ${failure.message}`
    : failure.message
  // The job and its link settle together (with the event saying so): whoever reads one never finds the other behind it.
  const finished = await deps.db.transaction().execute(async (trx) => {
    if (!(await finishJob(trx, keeper.lease, state, { ...error, message: reason }))) return false
    if (!link) return true
    await updateLink(trx, link.id, { state, message: reason })
    // F19: the link waits for a person (or gave up); the event names why by its code only (the message may quote the record).
    await emitEvent(trx, {
      organizationId: job.organization_id,
      type: state === 'failed' ? 'link.failed' : 'link.needs_attention',
      data: {
        recordType: link.record_type,
        recordId: link.record_id,
        ...(link.record_type === 'patient' ? { patientId: link.record_id } : {}),
        connectionId: link.connection_id,
        connector: link.connector,
        externalId: link.external_id,
        jobId: job.id,
        exchangeId: error.exchangeId ?? null,
        code: error.code,
      },
    })
    return true
  })
  if (!finished) return
  jobsFinished.inc({ connector, kind: job.kind, state })
}

async function failuresSinceProgress(db: DbOrTx, jobId: string): Promise<number> {
  const row = await db.selectFrom('sync_jobs').select('failures_since_progress').where('id', '=', jobId).executeTakeFirst()
  return row?.failures_since_progress ?? 0
}

/** The step that was running when the job failed (saved as started before it ran), else the job's kind. */
async function failedOperation(db: DbOrTx, job: SyncJobRow): Promise<string> {
  const row = await db.selectFrom('sync_jobs').select('steps').where('id', '=', job.id).executeTakeFirst()
  const started = Object.keys((row?.steps as unknown as FlowProgress | undefined)?.started ?? {})
  return started.at(-1) ?? (job.kind === 'pull' ? 'pull' : job.kind === 'pull_record' ? 'pull record' : job.kind === 'deliver_event' ? 'deliver' : 'push')
}

function asConnectorError(err: unknown): ConnectorError {
  if (isConnectorError(err)) return err
  // Not the external system's doing (e.g. the database was briefly unavailable): worth another try.
  return new ConnectorError({
    code: 'internal',
    message: `Internal error: ${err instanceof Error ? err.message : String(err)}`,
    retryable: true,
    cause: err,
  })
}
