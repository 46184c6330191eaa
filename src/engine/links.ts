import { newId } from '../db/ids.js'
import type { Selectable } from 'kysely'
import type { DbOrTx } from '../db/database.js'
import type { Database, LinkState } from '../db/schema.js'
import { fixedQuery } from '../db/fixedQuery.js'

type LinkRow = Selectable<Database['links']>

/** A CRM record's identity in one external system (F5), as the API shows it. */
export interface LinkView {
  connector: string
  connectionId: string
  externalId: string | null
  mrn: string | null
  state: LinkState
  message: string | null
  lastSyncedAt: string | null
  syncedVersion: number | null
}

/** The record's link to the connection, made `pending` if it has none yet (one statement when it is made, two when it was there). */
export async function ensureLink(db: DbOrTx, options: { organizationId: string; recordType: string; recordId: string; connectionId: string; connector: string }): Promise<LinkRow> {
  const made = await db
    .insertInto('links')
    .values({
      id: newId(),
      organization_id: options.organizationId,
      record_type: options.recordType,
      record_id: options.recordId,
      connection_id: options.connectionId,
      connector: options.connector,
      state: 'pending',
    })
    .onConflict((oc) => oc.columns(['record_type', 'record_id', 'connection_id']).doNothing())
    .returningAll()
    .executeTakeFirst()
  return made ?? ((await getLink(db, options.recordType, options.recordId, options.connectionId)) as LinkRow)
}

export async function getLink(db: DbOrTx, recordType: string, recordId: string, connectionId: string): Promise<LinkRow | undefined> {
  return (await linkOf(db, { recordType, recordId, connectionId })).rows[0]
}

// A push job reads its link and may look for another holder: statements built once (fixedQuery).
const linkOf = fixedQuery((db, key: { recordType: string; recordId: string; connectionId: string }) =>
  db.selectFrom('links').selectAll().where('record_type', '=', key.recordType).where('record_id', '=', key.recordId).where('connection_id', '=', key.connectionId),
)

const holderOfRecord = fixedQuery((db, key: { connectionId: string; recordType: string; externalId: string; exceptRecordId: string }) =>
  db
    .selectFrom('links')
    .select('record_id')
    .where('connection_id', '=', key.connectionId)
    .where('record_type', '=', key.recordType)
    .where('external_id', '=', key.externalId)
    .where('record_id', '<>', key.exceptRecordId),
)

export async function updateLink(
  db: DbOrTx,
  id: string,
  change: Partial<{
    external_id: string | null
    external_mrn: string | null
    cleared_at: Date | null
    state: LinkState
    message: string | null
    synced_version: number | null
    synced_values: null
    emr_updated_at: Date | null
    last_synced_at: Date
  }>,
): Promise<void> {
  await db.updateTable('links').set({ ...change, updated_at: new Date() }).where('id', '=', id).execute()
}

/** The CRM record, other than `exceptRecordId`, already linked to this external record (F5: two never share one). */
export async function holderOf(db: DbOrTx, options: { connectionId: string; recordType: string; externalId: string; exceptRecordId: string }): Promise<string | null> {
  const [row] = (await holderOfRecord(db, { connectionId: options.connectionId, recordType: options.recordType, externalId: options.externalId, exceptRecordId: options.exceptRecordId })).rows
  return row?.record_id ?? null
}

export async function linksOf(db: DbOrTx, recordType: string, recordId: string): Promise<LinkView[]> {
  const rows = await db.selectFrom('links').selectAll().where('record_type', '=', recordType).where('record_id', '=', recordId).orderBy('created_at').execute()
  return rows.map(toLinkView)
}

export function toLinkView(row: LinkRow): LinkView {
  return {
    connector: row.connector,
    connectionId: row.connection_id,
    externalId: row.external_id,
    mrn: row.external_mrn,
    state: row.state,
    message: row.message,
    lastSyncedAt: row.last_synced_at?.toISOString() ?? null,
    syncedVersion: row.synced_version,
  }
}
