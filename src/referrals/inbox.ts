import { z } from 'zod'
import { sql, type Selectable } from 'kysely'
import type { DbOrTx } from '../db/database.js'
import type { Database, ReferralStatus } from '../db/schema.js'
import { applyCursor, toPage, type Page } from '../db/cursor.js'
import { getPath } from '../mapping/paths.js'

type ReferralRow = Selectable<Database['referrals']>

export const ReferralFilter = z
  .object({
    status: z.enum(['open', 'accepted', 'converted'], { error: 'status must be open, accepted or converted' }).optional(),
    connectionId: z.string().uuid('connectionId must be the id of the referral network connection').optional(),
    q: z.string().trim().min(1).max(100).optional().describe("search: part of the registrant's name, the requester's organization or the network's referral id"),
    cursor: z.string().max(200).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
  })
  .strict()

export interface ReferralListItem {
  id: string
  status: ReferralStatus
  sourceConnectionId: string
  externalId: string
  serviceListingId: string | null
  sourceStatus: string | null
  sourceSubStatus: string | null
  registrantName: string
  requesterOrganization: string | null
  destination: 'crm' | 'crms'
  destinationConnectionId: string | null
  patientId: string | null
  acceptedAt: string | null
  acceptedBy: string | null
  version: number
  createdAt: string
  updatedAt: string
}

export interface ReferralDetail extends ReferralListItem {
  fields: Record<string, unknown>
  note: string
  appointments: unknown[]
  messages: unknown[]
  attachments: { id: string; position: number; kind: 'summary' | 'attachment'; filename: string; contentType: string; sizeBytes: number; sha256: string }[]
  events: { eventId: string; trigger: string; occurredAt: string | null; receivedAt: string; outcome: 'applied' | 'ignored'; reason: string | null; exchangeId: string | null }[]
  /** Where the delivery to the destination connection (CRMS) stands, from its link. */
  delivery: { connectionId: string; state: string; externalId: string | null; message: string | null } | null
}

/** The CRM referral inbox (F3), most recently changed first. */
export async function listReferrals(db: DbOrTx, organizationId: string, filter: z.output<typeof ReferralFilter>): Promise<Page<ReferralListItem>> {
  let query = db.selectFrom('referrals').selectAll().where('organization_id', '=', organizationId)
  if (filter.status) query = query.where('status', '=', filter.status)
  if (filter.connectionId) query = query.where('source_connection_id', '=', filter.connectionId)
  if (filter.q) {
    const pattern = `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
    query = query.where(
      sql<boolean>`concat_ws(' ', fields#>>'{registrant,firstName}', fields#>>'{registrant,middleName}', fields#>>'{registrant,lastName}', fields#>>'{requester,organization}', external_id) ilike ${pattern}`,
    )
  }
  const rows = await applyCursor(query, { cursor: filter.cursor, limit: filter.limit, timeColumn: 'updated_at' }).execute()
  return toPage(rows, filter.limit, (r) => ({ at: r.updated_at, id: r.id }), toListItem)
}

export async function getReferralRow(db: DbOrTx, organizationId: string, id: string): Promise<ReferralRow | undefined> {
  return db.selectFrom('referrals').selectAll().where('id', '=', id).where('organization_id', '=', organizationId).executeTakeFirst()
}

export async function referralDetail(db: DbOrTx, row: ReferralRow): Promise<ReferralDetail> {
  const [attachments, events, link] = await Promise.all([
    db
      .selectFrom('referral_attachments')
      .select(['id', 'position', 'kind', 'filename', 'content_type', 'size_bytes', 'sha256'])
      .where('referral_id', '=', row.id)
      .orderBy('position')
      .execute(),
    db.selectFrom('referral_events').selectAll().where('referral_id', '=', row.id).orderBy('received_at').orderBy('id').execute(),
    row.destination_connection_id
      ? db
          .selectFrom('links')
          .select(['connection_id', 'state', 'external_id', 'message'])
          .where('record_type', '=', 'referral')
          .where('record_id', '=', row.id)
          .where('connection_id', '=', row.destination_connection_id)
          .executeTakeFirst()
      : Promise.resolve(undefined),
  ])
  return {
    ...toListItem(row),
    fields: row.fields,
    note: row.note,
    appointments: row.appointments,
    messages: row.messages,
    attachments: attachments.map((a) => ({ id: a.id, position: a.position, kind: a.kind, filename: a.filename, contentType: a.content_type, sizeBytes: a.size_bytes, sha256: a.sha256 })),
    events: events.map((e) => ({
      eventId: e.event_id,
      trigger: e.trigger,
      occurredAt: e.occurred_at?.toISOString() ?? null,
      receivedAt: e.received_at.toISOString(),
      outcome: e.outcome,
      reason: e.reason,
      exchangeId: e.exchange_id,
    })),
    delivery: row.destination_connection_id
      ? { connectionId: row.destination_connection_id, state: link?.state ?? 'pending', externalId: link?.external_id ?? null, message: link?.message ?? null }
      : null,
  }
}

/** A referral's file by its position (1 is the summary PDF) or by its id (stable: the summary is remade in place). */
export async function getAttachment(db: DbOrTx, referralId: string, which: number | string) {
  return db
    .selectFrom('referral_attachments')
    .select(['position', 'kind', 'filename', 'content_type', 'size_bytes', 'data'])
    .where('referral_id', '=', referralId)
    .where(typeof which === 'number' ? 'position' : 'id', '=', which)
    .executeTakeFirst()
}

function toListItem(row: ReferralRow): ReferralListItem {
  const text = (path: string) => {
    const value = getPath(row.fields, path)
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : null
  }
  return {
    id: row.id,
    status: row.status,
    sourceConnectionId: row.source_connection_id,
    externalId: row.external_id,
    serviceListingId: row.service_listing_id,
    sourceStatus: row.source_status,
    sourceSubStatus: row.source_sub_status,
    registrantName: [text('registrant.firstName'), text('registrant.middleName'), text('registrant.lastName')].filter(Boolean).join(' '),
    requesterOrganization: text('requester.organization'),
    destination: row.destination,
    destinationConnectionId: row.destination_connection_id,
    patientId: row.patient_id,
    acceptedAt: row.accepted_at?.toISOString() ?? null,
    acceptedBy: row.accepted_by,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  }
}
