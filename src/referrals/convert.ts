import { z } from 'zod'
import { PatientInput, type PatientInputT } from '../crm/patients.js'
import { Gender } from '../crm/vocabulary.js'
import { InputError } from '../errors.js'
import { getPath } from '../mapping/paths.js'

/** What a person may correct or add when converting (the referral's own values otherwise). */
export const ConvertInput = z
  .object({
    patient: PatientInput.partial().omit({ accountId: true }).optional().describe("patient fields that replace the registrant's (e.g. a phone the referral wrote unusably)"),
    accountName: z.string().trim().min(1).max(200).optional().describe("the parent account's name (default: the registrant's name)"),
  })
  .strict()

/**
 * The CRM patient a referral's registrant becomes (F3): the CRM referral fields under the CRM
 * patient's names, then the corrections sent. A value the patient record cannot hold (a phone
 * that is not one) is refused naming both the patient field and where it came from.
 */
export function patientFromReferral(fields: Record<string, unknown>, corrections: z.output<typeof ConvertInput>['patient'], accountId: string): PatientInputT {
  const text = (path: string) => {
    const value = getPath(fields, path)
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined
  }
  const gender = Gender.safeParse(text('registrant.gender')?.toLowerCase())
  const address = {
    line1: text('registrant.address.street'),
    city: text('registrant.address.city'),
    state: text('registrant.address.province'),
    postalCode: text('registrant.address.postalCode'),
    country: text('registrant.address.country'),
  }
  const requester = [text('requester.firstName'), text('requester.lastName')].filter(Boolean).join(' ')
  const organization = text('requester.organization')
  const fromReferral: Record<string, unknown> = {
    firstName: text('registrant.firstName'),
    middleName: text('registrant.middleName'),
    lastName: text('registrant.lastName'),
    dob: text('registrant.dateOfBirth'),
    gender: gender.success ? gender.data : undefined,
    phone: text('registrant.phoneHome'),
    alternatePhone: text('registrant.phoneAlt'),
    email: text('registrant.email'),
    address: Object.values(address).some((v) => v !== undefined) ? address : undefined,
    language: text('registrant.preferredLanguage'),
    referrerName: organization ? (requester ? `${organization} (${requester})` : organization) : requester || undefined,
  }
  const merged = { ...stripUndefined(fromReferral), ...stripUndefined(corrections ?? {}), accountId }
  const parsed = PatientInput.safeParse(merged)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const field = issue.path.map(String).join('.')
    const source = REFERRAL_SOURCE[field]
    throw new InputError(`patient.${field}`, `${issue.message}${source ? ` (from the referral's ${source})` : ''}: send a corrected patient.${field} in the body`)
  }
  return parsed.data
}

const REFERRAL_SOURCE: Record<string, string> = {
  firstName: 'registrant first name',
  lastName: 'registrant last name',
  dob: 'date of birth',
  phone: 'home phone',
  alternatePhone: 'alternate phone',
  email: 'email',
  'address.state': 'province',
  'address.line1': 'address',
}

function stripUndefined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined))
}
