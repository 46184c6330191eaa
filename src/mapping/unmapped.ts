import { sql, type RawBuilder } from 'kysely'
import type { Connector, ResolvedMapping } from '../connectors/connector.js'
import type { DbOrTx } from '../db/database.js'
import { isCrmPatientField } from './crmFields.js'

/**
 * The CRM values a connection's value maps do not translate yet, as they occur in the data —
 * so an admin fills exactly the entries that matter (F8), before a push leaves them out.
 */
export interface UnmappedValue {
  valueMap: string
  /** Where the CRM holds the value, e.g. `gender` or `account.insurances.payerCode`. */
  source: string
  value: string
  /** How many records carry it. */
  count: number
}

/**
 * Value maps whose CRM side is not a field of the field map: a connector reads them from these
 * CRM places directly (payer codes from the account's insurance, F13; programs and locations).
 * The names are the conventions the connectors share.
 */
const IMPLICIT_SOURCES: Record<string, CrmSource> = {
  payerCode: { kind: 'insurance', path: ['payerCode'], label: 'account.insurances.payerCode' },
  relationship: { kind: 'insurance', path: ['subscriber', 'relationship'], label: 'account.insurances.subscriber.relationship' },
  program: { kind: 'patient', field: 'programId', label: 'programId' },
  location: { kind: 'patient', field: 'locationId', label: 'locationId' },
}

type CrmSource = { kind: 'patient'; field: string; label: string } | { kind: 'insurance'; path: string[]; label: string }

const MAX_PER_SOURCE = 200

export async function findUnmappedValues(db: DbOrTx, organizationId: string, connector: Connector<unknown, unknown>, mapping: ResolvedMapping): Promise<UnmappedValue[]> {
  const byPath = new Map(connector.fields.map((spec) => [spec.path, spec]))
  const sources = new Map<string, { valueMap: string; source: CrmSource }>()
  for (const { crm, emr } of mapping.fieldMap) {
    const valueMap = byPath.get(emr)?.valueMap
    if (valueMap && isCrmPatientField(crm)) sources.set(`${valueMap}|${crm}`, { valueMap, source: { kind: 'patient', field: crm, label: crm } })
  }
  for (const valueMap of Object.keys(mapping.valueMaps)) {
    const source = IMPLICIT_SOURCES[valueMap]
    if (source) sources.set(`${valueMap}|${source.label}`, { valueMap, source })
  }

  const found: UnmappedValue[] = []
  for (const { valueMap, source } of sources.values()) {
    const entries = mapping.valueMaps[valueMap] ?? {}
    for (const { value, count } of await valuesIn(db, organizationId, source)) {
      if (entries[value] === undefined) found.push({ valueMap, source: source.label, value, count })
    }
  }
  return found.sort((a, b) => a.valueMap.localeCompare(b.valueMap) || b.count - a.count || a.value.localeCompare(b.value))
}

/** Distinct non-empty values at one CRM place, with how often each occurs. */
async function valuesIn(db: DbOrTx, organizationId: string, source: CrmSource): Promise<{ value: string; count: number }[]> {
  if (source.kind === 'insurance') {
    const value = sql<string>`ins #>> ${sql.val(`{${source.path.join(',')}}`)}`
    const result = await sql<{ value: string; count: number }>`
      select ${value} as value, count(*)::int as count
        from accounts, jsonb_array_elements(accounts.insurances) as ins
       where accounts.organization_id = ${organizationId} and coalesce(${value}, '') <> ''
       group by 1 order by 2 desc limit ${MAX_PER_SOURCE}`.execute(db)
    return result.rows
  }
  const value = patientColumn(source.field)
  const result = await sql<{ value: string; count: number }>`
    select ${value} as value, count(*)::int as count
      from patients
     where organization_id = ${organizationId} and coalesce(${value}, '') <> ''
     group by 1 order by 2 desc limit ${MAX_PER_SOURCE}`.execute(db)
  return result.rows
}

/** The SQL expression of a CRM patient field (checked by `isCrmPatientField` before it gets here). */
function patientColumn(field: string): RawBuilder<string> {
  const [head, rest] = field.split(/\.(.*)/s) as [string, string | undefined]
  if (head === 'address' && rest) return sql<string>`(address ->> ${rest})`
  if (head === 'customFields' && rest) return sql<string>`(custom_fields ->> ${rest})`
  const column = head.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
  return sql<string>`(${sql.ref(column)})::text`
}
