import { sql } from 'kysely'
import type { Db } from '../db/database.js'
import { getConnector } from '../connectors/registry.js'
import { patientPushRefusal } from '../connectors/connector.js'
import { ConflictError, NotFoundError, UnsupportedError } from '../errors.js'
import { enqueueJob } from './jobs.js'
import { ensureLink, getLink, holderOf, toLinkView, updateLink, type LinkView } from './links.js'

export interface LinkTarget {
  /** The record the EMR holds for this patient; null clears the link so the next push creates one. */
  externalId: string | null
  mrn?: string | null
}

export interface LinkChange {
  before: LinkView | null
  after: LinkView
  jobId: string
}

/**
 * F5: a person settles a link the hub could not — links the patient to a record the EMR already
 * holds (one of the candidates ECW named on 201), or clears a stale link (the EMR record is gone)
 * so that the push creates the patient again. A push to that connection follows in the same
 * transaction. Two CRM patients never share one EMR record.
 */
export async function setPatientLink(
  db: Db,
  options: { organizationId: string; patientId: string; connectionId: string; target: LinkTarget },
): Promise<LinkChange> {
  const { organizationId, patientId, connectionId, target } = options
  return db.transaction().execute(async (trx) => {
    const connection = await trx.selectFrom('connections').select(['connector']).where('id', '=', connectionId).where('organization_id', '=', organizationId).executeTakeFirst()
    if (!connection) throw new NotFoundError('Connection')
    const connector = getConnector(connection.connector)
    if (!connector) throw new UnsupportedError(`No connector "${connection.connector}" is installed`)
    const refusal = patientPushRefusal(connector)
    if (refusal) throw new UnsupportedError(refusal)
    const patient = await trx.selectFrom('patients').select('id').where('id', '=', patientId).where('organization_id', '=', organizationId).executeTakeFirst()
    if (!patient) throw new NotFoundError('Patient')

    // The same lock a worker takes to claim a job of this record: no claim slips in between.
    await sql`select pg_advisory_xact_lock(hashtext(${`${connectionId}:${patientId}`}))`.execute(trx)
    const running = await trx
      .selectFrom('sync_jobs')
      .select('id')
      .where('connection_id', '=', connectionId)
      .where('record_type', '=', 'patient')
      .where('record_id', '=', patientId)
      .where('state', '=', 'running')
      .executeTakeFirst()
    if (running) throw new ConflictError(`A push of this patient to ${connector.title} is running (job ${running.id}); change the link when it has finished`)

    if (target.externalId !== null) {
      const holder = await holderOf(trx, { connectionId, recordType: 'patient', externalId: target.externalId, exceptRecordId: patientId })
      if (holder) throw new ConflictError(`${connector.title} record ${target.externalId} is already linked to patient ${holder}`)
    }

    const existing = await getLink(trx, 'patient', patientId, connectionId)
    const link = existing ?? (await ensureLink(trx, { organizationId, recordType: 'patient', recordId: patientId, connectionId, connector: connection.connector }))
    await updateLink(trx, link.id, {
      external_id: target.externalId,
      external_mrn: target.externalId === null ? null : (target.mrn ?? null),
      state: target.externalId === null ? 'pending' : 'partial',
      message: target.externalId === null ? 'link cleared by hand; the push finds the patient in the EMR or creates it' : `linked by hand to ${target.externalId}; the push updates it`,
      // What both sides last agreed on belonged to the old record.
      synced_values: null,
      synced_version: null,
      emr_updated_at: null,
      cleared_at: target.externalId === null ? new Date() : null,
    })

    // A push waiting to retry worked on the old record: it ends here and a fresh one replaces it.
    await trx
      .updateTable('sync_jobs')
      .set({
        state: 'failed',
        lease_until: null,
        finished_at: new Date(),
        updated_at: new Date(),
        last_error: JSON.stringify({ code: 'superseded', message: 'The link was changed by hand; a new push replaced this one' }),
      })
      .where('connection_id', '=', connectionId)
      .where('record_type', '=', 'patient')
      .where('record_id', '=', patientId)
      .where('state', '=', 'retrying')
      .execute()
    const job = await enqueueJob(trx, { organizationId, connectionId, kind: 'push_patient', recordType: 'patient', recordId: patientId })
    const after = await getLink(trx, 'patient', patientId, connectionId)
    return { before: existing ? toLinkView(existing) : null, after: toLinkView(after!), jobId: job.id }
  })
}
