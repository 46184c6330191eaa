import type { Db, DbOrTx } from '../db/database.js'
import { QUEUES, type Queue } from '../db/queue.js'
import { pushTargets } from '../connections/connections.js'
import { patientIdsOfAccount } from '../crm/patients.js'
import { ConflictError, NotFoundError } from '../errors.js'
import { queueDepth } from '../observability/metrics.js'
import { enqueueJob, redispatchOrphans } from './jobs.js'
import { ensureLink, updateLink } from './links.js'
import { runJob, type EngineDeps } from './runner.js'

/**
 * The sync engine's entry points. Changes enqueue jobs inside the caller's transaction (the
 * outbox); workers run them; housekeeping recovers jobs whose worker died.
 */
export class Engine {
  private workerIds: string[] = []
  private housekeeping: NodeJS.Timeout | null = null

  constructor(private readonly deps: EngineDeps & { concurrency: number; pollSeconds: number; bodyRetentionDays: number }) {}

  /** F11: one push job per enabled connection that can receive patients. Call inside the change's transaction. */
  async patientChanged(trx: DbOrTx, organizationId: string, patientId: string): Promise<string[]> {
    const ids: string[] = []
    for (const target of await pushTargets(trx, organizationId, 'patient')) {
      await ensureLink(trx, { organizationId, recordType: 'patient', recordId: patientId, connectionId: target.id, connector: target.connector })
      const job = await enqueueJob(trx, this.deps.queue, {
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
      if (original.record_id) {
        const link = await trx
          .selectFrom('links')
          .selectAll()
          .where('record_id', '=', original.record_id)
          .where('connection_id', '=', original.connection_id)
          .executeTakeFirst()
        if (link && link.state !== 'linked') {
          await updateLink(trx, link.id, { state: link.external_id ? 'partial' : 'pending', message: 'replay queued' })
        }
      }
      const job = await enqueueJob(trx, this.deps.queue, {
        organizationId,
        connectionId: original.connection_id,
        kind: original.kind as 'push_patient',
        recordType: original.record_type,
        recordId: original.record_id,
        replayOf: original.id,
      })
      return { jobId: job.id }
    }).finally(() => this.nudge())
  }

  /** Wakes idle local workers after a commit, instead of waiting for their next poll. */
  nudge(): void {
    for (const id of this.workerIds) this.deps.queue.notifyWorker(id)
  }

  async startWorkers(): Promise<void> {
    for (let i = 0; i < this.deps.concurrency; i++) {
      let id = ''
      id = await this.deps.queue.work<{ jobId: string }>(
        QUEUES.sync,
        // One job per fetch: pg-boss fails a whole batch together, and jobs fail one by one.
        { batchSize: 1, pollingIntervalSeconds: this.deps.pollSeconds },
        async ([job]) => {
          if (!job) return
          await runJob(this.deps, job.data.jobId)
          // pg-boss waits a polling interval even after finding work; with a backlog, fetch again at once.
          this.deps.queue.notifyWorker(id)
        },
      )
      this.workerIds.push(id)
    }
    await this.runHousekeeping()
    this.housekeeping = setInterval(() => void this.runHousekeeping(), 10_000)
    this.housekeeping.unref()
  }

  async stop(): Promise<void> {
    if (this.housekeeping) clearInterval(this.housekeeping)
    for (const id of this.workerIds) await this.deps.queue.offWork({ id }).catch(() => undefined)
    this.workerIds = []
  }

  private async runHousekeeping(): Promise<void> {
    try {
      await redispatchOrphans(this.deps.db, this.deps.queue, 30)
      await pruneExchangeBodies(this.deps.db, this.deps.bodyRetentionDays)
      await this.deps.db.deleteFrom('rate_limits').where('updated_at', '<', new Date(Date.now() - 24 * 3600_000)).execute()
      await refreshQueueDepth(this.deps.db)
    } catch (err) {
      this.deps.log.warn({ err }, 'housekeeping failed; it runs again shortly')
    }
  }
}

/** Keeps metadata forever but request/response bodies only for the retention period (no unbounded growth). */
async function pruneExchangeBodies(db: Db, days: number): Promise<void> {
  await db
    .updateTable('exchanges')
    .set({ request_body: null, response_body: null, bodies_pruned_at: new Date() })
    .where('started_at', '<', new Date(Date.now() - days * 86_400_000))
    .where('bodies_pruned_at', 'is', null)
    .execute()
}

export async function refreshQueueDepth(db: Db): Promise<void> {
  const rows = await db
    .selectFrom('sync_jobs')
    .select(['state', db.fn.countAll<number>().as('n')])
    .where('state', 'in', ['queued', 'running', 'retrying'])
    .groupBy('state')
    .execute()
  for (const state of ['queued', 'running', 'retrying']) queueDepth.set({ state }, Number(rows.find((r) => r.state === state)?.n ?? 0))
}
