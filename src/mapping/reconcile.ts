/**
 * Bidirectional demographics (F16). Each field has an owner rule per connection. Against the
 * values both sides agreed on at the last sync, a field changed on one side flows to the other;
 * a field changed on both sides to different values is a conflict, settled by the rule, with the
 * losing value kept for review.
 */
export type OwnershipRule = 'crm' | 'emr' | 'newest'

export interface Ownership {
  default: OwnershipRule
  fields: Record<string, OwnershipRule>
}

export const DEFAULT_OWNERSHIP: Ownership = { default: 'newest', fields: {} }

export interface ReconcileInput {
  /** The CRM fields both sides hold (those the connection's field map covers). */
  fields: string[]
  crm: Record<string, unknown>
  emr: Record<string, unknown>
  /** What both sides held at the last sync; null when they were never synced. */
  base: Record<string, unknown> | null
  ownership: Ownership
  crmUpdatedAt: Date
  emrUpdatedAt: Date | null
}

export interface FieldConflict {
  field: string
  crm: unknown
  emr: unknown
  base: unknown
  rule: OwnershipRule
  winner: 'crm' | 'emr'
}

export interface ReconcileResult {
  /** The value of each field once settled: the new common ground. */
  merged: Record<string, unknown>
  /** Fields the CRM must take from the EMR. */
  toCrm: Record<string, unknown>
  /** Fields the EMR must take from the CRM. */
  toEmr: Record<string, unknown>
  conflicts: FieldConflict[]
}

export function reconcile(input: ReconcileInput): ReconcileResult {
  const result: ReconcileResult = { merged: {}, toCrm: {}, toEmr: {}, conflicts: [] }
  for (const field of input.fields) {
    const crm = normalize(input.crm[field])
    const emr = normalize(input.emr[field])
    if (same(crm, emr)) {
      result.merged[field] = crm
      continue
    }
    const rule = input.ownership.fields[field] ?? input.ownership.default
    const base = input.base ? normalize(input.base[field]) : undefined
    const crmChanged = input.base === null || !same(crm, base)
    const emrChanged = input.base === null || !same(emr, base)
    let winner: 'crm' | 'emr'
    if (crmChanged && !emrChanged) winner = 'crm'
    else if (emrChanged && !crmChanged) winner = 'emr'
    else {
      winner = decide(rule, input.crmUpdatedAt, input.emrUpdatedAt)
      // Never-synced records differ without either side having "changed": not a conflict to review.
      if (input.base !== null) result.conflicts.push({ field, crm, emr, base: base ?? null, rule, winner })
    }
    if (winner === 'crm') {
      result.merged[field] = crm
      result.toEmr[field] = crm
    } else {
      result.merged[field] = emr
      result.toCrm[field] = emr
    }
  }
  return result
}

function decide(rule: OwnershipRule, crmUpdatedAt: Date, emrUpdatedAt: Date | null): 'crm' | 'emr' {
  if (rule === 'crm' || rule === 'emr') return rule
  // Newest wins; an EMR record without meta.lastUpdated cannot prove it is newer.
  return emrUpdatedAt && emrUpdatedAt.getTime() > crmUpdatedAt.getTime() ? 'emr' : 'crm'
}

function normalize(value: unknown): unknown {
  if (value === undefined || value === '') return null
  if (typeof value === 'string') return value.trim()
  return value
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null)
}
