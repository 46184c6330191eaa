import { sql } from 'kysely'
import type { PulledItem } from '../connectors/connector.js'
import type { DbOrTx } from '../db/database.js'

/**
 * What a pull leaves out, kept where an admin can see it: records the system holds but that may
 * not be pulled yet (F15, KIPU before admission), and pulled values that no value map translates
 * (F8: never written to the CRM raw).
 */

/** Lists (or refreshes) the records waiting; returns how many this page held. */
export async function noteWaiting(db: DbOrTx, connectionId: string, items: Extract<PulledItem, { type: 'waiting' }>[]): Promise<number> {
  const unique = [...new Map(items.map((i) => [`${i.recordType}:${i.externalId}`, i])).values()]
  if (unique.length === 0) return 0
  await db
    .insertInto('pull_waiting')
    .values(unique.map((i) => ({ connection_id: connectionId, record_type: i.recordType, external_id: i.externalId, label: i.label, missing: JSON.stringify(i.missing) })))
    .onConflict((oc) =>
      oc.columns(['connection_id', 'record_type', 'external_id']).doUpdateSet({ label: sql`excluded.label`, missing: sql`excluded.missing`, last_seen_at: new Date() }),
    )
    .execute()
  return unique.length
}

/** Records pulled at last are no longer waiting. */
export async function forgetWaiting(db: DbOrTx, connectionId: string, externalIds: string[]): Promise<void> {
  if (externalIds.length === 0) return
  await db.deleteFrom('pull_waiting').where('connection_id', '=', connectionId).where('external_id', 'in', externalIds).execute()
}

/** Keeps each pulled value that had no mapping (by field and value, counting sightings); returns how many this page held. */
export async function noteUnmapped(db: DbOrTx, connectionId: string, patients: Extract<PulledItem, { type: 'patient' }>[]): Promise<number> {
  const rows = new Map<string, { connection_id: string; field: string; value: string; value_map: string | null; reason: string; external_id: string }>()
  for (const patient of patients) {
    for (const dropped of patient.unmapped) {
      const value = dropped.value ?? ''
      rows.set(`${dropped.field}\u0000${value}`, {
        connection_id: connectionId,
        field: dropped.field,
        value,
        value_map: dropped.valueMap ?? null,
        reason: dropped.reason,
        external_id: patient.externalId,
      })
    }
  }
  if (rows.size === 0) return 0
  await db
    .insertInto('unmapped_values')
    .values([...rows.values()])
    .onConflict((oc) =>
      oc.columns(['connection_id', 'field', 'value']).doUpdateSet({
        reason: sql`excluded.reason`,
        value_map: sql`excluded.value_map`,
        external_id: sql`excluded.external_id`,
        seen: sql`unmapped_values.seen + 1`,
        last_seen_at: new Date(),
      }),
    )
    .execute()
  return rows.size
}
