import { randomUUID } from 'node:crypto'
import type { Db } from '../db/database.js'
import type { Queue } from '../db/queue.js'
import type { InboundEvent, InboundRefusal, InboundRequest } from '../connectors/connector.js'
import { loadRunnableConnection } from '../connections/connections.js'
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
  deps: { db: Db; box: SecretBox; queue: Queue },
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

  const answer = await deps.db.transaction().execute(async (trx) => {
    const accepted: { eventId: string; type: string; jobId: string | null; note?: string }[] = []
    const duplicates: { eventId: string; type: string; firstReceivedAt: string }[] = []
    let patientId: string | null = null
    for (const event of dedupe(parsed.events)) {
      const inserted = await trx
        .insertInto('inbound_events')
        .values({ id: randomUUID(), organization_id: row.organization_id, connection_id: row.id, connector: row.connector, event_id: event.id, event_type: event.type })
        .onConflict((oc) => oc.columns(['connection_id', 'event_id']).doNothing())
        .returning('id')
        .executeTakeFirst()
      if (!inserted) {
        const first = await trx.selectFrom('inbound_events').select('received_at').where('connection_id', '=', row.id).where('event_id', '=', event.id).executeTakeFirstOrThrow()
        duplicates.push({ eventId: event.id, type: event.type, firstReceivedAt: first.received_at.toISOString() })
        continue
      }
      if (event.work.kind === 'ignore') {
        accepted.push({ eventId: event.id, type: event.type, jobId: null, note: event.work.reason })
        continue
      }
      if (event.work.kind !== 'pull_record') throw new Error(`No inbound work of kind "${event.work.kind}" is applied yet`)
      const { recordType, externalId } = event.work
      // Jobs of a linked record run one at a time with its pushes (the record lock).
      const link = await trx.selectFrom('links').select('record_id').where('connection_id', '=', row.id).where('record_type', '=', recordType).where('external_id', '=', externalId).executeTakeFirst()
      patientId = link?.record_id ?? patientId
      const job = await enqueueJob(trx, deps.queue, {
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
      ...accepted.map((a) => `${a.type} ${a.eventId}: ${a.jobId ? `pull queued (job ${a.jobId})` : `nothing to do (${a.note})`}`),
      ...duplicates.map((d) => `${d.type} ${d.eventId}: duplicate of the event received at ${d.firstReceivedAt}, nothing done`),
    ].join('; ')
    const exchangeId = await record(trx, {
      status,
      message,
      answer: body,
      details: { events: parsed.events.map((e) => ({ id: e.id, type: e.type, work: e.work })) },
      scope: { syncJobId: accepted.find((a) => a.jobId)?.jobId ?? null, recordType: patientId ? 'patient' : null, recordId: patientId },
    })
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

/** One body may repeat an event: it counts once. */
function dedupe(events: InboundEvent[]): InboundEvent[] {
  return [...new Map(events.map((e) => [e.id, e])).values()]
}
