import { z } from 'zod'
import type { Selectable } from 'kysely'
import type { DbOrTx } from '../db/database.js'
import type { Database } from '../db/schema.js'
import { applyCursor, toPage, type Page } from '../db/cursor.js'
import { REDACTED, phiKeysOf, phiValuesIn, phiValuesUnder, redactPhiDeep, redactPhiInUrl, redactPhiValues } from '../security/redact.js'
import { getConnector } from '../connectors/registry.js'
import { getAccount } from '../crm/accounts.js'
import { getPatients } from '../crm/patients.js'
import { CRM_REFERRAL_FIELDS } from '../crm/referralFields.js'

type ExchangeRow = Selectable<Database['exchanges']>

/** The key names under which a referral's CRM fields hold PHI (`dateOfBirth`, `phoneHome`, `postalCode`…). */
const REFERRAL_PHI_KEYS = phiKeysOf(CRM_REFERRAL_FIELDS)

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

/** The integration log, newest first (F18); for non-admins, PHI is removed from each message. */
export async function listExchanges(
  db: DbOrTx,
  organizationId: string,
  filter: z.output<typeof ExchangeFilter>,
  options: { showPhi: boolean },
): Promise<Page<ExchangeSummary>> {
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
  const page = toPage(rows, filter.limit, (r) => ({ at: r.started_at, id: r.id }), (r) => r)
  if (options.showPhi) return { ...page, items: page.items.map(toSummary) }
  const records = await recordPhi(db, organizationId, page.items)
  return {
    ...page,
    items: page.items.map((row) => {
      const summary = toSummary(row)
      if (summary.message === null) return summary
      const values = new Set([...(records.get(row.record_id ?? '') ?? []), ...phiValuesUnder(connectorPhiKeys(row.connector), ...bodiesOf(row), row.details)])
      return { ...summary, message: redactPhiValues(summary.message, values) }
    }),
  }
}

/**
 * One exchange with its bodies. A non-admin sees it with PHI removed: values under PHI keys in the
 * bodies and details, and — wherever they appear in free text (the message, the URL, an EMR's
 * error text) — the values those keys held and the patient's own (names, birth date, phones,
 * email, address, member ids), also once the bodies were pruned.
 */
export async function getExchange(db: DbOrTx, organizationId: string, id: string, options: { showPhi: boolean }): Promise<ExchangeDetail | null> {
  const row = await db.selectFrom('exchanges').selectAll().where('id', '=', id).where('organization_id', '=', organizationId).executeTakeFirst()
  if (!row) return null
  const job = row.sync_job_id
    ? await db.selectFrom('sync_jobs').select('replay_of').where('id', '=', row.sync_job_id).executeTakeFirst()
    : undefined
  const [requestBody, responseBody] = bodiesOf(row)
  const detail: ExchangeDetail = {
    ...toSummary(row),
    method: row.method,
    url: row.url,
    requestHeaders: row.request_headers,
    requestBody,
    responseBody,
    details: row.details,
    replayOf: job?.replay_of ?? null,
    bodiesPrunedAt: row.bodies_pruned_at?.toISOString() ?? null,
    redacted: !options.showPhi,
  }
  if (options.showPhi) return detail
  // The common PHI key names, plus the PHI fields of this connector's catalog.
  const keys = connectorPhiKeys(row.connector)
  const values = new Set([...((await recordPhi(db, organizationId, [row])).get(row.record_id ?? '') ?? []), ...phiValuesUnder(keys, requestBody, responseBody, row.details)])
  return {
    ...detail,
    message: detail.message === null ? null : redactPhiValues(detail.message, values),
    url: detail.url === null ? null : redactPhiInUrl(detail.url, values),
    requestBody: staffBody(requestBody, values, keys),
    responseBody: staffBody(responseBody, values, keys),
    details: row.details ? redactPhiDeep(row.details, values, keys) : null,
  }
}

function connectorPhiKeys(connector: string): Set<string> {
  return phiKeysOf(getConnector(connector)?.fields ?? [])
}

/** A body that is not JSON cannot be redacted by key: it is withheld whole. */
function staffBody(body: unknown, values: Set<string>, keys: ReadonlySet<string>): unknown {
  if (typeof body === 'string') return body === '' ? body : REDACTED
  return redactPhiDeep(body, values, keys)
}

/** The stored bodies, parsed when they are JSON. */
function bodiesOf(row: Pick<ExchangeRow, 'request_body' | 'response_body'>): [unknown, unknown] {
  const parse = (text: string | null): unknown => {
    if (text === null || text === '') return text === '' ? '' : null
    try {
      return JSON.parse(text)
    } catch {
      return text
    }
  }
  return [parse(row.request_body), parse(row.response_body)]
}

/** The PHI values of the patients these exchanges concern (with their accounts: member ids, subscribers), by patient id. */
async function recordPhi(db: DbOrTx, organizationId: string, rows: Pick<ExchangeRow, 'record_type' | 'record_id'>[]): Promise<Map<string, Set<string>>> {
  const ids = [...new Set(rows.filter((r) => r.record_type === 'patient' && r.record_id).map((r) => r.record_id!))]
  const out = new Map<string, Set<string>>()
  // A referral's registrant (names, birth date, phones, address) wherever the message names them, e.g. in a file name.
  const referralIds = [...new Set(rows.filter((r) => r.record_type === 'referral' && r.record_id).map((r) => r.record_id!))]
  if (referralIds.length > 0) {
    const referrals = await db.selectFrom('referrals').select(['id', 'fields']).where('organization_id', '=', organizationId).where('id', 'in', referralIds).execute()
    for (const referral of referrals) out.set(referral.id, phiValuesUnder(REFERRAL_PHI_KEYS, referral.fields))
  }
  if (ids.length === 0) return out
  const accounts = new Map<string, unknown>()
  for (const patient of await getPatients(db, organizationId, ids)) {
    if (patient.accountId && !accounts.has(patient.accountId)) accounts.set(patient.accountId, await getAccount(db, organizationId, patient.accountId))
    out.set(patient.id, phiValuesIn(patient, patient.accountId ? accounts.get(patient.accountId) : null))
  }
  return out
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
