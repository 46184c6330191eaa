import { z } from 'zod'
import type { Selectable } from 'kysely'
import type { DbOrTx } from '../db/database.js'
import type { Database } from '../db/schema.js'
import { applyCursor, toPage, type Page } from '../db/cursor.js'
import { phiKeysOf, redactPhi, redactPhiText } from '../security/redact.js'
import { getConnector } from '../connectors/registry.js'

type ExchangeRow = Selectable<Database['exchanges']>

export const ExchangeFilter = z
  .object({
    patientId: z.string().uuid().optional(),
    referralId: z.string().uuid().optional(),
    connectionId: z.string().uuid().optional(),
    jobId: z.string().uuid().optional(),
    status: z.enum(['ok', 'error']).optional(),
    direction: z.enum(['outbound', 'inbound']).optional(),
    operation: z.string().max(40).optional(),
    since: z.iso.datetime({ offset: true, error: 'since must be an ISO 8601 date-time' }).optional().describe('exchanges started at or after'),
    until: z.iso.datetime({ offset: true, error: 'until must be an ISO 8601 date-time' }).optional().describe('exchanges started before'),
    cursor: z.string().max(200).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
  })
  .strict()

export interface ExchangeSummary {
  id: string
  connectionId: string | null
  connector: string
  direction: 'outbound' | 'inbound'
  operation: string
  status: 'ok' | 'error'
  httpStatus: number | null
  message: string | null
  attempts: number
  recordType: string | null
  recordId: string | null
  jobId: string | null
  startedAt: string
  durationMs: number
}

export interface ExchangeDetail extends ExchangeSummary {
  method: string | null
  url: string | null
  /** Request headers as sent (or, inbound, as received), credentials masked. */
  requestHeaders: Record<string, string> | null
  requestBody: unknown
  responseBody: unknown
  details: Record<string, unknown> | null
  replayOf: string | null
  bodiesPrunedAt: string | null
  redacted: boolean
}

/** The integration log, newest first (F18). */
export async function listExchanges(db: DbOrTx, organizationId: string, filter: z.output<typeof ExchangeFilter>): Promise<Page<ExchangeSummary>> {
  let query = db.selectFrom('exchanges').selectAll().where('organization_id', '=', organizationId)
  if (filter.patientId) query = query.where('record_type', '=', 'patient').where('record_id', '=', filter.patientId)
  if (filter.referralId) query = query.where('record_type', '=', 'referral').where('record_id', '=', filter.referralId)
  if (filter.connectionId) query = query.where('connection_id', '=', filter.connectionId)
  if (filter.jobId) query = query.where('sync_job_id', '=', filter.jobId)
  if (filter.status) query = query.where('status', '=', filter.status)
  if (filter.operation) query = query.where('operation', '=', filter.operation)
  if (filter.direction) query = query.where('direction', '=', filter.direction)
  if (filter.since) query = query.where('started_at', '>=', new Date(filter.since))
  if (filter.until) query = query.where('started_at', '<', new Date(filter.until))
  const rows = await applyCursor(query, { cursor: filter.cursor, limit: filter.limit, timeColumn: 'started_at' }).execute()
  return toPage(rows, filter.limit, (r) => ({ at: r.started_at, id: r.id }), toSummary)
}

/** One exchange with its bodies; PHI is redacted unless the reader may see it. */
export async function getExchange(db: DbOrTx, organizationId: string, id: string, options: { showPhi: boolean }): Promise<ExchangeDetail | null> {
  const row = await db.selectFrom('exchanges').selectAll().where('id', '=', id).where('organization_id', '=', organizationId).executeTakeFirst()
  if (!row) return null
  const job = row.sync_job_id
    ? await db.selectFrom('sync_jobs').select('replay_of').where('id', '=', row.sync_job_id).executeTakeFirst()
    : undefined
  // The common PHI key names, plus the PHI fields of this connector's catalog.
  const phiKeys = options.showPhi ? undefined : phiKeysOf(getConnector(row.connector)?.fields ?? [])
  const body = (text: string | null) => {
    const visible = options.showPhi ? text : redactPhiText(text, phiKeys)
    if (visible === null) return null
    try {
      return JSON.parse(visible)
    } catch {
      return visible
    }
  }
  return {
    ...toSummary(row),
    method: row.method,
    url: row.url,
    requestHeaders: row.request_headers,
    requestBody: body(row.request_body),
    responseBody: body(row.response_body),
    details: options.showPhi || !row.details ? row.details : redactPhi(row.details, phiKeys),
    replayOf: job?.replay_of ?? null,
    bodiesPrunedAt: row.bodies_pruned_at?.toISOString() ?? null,
    redacted: !options.showPhi,
  }
}

function toSummary(row: ExchangeRow): ExchangeSummary {
  return {
    id: row.id,
    connectionId: row.connection_id,
    connector: row.connector,
    direction: row.direction,
    operation: row.operation,
    status: row.status,
    httpStatus: row.http_status,
    message: row.message,
    attempts: row.attempt,
    recordType: row.record_type,
    recordId: row.record_id,
    jobId: row.sync_job_id,
    startedAt: row.started_at.toISOString(),
    durationMs: row.duration_ms,
  }
}
