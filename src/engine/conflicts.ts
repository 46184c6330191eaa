import type { Selectable } from 'kysely'
import type { Db, DbOrTx } from '../db/database.js'
import type { Database } from '../db/schema.js'
import { getPatient, updatePatient } from '../crm/patients.js'
import { ConflictError, InputError, NotFoundError } from '../errors.js'
import { toPatientPatch } from './sync.js'

type ConflictRow = Selectable<Database['conflicts']>

export interface ConflictView {
  id: string
  patientId: string
  connectionId: string
  field: string
  crmValue: unknown
  emrValue: unknown
  baseValue: unknown
  rule: string
  winner: 'crm' | 'emr'
  jobId: string | null
  detectedAt: string
  reviewedAt: string | null
  reviewedBy: string | null
  kept: 'crm' | 'emr' | null
}

export function toConflictView(row: ConflictRow): ConflictView {
  return {
    id: row.id,
    patientId: row.patient_id,
    connectionId: row.connection_id,
    field: row.field,
    crmValue: row.crm_value,
    emrValue: row.emr_value,
    baseValue: row.base_value,
    rule: row.rule,
    winner: row.winner,
    jobId: row.sync_job_id,
    detectedAt: row.detected_at.toISOString(),
    reviewedAt: row.reviewed_at?.toISOString() ?? null,
    reviewedBy: row.reviewed_by,
    kept: row.kept,
  }
}

/**
 * F16: a person reviews a conflict the rule settled. Keeping the winner only closes it; keeping
 * the loser writes that value to the CRM patient now, and the change goes to every EMR as any
 * other change does (the EMR that lost wins back through its push, since only the CRM changed).
 */
export async function reviewConflict(
  db: Db,
  patientChanged: (trx: DbOrTx, organizationId: string, patientId: string) => Promise<unknown>,
  options: { organizationId: string; conflictId: string; keep: 'crm' | 'emr' | undefined; reviewer: string },
): Promise<ConflictView> {
  return db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('conflicts').selectAll().where('id', '=', options.conflictId).where('organization_id', '=', options.organizationId).forUpdate().executeTakeFirst()
    if (!row) throw new NotFoundError('Conflict')
    if (row.reviewed_at) throw new ConflictError(`This conflict was already reviewed by ${row.reviewed_by} at ${row.reviewed_at.toISOString()}`)
    const keep = options.keep ?? row.winner
    if (keep !== row.winner) {
      const patient = await getPatient(trx, options.organizationId, row.patient_id)
      if (!patient) throw new NotFoundError('Patient')
      const value = keep === 'crm' ? row.crm_value : row.emr_value
      const patch = toPatientPatch({ [row.field]: value }, patient)
      if (!patch) throw new InputError('keep', `${JSON.stringify(value)} is not a value the CRM accepts for ${row.field}: change the patient instead`)
      await updatePatient(trx, options.organizationId, patient.id, patch)
      await patientChanged(trx, options.organizationId, patient.id)
    }
    const reviewed = await trx
      .updateTable('conflicts')
      .set({ reviewed_at: new Date(), reviewed_by: options.reviewer, kept: keep })
      .where('id', '=', row.id)
      .returningAll()
      .executeTakeFirstOrThrow()
    return toConflictView(reviewed)
  })
}
