import type { Updateable } from 'kysely'
import type { DbOrTx } from '../db/database.js'
import type { Database } from '../db/schema.js'
import type { FlowProgress, LinkSnapshot, PushFlow, StepContext, SyncOutcome } from '../connectors/connector.js'
import { ConnectorError } from '../connectors/errors.js'
import type { RunnableConnection } from '../connections/connections.js'
import { buildConnectorContext } from './context.js'
import { emptyProgress, finishedJob, isLeaseLost, saveProgress, updateJobWithLink, type ExternalIdClaim, type JobLease, type SyncJobRow } from './jobs.js'
import type { LeaseKeeper } from './leaseKeeper.js'
import { ensureLink, getLink, holderOf } from './links.js'
import type { EngineDeps } from './runner.js'
import type { HeldExchanges } from '../exchanges/held.js'
import { emitEvent, type EventInput } from '../events/emit.js'

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
  /**
   * F5: an external record that another record of this type already links to on the connection is
   * not kept; the error that says so (with `holder`, that record). None: records may share one.
   * Checked by the very statement that would keep the id.
   */
  sharedExternalId?(connection: RunnableConnection, externalId: string, holder: string): ConnectorError
  /**
   * Keeps a step's sync outcome (patients: common ground, conflicts, fields the EMR won; others: the
   * link's synced values), inside `trx`: the transaction that records the step as done.
   */
  storeSync(trx: DbOrTx, deps: EngineDeps, job: SyncJobRow, connection: RunnableConnection, linkId: string, recordId: string, sync: SyncOutcome): Promise<void>
  /**
   * What storeSync would write, as columns of the link, when that is all it writes (nothing for the
   * CRM record, no conflict); null when it needs storeSync. The step's write then keeps it in its
   * one statement, with no transaction around it.
   */
  syncOnLink?(sync: SyncOutcome): LinkColumns | null
  /**
   * The push finished and the link is linked: the event that says so, if any (e.g. for a record
   * linked for the first time, or to another external record: F19), emitted by the write that settles the job.
   */
  linkedEvent?(done: { job: SyncJobRow; connection: RunnableConnection; recordId: string; externalId: string | null; firstSync: boolean; otherRecord: boolean }): EventInput | null
  /** The system took the record over (e.g. CRMS accepted the referral): the CRM record says so, in the transaction that settles the job. */
  acceptedInSystem?(trx: DbOrTx, deps: EngineDeps, job: SyncJobRow, connection: RunnableConnection, recordId: string, accepted: { at: string | null; reason: string }): Promise<void>
}

/** Link columns a step's write sets, its sync outcome's among them. */
export type LinkColumns = Updateable<Database['links']>

/**
 * Runs one push job and settles it: its flow's steps in order, each marked started before it runs
 * (a retry then knows its outcome may be unknown) and done after, skipping what earlier attempts
 * did; the link follows each step's result. A step that reports the record taken over by the
 * system ends the flow there: the remaining steps would only send what the system no longer takes.
 *
 * Each step's outcome is written at once: the link, the synced values, the step's done marker and
 * the next step's started marker (one update of the job), with the exchanges of the step's calls
 * (`held`, see HeldExchanges). The last step's write also links the record, announces it and
 * finishes the job. The job's update is fenced by the lease and the rest hangs on it: a worker
 * that lost its lease changes nothing, the link included — only its calls are logged. Where the
 * record type can say its sync outcome as link columns (syncOnLink) that is one statement; else
 * one transaction, the held exchanges written just before it.
 */
export async function runPush<Input>(deps: EngineDeps, job: SyncJobRow, connection: RunnableConnection, keeper: LeaseKeeper, type: PushRecordType<Input>, held: HeldExchanges): Promise<void> {
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
    ...buildConnectorContext(deps, connection, { organizationId, syncJobId: job.id, recordType: type.recordType, recordId, attempt: job.attempts }, held),
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
  let linkChange: LinkColumns = {}
  let sync: SyncOutcome | null = null
  // The external id the step's outcome would keep, when no other record may hold it (F5).
  let claim: ExternalIdClaim | null = null
  const refuseShared = (heldBy: string | null) => {
    if (heldBy && claim) throw type.sharedExternalId!(connection, claim.externalId, heldBy)
  }
  /** The sync outcome as link columns ({} with none), or null when only storeSync can write it. */
  const syncColumnsOf = (outcome: SyncOutcome | null): LinkColumns | null => (outcome ? (type.syncOnLink?.(outcome) ?? null) : {})
  const stepWrite = (stepSync: SyncOutcome | null): OutcomeWrite => {
    const syncColumns = syncColumnsOf(stepSync)
    return {
      lease: keeper.lease,
      held,
      jobChange: { steps: JSON.stringify(progress), updated_at: new Date() },
      linkId: link.id,
      linkChange,
      claim,
      event: null,
      syncColumns: syncColumns ?? {},
      store: syncColumns === null ? (trx) => type.storeSync(trx, deps, job, connection, link.id, recordId, stepSync!) : null,
    }
  }
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
    claim = result.link?.externalId && type.sharedExternalId ? { connectionId: connection.row.id, recordType: type.recordType, externalId: result.link.externalId, exceptRecordId: recordId } : null
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
        refuseShared(await writeOutcome(deps, stepWrite(sync)))
        throw new ConnectorError({ code: 'unsupported', message: `${connector.title} reported the ${type.recordType} taken over, which the hub cannot record for this record type`, retryable: false })
      }
      accepted = result.acceptedInSystem
      outcome = accepted.reason
      break
    }
    const next = nextStep(index + 1)
    if (next === -1) break
    markStarted(flow.steps[next]!)
    refuseShared(await writeOutcome(deps, stepWrite(sync)))
    linkChange = {}
    sync = null
    claim = null
    index = next
  }

  // The last step's outcome, the link linked, its announcement and the job's end: one statement, or one transaction.
  const finished = finishedJob('succeeded', undefined, { steps: progress, ...(outcome ? { progress: { outcome } } : {}) })
  const settledLink: LinkColumns = { ...linkChange, state: 'linked', message: outcome, synced_version: version, last_synced_at: new Date() }
  // A new link, or one set by hand, has never synced (one a pull matched has); or the record changed.
  const firstSync = link.synced_version === null
  const otherRecord = link.external_id !== null && link.external_id !== snapshot.externalId
  const event = type.linkedEvent?.({ job, connection, recordId, externalId: snapshot.externalId, firstSync, otherRecord }) ?? null
  const lastSync = sync
  const syncColumns = syncColumnsOf(lastSync)
  const finalAccepted = accepted
  refuseShared(
    await writeOutcome(deps, {
      lease: keeper.lease,
      held,
      jobChange: finished,
      linkId: link.id,
      linkChange: settledLink,
      claim,
      event,
      syncColumns: syncColumns ?? {},
      // The system's acceptance, and a sync outcome beyond link columns, are written in a transaction.
      store:
        syncColumns === null || finalAccepted
          ? async (trx) => {
              if (lastSync) await type.storeSync(trx, deps, job, connection, link.id, recordId, lastSync)
              if (finalAccepted) await type.acceptedInSystem!(trx, deps, job, connection, recordId, finalAccepted)
            }
          : null,
    }),
  )
}

/**
 * A step's outcome (or the push's settling) and the job's change, the job's fenced update first,
 * with the exchanges of the step's calls. One statement when nothing needs `store`: the embedded
 * database serves one open transaction at a time, so the round trips of a transaction held
 * everyone else for each step. Else one transaction, the exchanges written just before it.
 * With `claim` (F5), returns the record that already holds the external id, having written
 * nothing but the exchanges; else null.
 */
interface OutcomeWrite {
  lease: JobLease
  held: HeldExchanges
  jobChange: Updateable<Database['sync_jobs']>
  linkId: string
  linkChange: LinkColumns
  /** The external id the link takes, if no other record may hold it. */
  claim: ExternalIdClaim | null
  /** Announced with the write (F19). */
  event: EventInput | null
  /** The sync outcome as link columns, set with the link in the one-statement write. */
  syncColumns: LinkColumns
  /** What only a transaction can write (a sync outcome beyond link columns, the system's acceptance); null: one statement. */
  store: ((trx: DbOrTx) => Promise<void>) | null
}

async function writeOutcome(deps: EngineDeps, write: OutcomeWrite): Promise<string | null> {
  const { lease, held, jobChange, linkId, linkChange, claim, event, store } = write
  if (!store) {
    const { heldBy } = await held.carry(
      (exchanges) => updateJobWithLink(deps.db, lease, jobChange, linkId, { ...linkChange, ...write.syncColumns }, { exchanges, event, unheldExternalId: claim }),
      isLeaseLost,
    )
    return heldBy
  }
  await held.flush()
  const heldBy = claim ? await holderOf(deps.db, claim) : null
  if (heldBy) return heldBy
  await deps.db.transaction().execute(async (trx) => {
    await updateJobWithLink(trx, lease, jobChange, linkId, linkChange)
    await store(trx)
    if (event) await emitEvent(trx, event)
  })
  return null
}

/** Writes a step's synced values on the link alone (record types with no bidirectional reconciliation). */
export async function storeSyncedValues(db: DbOrTx, linkId: string, sync: SyncOutcome): Promise<void> {
  await db.updateTable('links').set(syncedValuesOnLink(sync)).where('id', '=', linkId).execute()
}

/** storeSyncedValues' write as link columns (syncOnLink). */
export function syncedValuesOnLink(sync: SyncOutcome): LinkColumns {
  return { synced_values: JSON.stringify(sync.values), updated_at: new Date() }
}
