import { createHash } from 'node:crypto'
import { newId } from '../db/ids.js'
import { isDeepStrictEqual } from 'node:util'
import { sql } from 'kysely'
import type { DbOrTx } from '../db/database.js'
import type { InboundReferral, ReferralDestination } from '../connectors/connector.js'
import { enqueueJob } from '../engine/jobs.js'
import { emitReferralImported } from '../events/emit.js'
import type { CheckedAttachment } from './attachments.js'
import { buildReferralNote } from './note.js'
import { renderReferralSummary, type ReferralSummary } from './summaryPdf.js'

export interface ReferralImport {
  organizationId: string
  connectionId: string
  /** The network connection's connector kind (e.g. `caredove`), for the event it announces. */
  connector: string
  /** The network's name for the PDF header (e.g. "Caredove"). */
  source: string
  eventId: string
  trigger: string
  referral: InboundReferral
  /** The referral's attachments as checked by their bytes. */
  attachments: CheckedAttachment[]
  destination: ReferralDestination
}

export interface ReferralImportResult {
  referralId: string
  referralEventId: string
  outcome: 'applied' | 'ignored'
  reason: string | null
  created: boolean
  /** The delivery queued to the destination connection (CRMS), if any. */
  jobId: string | null
}

export type AppointmentEntry = ReferralSummary['appointments'][number] & { eventId: string }

/**
 * Applies one network event to the CRM referral inbox, inside the caller's transaction (the one
 * that records the event id, so an event is applied once). One referral per (connection, external
 * id), never a second; its fields, note, status, appointments (with their history) and messages
 * follow each event until the referral is accepted (F24) — after that, and for an event older
 * than the last one applied, the event is recorded as ignored with the reason. Attachments are
 * stored once (by sha256 and file name); the summary PDF at position 1 is made again; a referral
 * bound for a destination connection gets its delivery queued.
 */
export async function importReferral(trx: DbOrTx, input: ReferralImport): Promise<ReferralImportResult> {
  const { referral } = input
  const destinationConnectionId = input.destination.kind === 'connection' ? input.destination.connectionId : null
  const inserted = await trx
    .insertInto('referrals')
    .values({
      id: newId(),
      organization_id: input.organizationId,
      source_connection_id: input.connectionId,
      external_id: referral.externalId,
      service_listing_id: referral.serviceListingId,
      fields: JSON.stringify({}),
      source: JSON.stringify({}),
      appointments: JSON.stringify([]),
      messages: JSON.stringify([]),
      destination: destinationConnectionId ? 'crms' : 'crm',
      destination_connection_id: destinationConnectionId,
      version: 0,
    })
    .onConflict((oc) => oc.columns(['source_connection_id', 'external_id']).doNothing())
    .returning('id')
    .executeTakeFirst()
  // Locked: events of one referral apply one after another, whichever worker receives them.
  const row = await trx
    .selectFrom('referrals')
    .selectAll()
    .where('source_connection_id', '=', input.connectionId)
    .where('external_id', '=', referral.externalId)
    .forUpdate()
    .executeTakeFirstOrThrow()

  const recordEvent = async (outcome: 'applied' | 'ignored', reason: string | null) => {
    const id = newId()
    await trx
      .insertInto('referral_events')
      .values({
        id,
        organization_id: input.organizationId,
        connection_id: input.connectionId,
        referral_id: row.id,
        external_referral_id: referral.externalId,
        event_id: input.eventId,
        trigger: input.trigger,
        occurred_at: referral.occurredAt ? new Date(referral.occurredAt) : null,
        outcome,
        reason,
      })
      .execute()
    return id
  }
  const ignored = async (reason: string): Promise<ReferralImportResult> => ({
    referralId: row.id,
    referralEventId: await recordEvent('ignored', reason),
    outcome: 'ignored',
    reason,
    created: false,
    jobId: null,
  })

  if (row.status !== 'open') {
    const where = row.accepted_by === 'crms' ? 'in CRMS' : 'in the CRM'
    return ignored(`the referral was accepted ${where}${row.accepted_at ? ` at ${row.accepted_at.toISOString()}` : ''}: later updates are not applied`)
  }
  if (referral.occurredAt) {
    const latest = await trx
      .selectFrom('referral_events')
      .select(sql<Date | null>`max(occurred_at)`.as('at'))
      .where('referral_id', '=', row.id)
      .where('outcome', '=', 'applied')
      .executeTakeFirst()
    if (latest?.at && new Date(latest.at).getTime() > Date.parse(referral.occurredAt)) {
      return ignored(`the event occurred at ${referral.occurredAt}, before the last one applied (${new Date(latest.at).toISOString()}): the referral keeps the newer data`)
    }
  }

  const referralEventId = await recordEvent('applied', null)
  const appointments = nextAppointments(row.appointments as AppointmentEntry[], input)
  await trx
    .updateTable('referrals')
    .set({
      service_listing_id: referral.serviceListingId,
      source_status: referral.status,
      source_sub_status: referral.subStatus,
      fields: JSON.stringify(referral.fields),
      note: buildReferralNote(referral.unmapped, referral.messages),
      source: JSON.stringify(referral.source),
      appointments: JSON.stringify(appointments),
      messages: JSON.stringify(referral.messages),
      destination: destinationConnectionId ? 'crms' : 'crm',
      destination_connection_id: destinationConnectionId,
      version: sql<number>`version + 1`,
      updated_at: new Date(),
    })
    .where('id', '=', row.id)
    .execute()

  await storeAttachments(trx, row.id, input.attachments)
  await storeSummary(trx, row.id, input, appointments)

  const job = destinationConnectionId
    ? await enqueueJob(trx, { organizationId: input.organizationId, connectionId: destinationConnectionId, kind: 'push_referral', recordType: 'referral', recordId: row.id })
    : null
  // F19: a referral new to the inbox is announced once (its later updates are not).
  if (inserted) {
    await emitReferralImported(trx, {
      organizationId: input.organizationId,
      data: { referralId: row.id, connectionId: input.connectionId, connector: input.connector, externalId: referral.externalId, trigger: input.trigger },
    })
  }
  return { referralId: row.id, referralEventId, outcome: 'applied', reason: null, created: inserted !== undefined, jobId: job?.id ?? null }
}

/**
 * The appointment history: an entry whenever the event's appointment differs from the last one
 * kept (booked, rescheduled), and an unbooked entry when Rescheduled/Unbooked comes without one.
 */
export function nextAppointments(history: AppointmentEntry[], input: Pick<ReferralImport, 'eventId' | 'trigger' | 'referral'>): AppointmentEntry[] {
  const last = history.at(-1)
  const appointment = input.referral.appointment
  const common = { trigger: input.trigger, eventId: input.eventId, occurredAt: input.referral.occurredAt }
  if (!appointment) {
    if (input.trigger === 'rescheduled_unbooked' && last && last.status !== 'unbooked') {
      return [...history, { ...common, start: last.start, durationMinutes: last.durationMinutes, location: last.location, providerFullName: last.providerFullName, status: 'unbooked' }]
    }
    return history
  }
  const next = { start: appointment.start, durationMinutes: appointment.durationMinutes, location: appointment.location, providerFullName: appointment.providerFullName, status: appointment.status }
  if (last) {
    const kept = { start: last.start, durationMinutes: last.durationMinutes, location: last.location, providerFullName: last.providerFullName, status: last.status }
    if (isDeepStrictEqual(kept, next)) return history
    // A changed time after a booking is a reschedule, whatever the sender called it.
    if (next.status === 'booked' && last.status !== 'unbooked' && last.start !== next.start) next.status = 'rescheduled'
  }
  return [...history, { ...common, ...next }]
}

/** The referral's files after the summary, in arrival order; a file already held (same name and bytes) is not stored twice. */
async function storeAttachments(trx: DbOrTx, referralId: string, attachments: CheckedAttachment[]): Promise<void> {
  if (attachments.length === 0) return
  const held = await trx.selectFrom('referral_attachments').select(['position', 'filename', 'sha256']).where('referral_id', '=', referralId).execute()
  const seen = new Set(held.map((a) => `${a.sha256}/${a.filename}`))
  let position = Math.max(1, ...held.map((a) => a.position))
  for (const attachment of attachments) {
    const key = `${attachment.sha256}/${attachment.filename}`
    if (seen.has(key)) continue
    seen.add(key)
    position += 1
    await trx
      .insertInto('referral_attachments')
      .values({
        id: newId(),
        referral_id: referralId,
        position,
        kind: 'attachment',
        filename: attachment.filename,
        content_type: attachment.contentType,
        size_bytes: attachment.data.length,
        sha256: attachment.sha256,
        data: attachment.data,
      })
      .execute()
  }
}

/** The Referral Summary PDF, made again from the referral as it now stands, at position 1. */
async function storeSummary(trx: DbOrTx, referralId: string, input: ReferralImport, appointments: AppointmentEntry[]): Promise<void> {
  const [files, events] = await Promise.all([
    trx.selectFrom('referral_attachments').select(['filename', 'content_type', 'size_bytes']).where('referral_id', '=', referralId).where('kind', '=', 'attachment').orderBy('position').execute(),
    trx.selectFrom('referral_events').select(['trigger', 'occurred_at', 'received_at', 'outcome', 'reason']).where('referral_id', '=', referralId).orderBy('received_at').orderBy('id').execute(),
  ])
  const { referral } = input
  const pdf = await renderReferralSummary({
    source: input.source,
    externalId: referral.externalId,
    serviceListingId: referral.serviceListingId,
    sourceStatus: referral.status,
    sourceSubStatus: referral.subStatus,
    fields: referral.fields,
    unmapped: referral.unmapped,
    appointments,
    messages: referral.messages,
    attachments: files.map((f) => ({ filename: f.filename, contentType: f.content_type, sizeBytes: f.size_bytes })),
    events: events.map((e) => ({ trigger: e.trigger, occurredAt: e.occurred_at?.toISOString() ?? null, receivedAt: e.received_at.toISOString(), outcome: e.outcome, reason: e.reason })),
    generatedAt: new Date(),
  })
  const values = {
    kind: 'summary' as const,
    filename: `referral-summary-${referral.externalId.replace(/[^A-Za-z0-9_-]+/g, '_')}.pdf`,
    content_type: 'application/pdf',
    size_bytes: pdf.length,
    sha256: createHash('sha256').update(pdf).digest('hex'),
    data: pdf,
  }
  await trx
    .insertInto('referral_attachments')
    .values({ id: newId(), referral_id: referralId, position: 1, ...values })
    .onConflict((oc) => oc.columns(['referral_id', 'position']).doUpdateSet({ ...values, created_at: new Date() }))
    .execute()
}

/** Records an event that imports nothing (a trigger or listing the connection does not take) in the referral's history, when the referral is known. */
export async function recordIgnoredEvent(
  trx: DbOrTx,
  input: { organizationId: string; connectionId: string; eventId: string; trigger: string; externalReferralId: string; reason: string },
): Promise<{ referralId: string | null; referralEventId: string }> {
  const referral = await trx.selectFrom('referrals').select('id').where('source_connection_id', '=', input.connectionId).where('external_id', '=', input.externalReferralId).executeTakeFirst()
  const id = newId()
  await trx
    .insertInto('referral_events')
    .values({
      id,
      organization_id: input.organizationId,
      connection_id: input.connectionId,
      referral_id: referral?.id ?? null,
      external_referral_id: input.externalReferralId,
      event_id: input.eventId,
      trigger: input.trigger,
      outcome: 'ignored',
      reason: input.reason,
    })
    .execute()
  return { referralId: referral?.id ?? null, referralEventId: id }
}
