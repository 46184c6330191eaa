import { patientPushRefusal, type PatientPushInput, type PushFlow } from '../connectors/connector.js'
import { ConnectorError } from '../connectors/errors.js'
import type { RunnableConnection } from '../connections/connections.js'
import { getPatientWithAccount } from '../crm/patients.js'
import type { PushRecordType } from './push.js'
import { recordSync } from './sync.js'

/** Patients (job kind `push_patient`): the patient with its parent account; syncs reconcile both sides (F16). */
export const patientPush: PushRecordType<PatientPushInput> = {
  recordType: 'patient',
  flowOf({ connector }) {
    const refusal = patientPushRefusal(connector)
    if (refusal) throw new ConnectorError({ code: 'unsupported', message: refusal, retryable: false })
    return connector.flows.pushPatient as PushFlow<PatientPushInput, unknown, unknown>
  },
  async load(deps, job, connection) {
    const found = await getPatientWithAccount(deps.db, job.organization_id, job.record_id!)
    if (!found) throw new ConnectorError({ code: 'record_missing', message: 'The patient no longer exists in the CRM', retryable: false })
    return { input: { patient: found.patient, account: found.account, mapping: connection.mapping }, version: found.patient.version }
  },
  sharedExternalId: sharedRecordRefusal,
  storeSync: (trx, deps, job, connection, linkId, patientId, sync) => recordSync(deps, { job, connectionId: connection.row.id, linkId, patientId, sync }, trx),
  // Most syncs (a push's always) only move the link's common ground: what recordSync's storeCommonGround writes.
  syncOnLink: (sync) =>
    sync.conflicts.length === 0 && Object.keys(sync.crmChanges).length === 0
      ? { synced_values: JSON.stringify(sync.values), emr_updated_at: sync.emrUpdatedAt ? new Date(sync.emrUpdatedAt) : null }
      : null,
  // F19: linked for the first time with this record, or to another one: announced once.
  linkedEvent({ job, connection, recordId, externalId, firstSync, otherRecord }) {
    if (!externalId || !(firstSync || otherRecord)) return null
    return {
      organizationId: job.organization_id,
      type: 'patient.linked',
      data: { patientId: recordId, connectionId: connection.row.id, connector: connection.connector.kind, externalId, via: 'push' },
    }
  },
}

/**
 * F5: a record the EMR found for this patient (e.g. ECW's 202) may already be linked to another
 * CRM patient — the same person entered twice in the CRM. That is for a person to settle.
 */
function sharedRecordRefusal(connection: RunnableConnection, externalId: string, holder: string): ConnectorError {
  return new ConnectorError({
    code: 'duplicate_link',
    message: `${connection.connector.title} patient ${externalId} is already linked to CRM patient ${holder}: the CRM seems to hold this person twice; merge them, or link this one to another record (PUT /api/patients/{id}/links/{connectionId})`,
    retryable: false,
    details: { externalId, linkedTo: holder },
  })
}
