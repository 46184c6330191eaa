import type { FieldMapping, FieldSpec } from '../connectors/connector.js'
import { CRM_REFERRAL_FIELDS } from '../crm/referralFields.js'
import { getPath } from '../mapping/paths.js'

/**
 * What a destination declares a referral must carry (F23): its field catalog's `required` fields,
 * reached from the CRM referral fields through its field map (CRM field → its field). The CRM
 * inbox's own catalog maps onto itself.
 */
export interface ReferralRequirements {
  catalog: readonly FieldSpec[]
  /** CRM referral field → catalog path; null for the CRM's own catalog (its paths are CRM fields). */
  fieldMap: readonly FieldMapping[] | null
  /** Named in a message when the field map sends nothing to a required field (an admin's fix, not the sender's). */
  system?: string
}

export const CRM_INBOX_REQUIREMENTS: ReferralRequirements = { catalog: CRM_REFERRAL_FIELDS, fieldMap: null }

/**
 * The first requirement a referral's fields (CRM referral fields, nested by path) do not meet, as
 * one short sentence for the sender's staff — "Date of birth is required" — or null when it may be
 * imported. Checked against each destination in turn (the CRM inbox first).
 */
export function unmetRequirement(fields: Record<string, unknown>, destinations: readonly ReferralRequirements[]): string | null {
  for (const destination of destinations) {
    for (const spec of destination.catalog) {
      if (!spec.required) continue
      const sources = destination.fieldMap === null ? [spec.path] : destination.fieldMap.filter((m) => m.emr === spec.path).map((m) => m.crm)
      if (sources.length === 0) return `${spec.label} is required by ${destination.system ?? 'the destination'}, and its field map sends nothing to it`
      if (!sources.some((crm) => present(getPath(fields, crm)))) return `${spec.label} is required`
    }
  }
  return null
}

function present(value: unknown): boolean {
  if (value === undefined || value === null) return false
  if (typeof value === 'string') return value.trim() !== ''
  return true
}
