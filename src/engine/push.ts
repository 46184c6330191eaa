import type { DbOrTx } from '../db/database.js'
import type { FlowProgress, LinkSnapshot, PushFlow, StepContext, SyncOutcome } from '../connectors/connector.js'
import { ConnectorError } from '../connectors/errors.js'
import type { RunnableConnection } from '../connections/connections.js'
import { buildConnectorContext } from './context.js'
import { emptyProgress, finishedJob, saveProgress, updateJobWithLink, type SyncJobRow } from './jobs.js'
import type { LeaseKeeper } from './leaseKeeper.js'
import { ensureLink, getLink, updateLink } from './links.js'
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
  /**
   * Keeps a step's sync outcome (patients: common ground, conflicts, fields the EMR won; others: the
   * link's synced values), inside `trx`: the transaction that records the step as done.
   */
  storeSync(trx: DbOrTx, deps: EngineDeps, job: SyncJobRow, connection: RunnableConnection, linkId: string, recordId: string, sync: SyncOutcome): Promise<void>
  /**
   * The push finished and the link is linked, in the transaction that says so (e.g. an outbound
   * event for a record linked for the first time, or to another external record: F19).
   */
  linked?(trx: DbOrTx, deps: EngineDeps, done: { job: SyncJobRow; connection: RunnableConnection; recordId: string; externalId: string | null; firstSync: boolean; otherRecord: boolean }): Promise<void>
  /** The system took the record over (e.g. CRMS accepted the referral): the CRM record says so, in the transaction that settles the job. */
  acceptedInSystem?(trx: DbOrTx, deps: EngineDeps, job: SyncJobRow, connection: RunnableConnection, recordId: string, accepted: { at: string | null; reason: string }): Promise<void>
}

type LinkChange = Parameters<typeof updateLink>[2]

/**
 * Runs one push job and settles it: its flow's steps in order, each marked started before it runs
 * (a retry then knows its outcome may be unknown) and done after, skipping what earlier attempts
 * did; the link follows each step's result. A step that reports the record taken over by the
 * system ends the flow there: the remaining steps would only send what the system no longer takes.
 *
 * Each step's outcome is written in one transaction: the link, the synced values, the step's done
 * marker and the next step's started marker (one update of the job). The last step's transaction
 * also links the record, announces it and finishes the job. The job's update comes first in each,
 * fenced by the lease: a worker that lost its lease changes nothing, the link included.
 */
export async function runPush<Input>(deps: EngineDeps, job: SyncJobRow, connection: RunnableConnection, keeper: LeaseKeeper, type: PushRecordType<Input>): Promise<void> {
  const { connector } = connection
  const flow = type.flowOf(connection)
  const organizationId = job.organization_id
  const recordId = job.record_id
  if (!recordId) throw new ConnectorError({ code: 'bad_job', message: `This job names no ${type.recordType} to push`, retryable: false })
  const linkKey = { organizationId, recordType: type.recordType, recordId, connectionId: connection.row.id, connector: connector.kind }
  // The record and its link at once: two reads on two connections rather than one after the other.
  const [{ input, version }, found] = await Promise.all([type.load(deps, job, connection), getLink(deps.db, type.recordType, recordId, connection.row.id)])
  // The change that enqueued the job made the link already, nearly always: one read then.
  const link = found ?? (await ensureLink(deps.db, linkKey))

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
  const markStarted = (step: { name: string }) => {
    progress.started[step.name] = { at: new Date().toISOString(), attempt: job.attempts }
  }
  /** The next step from `from` on that has work to do (not done by an earlier attempt, not skipped), judged with the link as it is now. */
  const nextStep = (from: number) => {
    for (let i = from; i < flow.steps.length; i++) {
      const step = flow.steps[i]!
      if (!progress.done[step.name] && !step.skip?.(input, ctx)) return i
    }
    return -1
  }

  let outcome: string | null = null
  let accepted: { at: string | null; reason: string } | null = null
  // What the steps changed on the link, written with the link's settling (the last step's transaction).
  let linkChange: LinkChange = {}
  let sync: SyncOutcome | null = null
  let index = nextStep(0)
  if (index !== -1) {
    keeper.check()
    // Recorded before the call: if the answer is lost, the next attempt knows this step may have happened.
    markStarted(flow.steps[index]!)
    await saveProgress(deps.db, keeper.lease, progress)
  }
  while (index !== -1) {
    const step = flow.steps[index]!
    keeper.check()
    const result = await step.run(input, ctx)
    if (result.link?.externalId && type.checkExternalId) await type.checkExternalId(deps, connection, recordId, result.link.externalId)
    linkChange = {}
    if (result.link) {
      if (result.link.externalId !== undefined) snapshot.externalId = result.link.externalId
      if (result.link.externalMrn !== undefined) snapshot.externalMrn = result.link.externalMrn
      linkChange = {
        external_id: snapshot.externalId,
        external_mrn: snapshot.externalMrn,
        ...(snapshot.externalId !== null ? { cleared_at: null } : {}),
        ...(result.link.state ? { state: result.link.state } : {}),
        message: null,
      }
    }
    sync = result.sync ?? null
    delete progress.started[step.name]
    progress.done[step.name] = { at: new Date().toISOString(), ...(result.output ? { output: result.output } : {}) }
    if (result.acceptedInSystem) {
      if (!type.acceptedInSystem) {
        await recordStep(deps, keeper, progress, link.id, linkChange, (trx) => sync && type.storeSync(trx, deps, job, connection, link.id, recordId, sync), sync !== null)
        throw new ConnectorError({ code: 'unsupported', message: `${connector.title} reported the ${type.recordType} taken over, which the hub cannot record for this record type`, retryable: false })
      }
      accepted = result.acceptedInSystem
      outcome = accepted.reason
      break
    }
    const next = nextStep(index + 1)
    if (next === -1) break
    markStarted(flow.steps[next]!)
    const stepSync = sync
    await recordStep(deps, keeper, progress, link.id, linkChange, (trx) => stepSync && type.storeSync(trx, deps, job, connection, link.id, recordId, stepSync), stepSync !== null)
    linkChange = {}
    sync = null
    index = next
  }

  // The last step's outcome, the link linked, its announcement and the job's end: one transaction.
  const lastSync = sync
  const finalAccepted = accepted
  await deps.db.transaction().execute(async (trx) => {
    const finished = finishedJob('succeeded', undefined, { steps: progress, ...(outcome ? { progress: { outcome } } : {}) })
    await updateJobWithLink(trx, keeper.lease, finished, link.id, { ...linkChange, state: 'linked', message: outcome, synced_version: version, last_synced_at: new Date() })
    if (lastSync) await type.storeSync(trx, deps, job, connection, link.id, recordId, lastSync)
    if (finalAccepted) await type.acceptedInSystem!(trx, deps, job, connection, recordId, finalAccepted)
    // A new link, or one set by hand, has never synced (one a pull matched has); or the record changed.
    const firstSync = link.synced_version === null
    const otherRecord = link.external_id !== null && link.external_id !== snapshot.externalId
    await type.linked?.(trx, deps, { job, connection, recordId, externalId: snapshot.externalId, firstSync, otherRecord })
  })
}

/**
 * A step's outcome and the job's markers (this step done, the next one started) in one transaction,
 * the job's fenced update first. A step with no sync outcome to store (e.g. a create) writes in
 * one statement instead: the embedded database serves one open transaction at a time, so the
 * four round trips of a transaction held everyone else for each step.
 */
async function recordStep(
  deps: EngineDeps,
  keeper: LeaseKeeper,
  progress: FlowProgress,
  linkId: string,
  linkChange: LinkChange,
  storeSync: (trx: DbOrTx) => Promise<void> | null,
  hasSync: boolean,
): Promise<void> {
  if (!hasSync) {
    if (Object.keys(linkChange).length === 0) return saveProgress(deps.db, keeper.lease, progress)
    return updateJobWithLink(deps.db, keeper.lease, { steps: JSON.stringify(progress), updated_at: new Date() }, linkId, linkChange)
  }
  await deps.db.transaction().execute(async (trx) => {
    await saveProgress(trx, keeper.lease, progress)
    if (Object.keys(linkChange).length > 0) await updateLink(trx, linkId, linkChange)
    await storeSync(trx)
  })
}

/** Writes a step's synced values on the link alone (record types with no bidirectional reconciliation). */
export async function storeSyncedValues(db: DbOrTx, linkId: string, sync: SyncOutcome): Promise<void> {
  await db.updateTable('links').set({ synced_values: JSON.stringify(sync.values), updated_at: new Date() }).where('id', '=', linkId).execute()
}
