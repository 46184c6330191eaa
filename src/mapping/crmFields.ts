import { BirthSex, Ethnicity, Gender, MaritalStatus, PaymentMethod, Race } from '../crm/vocabulary.js'

/** The CRM patient fields a field map may read from; custom fields are `customFields.<name>`. */
export const CRM_PATIENT_FIELDS = [
  'id',
  'firstName',
  'middleName',
  'lastName',
  'preferredName',
  'dob',
  'gender',
  'maritalStatus',
  'phone',
  'alternatePhone',
  'email',
  'address.line1',
  'address.line2',
  'address.city',
  'address.state',
  'address.postalCode',
  'address.country',
  'language',
  'race',
  'ethnicity',
  'birthSex',
  'admissionDate',
  'dischargeDate',
  'programId',
  'levelOfCare',
  'locationId',
  'referrerName',
  'firstContactName',
  'paymentMethod',
] as const

export function isCrmPatientField(field: string): boolean {
  return (CRM_PATIENT_FIELDS as readonly string[]).includes(field) || /^customFields\.[A-Za-z][A-Za-z0-9_]{0,62}$/.test(field)
}

/** What a standard CRM field holds, for checking a mapping's conversion when it is saved (custom fields hold any text, number or yes/no). */
export type CrmFieldKind = { kind: 'text' } | { kind: 'date' } | { kind: 'choice'; values: readonly string[] } | { kind: 'custom' }

const DATE_FIELDS = new Set(['dob', 'admissionDate', 'dischargeDate'])

export function crmFieldKind(field: string): CrmFieldKind {
  if (field.startsWith('customFields.')) return { kind: 'custom' }
  if (DATE_FIELDS.has(field)) return { kind: 'date' }
  const choices = CRM_CHOICES[field]
  if (choices) return { kind: 'choice', values: choices }
  return { kind: 'text' }
}

/** The CRM's picklists by field (src/crm/vocabulary.ts). */
const CRM_CHOICES: Record<string, readonly string[]> = {
  gender: Gender.options,
  maritalStatus: MaritalStatus.options,
  race: Race.options,
  ethnicity: Ethnicity.options,
  birthSex: BirthSex.options,
  paymentMethod: PaymentMethod.options,
}
