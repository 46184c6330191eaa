import type { HttpResponse } from '../http.js'
import { WritebackEnvelope } from './answers.js'

/**
 * ECW's writeback errors (eClinicalWorks "Error Code Reference Guide"): a writeback answer
 * carries a numeric error code in `status` plus an error key. That is all the guide publishes, so
 * it is all the hub reads — in any answer to a create or update, whatever its HTTP status (ECW may
 * answer 2xx with an error code in the body). Code 1 is SUCCESS.
 */
export interface WritebackError {
  code: number
  key: string
  /** ECW's text, when the answer has one (for the log, never parsed). */
  message: string | null
}

/** The guide's codes the hub acts on by name. */
export const ECW_CODES = {
  SUCCESS: 1,
  INVALID_MULTIPLE_PATIENT_FOUND: 201,
  INVALID_PATIENT_ALREADY_EXIST: 202,
  PATIENT_NOT_FOUND: 207,
  DEFAULT_WRITEBACK_USER_NOT_CONFIGURED: 308,
} as const

/** What the admin must fix for each code: the CRM field or mapping at fault. */
export const FIELD_TO_FIX: Record<number, string> = {
  101: 'the provider (practitioner mapping)',
  107: 'locationId — map the CRM location to an ECW facility (EMR settings → Locations)',
  108: 'firstName/lastName — remove special characters',
  109: 'firstName/lastName — too long for ECW',
  117: 'gender — use a value ECW accepts (check the gender value map)',
  118: 'firstName/lastName — both are required by ECW',
  119: 'dob — ECW needs a full date of birth in the past',
  132: 'race/ethnicity/birthSex — an extension ECW does not accept (check those value maps)',
  203: 'the patient data — ECW refused its structure',
  204: 'a date — ECW refused its format',
}

/**
 * Codes the guide says to retry once ("Retry once; if repeated…"): transient failures on ECW's
 * side. Everything else is fixed by a person before it can succeed.
 */
export const RETRY_ONCE_CODES: ReadonlySet<number> = new Set([103, 104, 115, 136, 306, 610, 703])

/** The writeback error an answer carries, or null when it carries none (a FHIR resource, or SUCCESS). */
export function readWritebackError(response: HttpResponse): WritebackError | null {
  const body = response.json
  if (typeof body !== 'object' || body === null || Array.isArray(body) || 'resourceType' in body) return null
  const parsed = WritebackEnvelope.safeParse(body)
  if (!parsed.success || parsed.data.status === ECW_CODES.SUCCESS) return null
  return { code: parsed.data.status, key: parsed.data.key, message: parsed.data.message ?? null }
}
