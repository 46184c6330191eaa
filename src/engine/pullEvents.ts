import { isDeepStrictEqual } from 'node:util'
import { sql } from 'kysely'
import type { DbOrTx } from '../db/database.js'
import type { EventInput } from '../events/emit.js'
import type { SyncJobRow } from './jobs.js'
import type { PullProgress } from './pull.js'

/** `pull.completed` of a pull job, with its counts per resource as saved (read in the transaction that finishes it). */
export async function pullCompletedEvent(trx: DbOrTx, job: Pick<SyncJobRow, 'id' | 'organization_id'>, connection: { id: string; connector: string }): Promise<EventInput<'pull.completed'>> {
  const row = await trx.selectFrom('sync_jobs').select('progress').where('id', '=', job.id).executeTakeFirst()
  const progress = (row?.progress ?? null) as PullProgress | null
  const resources = Object.fromEntries(
    Object.entries(progress?.resources ?? {}).map(([name, r]) => [
      name,
      { records: r?.records ?? 0, created: r?.created ?? 0, updated: r?.updated ?? 0, unchanged: r?.unchanged ?? 0, waiting: r?.waiting ?? 0 },
    ]),
  )
  return { organizationId: job.organization_id, type: 'pull.completed', data: { connectionId: connection.id, connector: connection.connector, jobId: job.id, resources } }
}

/**
 * Whether an enabled subscription of the organization wants events of `type`, read in the
 * transaction that would emit them, as emitEvents reads the subscriptions: a pull with nobody
 * listening skips building them — for insurance.pulled a look-up of each stored Coverage of the
 * page (500 index probes a page) to announce what emitEvents would then drop.
 */
export async function anyoneWants(trx: DbOrTx, organizationId: string, type: EventInput['type']): Promise<boolean> {
  const { rows } = await sql<{ wanted: boolean }>`
    select exists (
      select 1 from event_subscriptions where organization_id = ${organizationId}::uuid and enabled and events @> ${JSON.stringify([type])}::jsonb
    ) as wanted`.execute(trx)
  return rows[0]?.wanted === true
}

/**
 * `insurance.pulled` per linked patient whose pulled insurance is new or changed (compared with
 * what is stored, inside the transaction that stores it): unchanged insurance, pulled again by
 * every census, announces nothing. Insurance of a patient not linked yet waits for its link.
 */
export async function insurancePulledEvents(
  trx: DbOrTx,
  scope: { organizationId: string; connectionId: string; connector: string },
  items: { externalId: string; patientExternalId: string; data: Record<string, unknown> }[],
  patientIds: Map<string, string>,
): Promise<EventInput<'insurance.pulled'>[]> {
  const linked = items.filter((i) => patientIds.has(i.patientExternalId))
  if (linked.length === 0) return []
  // One primary-key probe per id, whatever the table's statistics (see patientLinksByExternalId in pull.ts).
  const stored = new Map(
    (
      await sql<{ external_id: string; data: Record<string, unknown>; patient_id: string | null }>`
        select s.external_id, s.data, s.patient_id
        from unnest(${linked.map((i) => i.externalId)}::text[]) as wanted(external_id)
        cross join lateral (
          select external_id, data, patient_id from emr_insurances
          where connection_id = ${scope.connectionId}::uuid and external_id = wanted.external_id
          limit 1
        ) s`.execute(trx)
    ).rows.map((r) => [r.external_id, r]),
  )
  const byPatient = new Map<string, { externalId: string; added: Set<string>; changed: Set<string> }>()
  for (const item of linked) {
    const before = stored.get(item.externalId)
    const patientId = patientIds.get(item.patientExternalId)!
    const change = !before || before.patient_id !== patientId ? 'added' : isDeepStrictEqual(before.data, item.data) ? null : 'changed'
    if (!change) continue
    const entry = byPatient.get(patientId) ?? { externalId: item.patientExternalId, added: new Set(), changed: new Set() }
    entry[change].add(item.externalId)
    byPatient.set(patientId, entry)
  }
  return [...byPatient].map(([patientId, entry]) => ({
    organizationId: scope.organizationId,
    type: 'insurance.pulled',
    data: { patientId, connectionId: scope.connectionId, connector: scope.connector, externalId: entry.externalId, added: entry.added.size, changed: entry.changed.size },
  }))
}
