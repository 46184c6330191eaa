import type { HttpResponse } from '../http.js'

/**
 * ECW's writeback errors (specs/ecw/error-codes.yml): a numeric code and key in the
 * OperationOutcome, and for duplicates the existing patients as references.
 */
export interface WritebackError {
  code: string
  key: string
  message: string
  /** FHIRPath of the element at fault, when ECW names it. */
  expression: string | null
  /** Existing ECW patient ids (202 already exists, 201 multiple found). */
  existing: string[]
}

const WRITEBACK_CODE_SYSTEM = 'http://eclinicalworks.com/fhir/writeback-error-code'
const EXISTING_PATIENT_EXTENSION = 'http://eclinicalworks.com/fhir/StructureDefinition/existing-patient'

/** What the admin must fix for each code: the CRM field or mapping at fault. */
export const FIELD_TO_FIX: Record<string, string> = {
  '101': 'the provider (practitioner mapping)',
  '107': 'locationId — map the CRM location to an ECW facility (EMR settings → Locations)',
  '108': 'firstName/lastName — remove special characters',
  '109': 'firstName/lastName — too long for ECW',
  '117': 'gender — use a value ECW accepts (check the gender value map)',
  '118': 'firstName/lastName — both are required by ECW',
  '119': 'dob — ECW needs a full date of birth in the past',
  '132': 'race/ethnicity/birthSex — an extension ECW does not accept (check those value maps)',
  '203': 'the patient data — ECW refused its structure',
}

export function readWritebackError(response: HttpResponse): WritebackError | null {
  const outcome = response.json as
    | {
        resourceType?: string
        issue?: {
          diagnostics?: string
          expression?: string[]
          details?: { text?: string; coding?: { system?: string; code?: string; display?: string }[] }
          extension?: { url?: string; valueReference?: { reference?: string } }[]
        }[]
      }
    | undefined
  if (outcome?.resourceType !== 'OperationOutcome' || !outcome.issue) return null
  for (const issue of outcome.issue) {
    const coding = issue.details?.coding?.find((c) => c.system === WRITEBACK_CODE_SYSTEM) ?? issue.details?.coding?.find((c) => /^\d+$/.test(c.code ?? ''))
    if (!coding?.code) continue
    const existing = outcome.issue
      .flatMap((i) => i.extension ?? [])
      .filter((e) => e.url === EXISTING_PATIENT_EXTENSION)
      .map((e) => e.valueReference?.reference?.replace(/^Patient\//, '') ?? '')
      .filter(Boolean)
    return {
      code: coding.code,
      key: coding.display ?? issue.details?.text ?? '',
      message: issue.diagnostics ?? issue.details?.text ?? coding.display ?? '',
      expression: issue.expression?.[0] ?? null,
      existing,
    }
  }
  return null
}
