import { newId } from '../db/ids.js'
import type { Db } from '../db/database.js'
import type { InboundEvent, InboundRefusal, InboundRequest, ReferralDestination } from '../connectors/connector.js'
import { loadRunnableConnection } from '../connections/connections.js'
import { ConnectorError } from '../connectors/errors.js'
import { NotFoundError } from '../errors.js'
import { checkAttachments, type CheckedAttachment } from '../referrals/attachments.js'
import { importReferral, recordIgnoredEvent } from '../referrals/import.js'
import { CRM_INBOX_REQUIREMENTS, unmetRequirement, type ReferralRequirements } from '../referrals/validate.js'
import { recordInbound, type ExchangeScope } from '../exchanges/recorder.js'
import type { SecretBox } from '../security/secrets.js'
import { enqueueJob } from './jobs.js'

/** What the hub answers the sender. */
export interface InboundAnswer {
  status: number
  body: Record<string, unknown>
}

/**
 * The inbound door, the mirror of the outbound one, for any connector with an `inbound` side:
 * the connector verifies the call on its raw bytes and reads its events; each event id is
 * applied once (a unique key per connection); the work an event asks for is queued in the same
 * transaction that records it; and every call — refused, duplicate or accepted — is an exchange
 * in the integration log with direction `inbound`.
 */
export async function receiveInbound(
  deps: { db: Db; box: SecretBox },
  target: { connector: string; connectionId: string },
  request: InboundRequest,
): Promise<InboundAnswer> {
  const started = performance.now()
  const row = await deps.db.selectFrom('connections').select(['id', 'connector', 'organization_id', 'enabled']).where('id', '=', target.connectionId).executeTakeFirst()
  if (!row || row.connector !== target.connector) return { status: 404, body: { error: 'not_found', message: `No ${target.connector} connection ${target.connectionId}` } }
  const connection = await loadRunnableConnection(deps.db, deps.box, row.id)
  const inbound = connection.connector.inbound
  if (!inbound) return { status: 404, body: { error: 'not_found', message: `${connection.connector.title} does not call the hub` } }

  const info = { id: row.id, name: connection.row.name, baseUrl: connection.row.base_url, settings: connection.settings, secrets: connection.secrets }
  const scope: ExchangeScope = { organizationId: row.organization_id, connectionId: row.id, connector: row.connector, syncJobId: null, recordType: null, recordId: null, attempt: 1 }
  const record = (db: Parameters<typeof recordInbound>[0], outcome: { status: number; message: string; answer: Record<string, unknown>; details?: Record<string, unknown>; scope?: Partial<ExchangeScope> }) =>
    recordInbound(db, { ...scope, ...outcome.scope }, {
      operation: 'webhook',
      method: request.method,
      url: request.url,
      headers: request.headers,
      rawBody: request.rawBody.toString('utf8'),
      startedAt: request.receivedAt,
      durationMs: Math.round(performance.now() - started),
      httpStatus: outcome.status,
      message: outcome.message,
      answer: outcome.answer,
      details: outcome.details,
    })
  const refuse = async (refusal: InboundRefusal): Promise<InboundAnswer> => {
    const answer = refusal.body ?? { error: refusal.code, message: refusal.message }
    await record(deps.db, { status: refusal.status, message: `refused (${refusal.code}): ${refusal.message}`, answer })
    return { status: refusal.status, body: answer }
  }

  if (!row.enabled) return refuse({ status: 403, code: 'connection_disabled', message: 'This connection is disabled in the hub: enable it to receive events' })
  const verdict = inbound.verify(request, info)
  if (verdict) return refuse(verdict)
  const parsed = inbound.parse(request, info, connection.mapping)
  if (!parsed.ok) return refuse(parsed.refusal)
  const events = dedupe(parsed.events)

  // Referrals are checked before anything is stored (F23): what their destination requires, and
  // their files by their bytes. A refusal names the field or file, for the sender to fix and resend.
  const checked = new Map<string, CheckedAttachment[]>()
  const pending = await notYetReceived(deps.db, row.id, events)
  for (const event of pending) {
    if (event.work.kind !== 'import_referral') continue
    const open = await deps.db
      .selectFrom('referrals')
      .select('status')
      .where('source_connection_id', '=', row.id)
      .where('external_id', '=', event.work.referral.externalId)
      .executeTakeFirst()
    // An accepted referral takes no more updates: its event is recorded as ignored, never refused.
    if (open && open.status !== 'open') continue
    const requirements = await destinationRequirements(deps, row.organization_id, event.work.destination)
    if (!requirements.ok) return refuse(requirements.refusal)
    const unmet = unmetRequirement(event.work.referral.fields, requirements.list)
    if (unmet) return refuse({ status: 400, code: 'referral_incomplete', message: unmet, body: { message: unmet } })
    const files = await checkAttachments(event.work.referral.attachments)
    if (!files.ok) return refuse({ status: 400, code: 'attachment_refused', message: files.message, body: { message: files.message } })
    checked.set(event.id, files.attachments)
  }

  const answer = await deps.db.transaction().execute(async (trx) => {
    const accepted: { eventId: string; type: string; jobId: string | null; note?: string; referralId?: string }[] = []
    const duplicates: { eventId: string; type: string; firstReceivedAt: string }[] = []
    const referralEvents: string[] = []
    let patientId: string | null = null
    let referralId: string | null = null
    for (const event of events) {
      const inserted = await trx
        .insertInto('inbound_events')
        .values({ id: newId(), organization_id: row.organization_id, connection_id: row.id, connector: row.connector, event_id: event.id, event_type: event.type })
        .onConflict((oc) => oc.columns(['connection_id', 'event_id']).doNothing())
        .returning('id')
        .executeTakeFirst()
      if (!inserted) {
        const first = await trx.selectFrom('inbound_events').select('received_at').where('connection_id', '=', row.id).where('event_id', '=', event.id).executeTakeFirstOrThrow()
        duplicates.push({ eventId: event.id, type: event.type, firstReceivedAt: first.received_at.toISOString() })
        continue
      }
      if (event.work.kind === 'ignore') {
        if (event.work.externalReferralId) {
          const history = await recordIgnoredEvent(trx, {
            organizationId: row.organization_id,
            connectionId: row.id,
            eventId: event.id,
            trigger: event.type,
            externalReferralId: event.work.externalReferralId,
            reason: event.work.reason,
          })
          referralEvents.push(history.referralEventId)
          referralId = history.referralId ?? referralId
        }
        accepted.push({ eventId: event.id, type: event.type, jobId: null, note: `ignored: ${event.work.reason}` })
        continue
      }
      if (event.work.kind === 'import_referral') {
        const attachments = checked.get(event.id)
        // Received between the check and this transaction by another call: checked now.
        const files = attachments ? { ok: true as const, attachments } : await checkAttachments(event.work.referral.attachments)
        const result = await importReferral(trx, {
          organizationId: row.organization_id,
          connectionId: row.id,
          connector: connection.connector.kind,
          source: connection.connector.title,
          eventId: event.id,
          trigger: event.work.trigger,
          referral: event.work.referral,
          attachments: files.ok ? files.attachments : [],
          destination: event.work.destination,
        })
        referralEvents.push(result.referralEventId)
        referralId = result.referralId
        if (result.jobId) await trx.updateTable('inbound_events').set({ sync_job_id: result.jobId }).where('id', '=', inserted.id).execute()
        const note =
          result.outcome === 'ignored'
            ? `ignored: ${result.reason}`
            : `referral ${result.created ? 'imported' : 'updated'} (${result.referralId})${result.jobId ? `, delivery queued (job ${result.jobId})` : ''}`
        accepted.push({ eventId: event.id, type: event.type, jobId: result.jobId, note, referralId: result.referralId })
        continue
      }
      const { recordType, externalId } = event.work
      // Jobs of a linked record run one at a time with its pushes (the record lock).
      const link = await trx.selectFrom('links').select('record_id').where('connection_id', '=', row.id).where('record_type', '=', recordType).where('external_id', '=', externalId).executeTakeFirst()
      patientId = link?.record_id ?? patientId
      const job = await enqueueJob(trx, {
        organizationId: row.organization_id,
        connectionId: row.id,
        kind: 'pull_record',
        recordType,
        recordId: link?.record_id ?? null,
        input: { recordType, externalId, eventId: event.id, eventType: event.type },
      })
      await trx.updateTable('inbound_events').set({ sync_job_id: job.id }).where('id', '=', inserted.id).execute()
      accepted.push({ eventId: event.id, type: event.type, jobId: job.id })
    }
    const body = { received: accepted.length + duplicates.length, accepted, duplicates }
    const status = accepted.length > 0 ? 202 : 200
    const message = [
      ...accepted.map((a) => `${a.type} ${a.eventId}: ${a.referralId || a.note?.startsWith('ignored') ? a.note : a.jobId ? `pull queued (job ${a.jobId})` : `nothing to do (${a.note})`}`),
      ...duplicates.map((d) => `${d.type} ${d.eventId}: duplicate of the event received at ${d.firstReceivedAt}, nothing done`),
    ].join('; ')
    const exchangeId = await record(trx, {
      status,
      message,
      answer: body,
      details: { events: parsed.events.map((e) => ({ id: e.id, type: e.type, work: workForLog(e.work) })) },
      scope: {
        syncJobId: accepted.find((a) => a.jobId)?.jobId ?? null,
        recordType: referralId ? 'referral' : patientId ? 'patient' : null,
        recordId: referralId ?? patientId,
      },
    })
    if (referralEvents.length > 0) await trx.updateTable('referral_events').set({ exchange_id: exchangeId }).where('id', 'in', referralEvents).execute()
    const ids = parsed.events.map((e) => e.id)
    await trx
      .updateTable('inbound_events')
      .set({ exchange_id: exchangeId })
      .where('connection_id', '=', row.id)
      .where('event_id', 'in', ids)
      .where('exchange_id', 'is', null)
      .execute()
    return { status, body }
  })
  return answer
}

/** The events whose ids this connection has not received yet (the others are answered as duplicates). */
async function notYetReceived(db: Db, connectionId: string, events: InboundEvent[]): Promise<InboundEvent[]> {
  if (events.length === 0) return events
  const seen = await db.selectFrom('inbound_events').select('event_id').where('connection_id', '=', connectionId).where('event_id', 'in', events.map((e) => e.id)).execute()
  const ids = new Set(seen.map((r) => r.event_id))
  return events.filter((e) => !ids.has(e.id))
}

/**
 * What a referral must carry for its destination: the CRM inbox's required fields and, for a
 * referral bound for a connection (CRMS), that connector's required fields through its field map.
 * A destination that cannot be read is the receiving organization's fault, not the sender's: 503.
 */
async function destinationRequirements(
  deps: { db: Db; box: SecretBox },
  organizationId: string,
  destination: ReferralDestination,
): Promise<{ ok: true; list: ReferralRequirements[] } | { ok: false; refusal: InboundRefusal }> {
  if (destination.kind === 'crm') return { ok: true, list: [CRM_INBOX_REQUIREMENTS] }
  const unavailable = (why: string): { ok: false; refusal: InboundRefusal } => {
    const message = `The receiving organization cannot take referrals now: ${why}. Resend later.`
    return { ok: false, refusal: { status: 503, code: 'destination_unavailable', message, body: { message } } }
  }
  try {
    const target = await loadRunnableConnection(deps.db, deps.box, destination.connectionId)
    if (target.row.organization_id !== organizationId) return unavailable('the destination connection set on this connection does not exist')
    if (!target.connector.flows.pushReferral) return unavailable(`${target.connector.title} does not take referrals`)
    return { ok: true, list: [CRM_INBOX_REQUIREMENTS, { catalog: target.connector.fields, fieldMap: target.mapping.fieldMap, system: target.connector.title }] }
  } catch (err) {
    if (err instanceof ConnectorError) return unavailable(`its ${destination.connectionId} connection needs attention (${err.message})`)
    if (err instanceof NotFoundError) return unavailable('the destination connection set on this connection does not exist')
    throw err
  }
}

/**
 * What the log keeps of an event's work: a referral's files by name and size, not their bytes
 * (they are stored once, with the referral), and not the payload again (the request body has it).
 */
function workForLog(work: InboundEvent['work']): unknown {
  if (work.kind !== 'import_referral') return work
  const { attachments, source: _source, ...referral } = work.referral
  return { ...work, referral: { ...referral, attachments: attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, sizeBytes: a.data.length })) } }
}

/** One body may repeat an event: it counts once. */
function dedupe(events: InboundEvent[]): InboundEvent[] {
  return [...new Map(events.map((e) => [e.id, e])).values()]
}
