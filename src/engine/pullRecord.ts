import { ConnectorError } from '../connectors/errors.js'
import type { RunnableConnection } from '../connections/connections.js'
import { buildConnectorContext } from './context.js'
import type { SyncJobRow } from './jobs.js'
import { saveJobProgressInfo } from './jobs.js'
import { storePage, type PullProgress, type ResourceProgress, type StoreOptions } from './pull.js'
import { pushTargets } from '../connections/connections.js'
import type { EngineDeps } from './runner.js'
import type { LeaseKeeper } from './leaseKeeper.js'

/**
 * Pulls one record by the system's id (job kind `pull_record`), e.g. after its webhook said the
 * record changed: the connector reads it, and it is stored exactly as a pull would store it —
 * matched by its link, reconciled field by field (F16), or listed as waiting (F15).
 */
export async function runPullRecord(deps: EngineDeps, job: SyncJobRow, connection: RunnableConnection, keeper: LeaseKeeper): Promise<void> {
  const { connector } = connection
  const flow = connector.flows.pullRecord
  if (!flow) throw new ConnectorError({ code: 'unsupported', message: `${connector.title} cannot read one record by its id`, retryable: false })
  const input = job.input as { recordType?: unknown; externalId?: unknown } | null
  if (input?.recordType !== 'patient' || typeof input.externalId !== 'string') {
    throw new ConnectorError({ code: 'bad_job', message: 'This job names no patient to pull (input.recordType "patient" and input.externalId)', retryable: false })
  }
  const ctx = buildConnectorContext(deps, connection, { organizationId: job.organization_id, syncJobId: job.id, recordType: job.record_type, recordId: job.record_id, attempt: job.attempts })
  const items = await flow.fetch(ctx, { recordType: 'patient', externalId: input.externalId }, connection.mapping)
  keeper.check()

  const state: ResourceProgress = { pages: 1, records: items.length, total: items.length, created: 0, updated: 0, unchanged: 0, skipped: 0, waiting: 0, unmapped: 0, done: false }
  const progress: PullProgress = { resources: { patient: state }, current: 'patient', cursor: null, problems: [] }
  const otherTargets = (await pushTargets(deps.db, job.organization_id, 'patient')).filter((t) => t.id !== connection.row.id)
  const options: StoreOptions = { pushElsewhere: otherTargets.length > 0, importUnmatched: connector.flows.pull?.importsUnmatched?.(connection.settings) ?? true }
  // The record and the progress that says so commit together, as a pull's page does.
  await deps.db.transaction().execute(async (trx) => {
    await storePage(deps, trx, job, connection, 'patient', { items, next: null }, state, progress, options)
    state.done = true
    await saveJobProgressInfo(trx, keeper.lease, progress as unknown as Record<string, unknown>, { progressed: true })
  })
}
