import { newId } from '../db/ids.js'
import type { DbOrTx } from '../db/database.js'
import { fixedQuery } from '../db/fixedQuery.js'
import type { SyncOutcome } from '../connectors/connector.js'
import { PatientPatch, getPatient, updatePatient, type Patient } from '../crm/patients.js'
import { setPath } from '../mapping/paths.js'
import type { SyncJobRow } from './jobs.js'
import type { EngineDeps } from './runner.js'
import { emitEvent } from '../events/emit.js'

/**
 * Stores the outcome of a bidirectional sync: the new common ground on the link, each conflict
 * for review (with the losing value), and the fields the EMR won written to the CRM record —
 * which then flow on to the hub's other connections, not back to this one. All in one transaction:
 * `within`, when the caller's step commits its own progress in the same one, else a new one.
 */
export async function recordSync(
  deps: EngineDeps,
  options: { job: Pick<SyncJobRow, 'id' | 'organization_id'>; connectionId: string; linkId: string; patientId: string; sync: SyncOutcome },
  within?: DbOrTx,
): Promise<void> {
  const { job, sync } = options
  const store = async (trx: DbOrTx) => {
    await storeCommonGround(trx, { id: options.linkId, syncedValues: JSON.stringify(sync.values), emrUpdatedAt: sync.emrUpdatedAt ? new Date(sync.emrUpdatedAt) : null, updatedAt: new Date() })
    if (sync.conflicts.length > 0) {
      await trx
        .insertInto('conflicts')
        .values(
          sync.conflicts.map((c) => ({
            id: newId(),
            organization_id: job.organization_id,
            connection_id: options.connectionId,
            patient_id: options.patientId,
            field: c.field,
            crm_value: JSON.stringify(c.crm ?? null),
            emr_value: JSON.stringify(c.emr ?? null),
            base_value: JSON.stringify(c.base ?? null),
            rule: c.rule,
            winner: c.winner,
            sync_job_id: job.id,
          })),
        )
        .execute()
    }
    // Most syncs change nothing in the CRM (a push's always): then the patient need not be read.
    const current = Object.keys(sync.crmChanges).length > 0 ? await getPatient(trx, job.organization_id, options.patientId) : null
    const changes = current ? toPatientPatch(sync.crmChanges, current) : null
    if (changes) {
      await updatePatient(trx, job.organization_id, options.patientId, changes)
      await deps.patientChanged(trx, job.organization_id, options.patientId, options.connectionId)
      // F19: which CRM fields the EMR changed (names only, never the values).
      const link = await trx.selectFrom('links').select(['external_id', 'connector']).where('id', '=', options.linkId).executeTakeFirstOrThrow()
      await emitEvent(trx, {
        organizationId: job.organization_id,
        type: 'patient.updated_from_emr',
        data: { patientId: options.patientId, connectionId: options.connectionId, connector: link.connector, externalId: link.external_id ?? '', changedFields: Object.keys(sync.crmChanges) },
      })
    }
  }
  if (within) await store(within)
  else await deps.db.transaction().execute(store)
}

/**
 * CRM field paths (`address.city`, `customFields.x`) → a patient PATCH. The address is replaced
 * whole by a PATCH, so its other lines come from the current record.
 */
export function toPatientPatch(changes: Record<string, unknown>, current: Patient): ReturnType<typeof PatientPatch.parse> | null {
  const patch: Record<string, unknown> = {}
  for (const [field, value] of Object.entries(changes)) {
    if (field.startsWith('address.') && patch.address === undefined) patch.address = { ...(current.address ?? {}) }
    setPath(patch, field, value)
  }
  if (Object.keys(patch).length === 0) return null
  const parsed = PatientPatch.safeParse(patch)
  return parsed.success ? parsed.data : null
}

// Every sync writes its link's common ground so: the statement is built once (fixedQuery).
const storeCommonGround = fixedQuery((db, link: { id: string; syncedValues: string; emrUpdatedAt: Date | null; updatedAt: Date }) =>
  db.updateTable('links').set({ synced_values: link.syncedValues, emr_updated_at: link.emrUpdatedAt, updated_at: link.updatedAt }).where('id', '=', link.id),
)
