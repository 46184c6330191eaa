import type { DbOrTx } from '../db/database.js'
import type { FlowProgress, LinkSnapshot, PushFlow, StepContext, SyncOutcome } from '../connectors/connector.js'
import { ConnectorError } from '../connectors/errors.js'
import type { RunnableConnection } from '../connections/connections.js'
import { buildConnectorContext } from './context.js'
import { emptyProgress, saveJobProgressInfo, saveProgress, type SyncJobRow } from './jobs.js'
import type { LeaseKeeper } from './leaseKeeper.js'
import { ensureLink, updateLink } from './links.js'
import type { EngineDeps } from './runner.js'

/**
 * What the step loop needs to know of one record type it pushes (a patient, a referral…): where
 * the connector's flow for it is, how its input is loaded, and what the record type does with the
 * outcomes a step may report. The loop itself — claim, progress per step, lease fence, link
 * updates in the generic `links` table — is the same for every record type.
 */
export interface PushRecordType<Input> {
  recordType: string
  /** The connector's flow for this record type; throws the `unsupported` ConnectorError saying why there is none. */
  flowOf(connection: RunnableConnection): PushFlow<Input, unknown, unknown>
  /** The record as the CRM holds it now, with what hangs off it; throws `record_missing` when it is gone. */
  load(deps: EngineDeps, job: SyncJobRow, connection: RunnableConnection): Promise<{ input: Input; version: number }>
  /** Before an external id a step found or made is kept: e.g. refuse one already linked to another record (F5). */
  checkExternalId?(deps: EngineDeps, connection: RunnableConnection, recordId: string, externalId: string): Promise<void>
  /** Keeps a step's sync outcome (patients: common ground, conflicts, fields the EMR won; others: the link's synced values). */
  storeSync(deps: EngineDeps, job: SyncJobRow, connection: RunnableConnection, linkId: string, recordId: string, sync: SyncOutcome): Promise<void>
  /** The system took the record over (e.g. CRMS accepted the referral): the CRM record says so. */
  acceptedInSystem?(deps: EngineDeps, job: SyncJobRow, connection: RunnableConnection, recordId: string, accepted: { at: string | null; reason: string }): Promise<void>
}

/**
 * Runs one push job: its flow's steps in order, each marked started before it runs (a retry
 * then knows its outcome may be unknown) and done after, skipping what earlier attempts did; the
 * link follows each step's result. A step that reports the record taken over by the system ends
 * the flow there: the remaining steps would only send what the system no longer takes.
 */
export async function runPush<Input>(deps: EngineDeps, job: SyncJobRow, connection: RunnableConnection, keeper: LeaseKeeper, type: PushRecordType<Input>): Promise<void> {
  const { connector } = connection
  const flow = type.flowOf(connection)
  const organizationId = job.organization_id
  const recordId = job.record_id
  if (!recordId) throw new ConnectorError({ code: 'bad_job', message: `This job names no ${type.recordType} to push`, retryable: false })
  const { input, version } = await type.load(deps, job, connection)
  const link = await ensureLink(deps.db, { organizationId, recordType: type.recordType, recordId, connectionId: connection.row.id, connector: connector.kind })

  const progress: FlowProgress = { ...emptyProgress(), ...(job.steps as unknown as FlowProgress) }
  // Steps see progress as earlier attempts left it, not the markers this attempt sets.
  const earlier: FlowProgress = structuredClone(progress)
  const snapshot: LinkSnapshot = { externalId: link.external_id, externalMrn: link.external_mrn, syncedValues: link.synced_values, clearedByHand: link.cleared_at !== null }
  const ctx: StepContext<unknown, unknown> = {
    ...buildConnectorContext(deps, connection, { organizationId, syncJobId: job.id, recordType: type.recordType, recordId, attempt: job.attempts }),
    link: snapshot,
    progress: earlier,
    done: progress.done,
  }

  let outcome: string | null = null
  for (const step of flow.steps) {
    if (progress.done[step.name]) continue
    if (step.skip?.(input, ctx)) continue
    keeper.check()
    // Recorded before the call: if the answer is lost, the next attempt knows this step may have happened.
    progress.started[step.name] = { at: new Date().toISOString(), attempt: job.attempts }
    await saveProgress(deps.db, keeper.lease, progress)
    const result = await step.run(input, ctx)
    if (result.link?.externalId && type.checkExternalId) await type.checkExternalId(deps, connection, recordId, result.link.externalId)
    if (result.link) {
      if (result.link.externalId !== undefined) snapshot.externalId = result.link.externalId
      if (result.link.externalMrn !== undefined) snapshot.externalMrn = result.link.externalMrn
      await updateLink(deps.db, link.id, {
        external_id: snapshot.externalId,
        external_mrn: snapshot.externalMrn,
        ...(snapshot.externalId !== null ? { cleared_at: null } : {}),
        ...(result.link.state ? { state: result.link.state } : {}),
        message: null,
      })
    }
    if (result.sync) await type.storeSync(deps, job, connection, link.id, recordId, result.sync)
    delete progress.started[step.name]
    progress.done[step.name] = { at: new Date().toISOString(), ...(result.output ? { output: result.output } : {}) }
    await saveProgress(deps.db, keeper.lease, progress)
    if (result.acceptedInSystem) {
      if (!type.acceptedInSystem) {
        throw new ConnectorError({ code: 'unsupported', message: `${connector.title} reported the ${type.recordType} taken over, which the hub cannot record for this record type`, retryable: false })
      }
      await type.acceptedInSystem(deps, job, connection, recordId, result.acceptedInSystem)
      outcome = result.acceptedInSystem.reason
      break
    }
  }
  await updateLink(deps.db, link.id, { state: 'linked', message: outcome, synced_version: version, last_synced_at: new Date() })
  if (outcome) await saveJobProgressInfo(deps.db, keeper.lease, { outcome })
}

/** Writes a step's synced values on the link alone (record types with no bidirectional reconciliation). */
export async function storeSyncedValues(db: DbOrTx, linkId: string, sync: SyncOutcome): Promise<void> {
  await db.updateTable('links').set({ synced_values: JSON.stringify(sync.values), updated_at: new Date() }).where('id', '=', linkId).execute()
}
