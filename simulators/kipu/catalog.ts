/**
 * What `document.data` of POST/PATCH /api/patients accepts: each field's type and, where KIPU
 * has a picklist, its allowed values. Unknown fields and wrong types are refused with 422.
 * The field names are the KIPU integration article's create payload plus the others KIPU's create documents
 * (middle_name, ssn, race, ethnicity, sending_app_patient_id, insurances_attributes,
 * patient_contacts_attributes). Picklist values are [I]: the KIPU integration article shows one value of each.
 */

export type FieldRule =
  | { type: 'string'; max?: number; pattern?: RegExp; hint?: string }
  | { type: 'date' }
  | { type: 'datetime' }
  | { type: 'id' }
  | { type: 'enum'; values: readonly string[] }

export const MARITAL_STATUSES = ['Single', 'Married', 'Divorced', 'Widowed', 'Separated', 'Domestic Partner', 'Unknown'] as const
export const GENDERS = ['Male', 'Female', 'Transgender Male', 'Transgender Female', 'Non-Binary', 'Other', 'Unknown'] as const
export const PAYMENT_METHODS = ['Insurance', 'Self Pay', 'Scholarship', 'Other'] as const
export const RACES = [
  'American Indian or Alaska Native',
  'Asian',
  'Black or African American',
  'Native Hawaiian or Other Pacific Islander',
  'White',
  'Other',
  'Declined to Specify',
] as const
export const ETHNICITIES = ['Hispanic or Latino', 'Not Hispanic or Latino', 'Declined to Specify'] as const
export const CONTACT_RELATIONSHIPS = ['Self', 'Mother', 'Father', 'Parent', 'Spouse', 'Partner', 'Child', 'Sibling', 'Guardian', 'Friend', 'Other'] as const
export const SUBSCRIBER_RELATIONSHIPS = ['Self', 'Spouse', 'Child', 'Parent', 'Other'] as const
export const INSURANCE_TYPES = ['Primary', 'Secondary', 'Tertiary'] as const

const PHONE = { type: 'string', pattern: /^\+?[0-9 ().-]{7,20}$/, hint: 'a phone number' } as const
const NAME = { type: 'string', max: 100 } as const
const TEXT = { type: 'string', max: 255 } as const

export const PATIENT_FIELDS: Record<string, FieldRule> = {
  first_name: NAME,
  middle_name: NAME,
  last_name: NAME,
  preferred_name: NAME,
  dob: { type: 'date' },
  ssn: { type: 'string', pattern: /^\d{3}-?\d{2}-?\d{4}$/, hint: 'a 9-digit SSN' },
  marital_status: { type: 'enum', values: MARITAL_STATUSES },
  gender: { type: 'enum', values: GENDERS },
  race: { type: 'enum', values: RACES },
  ethnicity: { type: 'enum', values: ETHNICITIES },
  location_id: { type: 'id' },
  mr: { type: 'string', max: 40 },
  phone: PHONE,
  alternate_phone: PHONE,
  email: { type: 'string', pattern: /^[^\s@]+@[^\s@]+\.[^\s@]+$/, hint: 'an email address' },
  address_street: TEXT,
  address_street2: TEXT,
  address_city: NAME,
  address_state: { type: 'string', pattern: /^[A-Z]{2}$/, hint: 'a 2-letter state code' },
  address_zip: { type: 'string', pattern: /^\d{5}(-\d{4})?$/, hint: 'a ZIP code (12345 or 12345-6789)' },
  address_country: { type: 'string', max: 60 },
  first_contact_name: TEXT,
  first_contact_information: TEXT,
  first_contact_relationship: { type: 'enum', values: CONTACT_RELATIONSHIPS },
  referrer_id: { type: 'id' },
  referrer_name: TEXT,
  admission_date: { type: 'datetime' },
  discharge_date: { type: 'datetime' },
  payment_method: { type: 'enum', values: PAYMENT_METHODS },
  sending_app_patient_id: { type: 'string', max: 100 },
}

export const INSURANCE_FIELDS: Record<string, FieldRule> = {
  insurance_company: TEXT,
  policy_no: { type: 'string', max: 60 },
  group_ID: { type: 'string', max: 60 },
  insurance_type: { type: 'enum', values: INSURANCE_TYPES },
  payer_synonym: TEXT,
  subscriber_relationship: { type: 'enum', values: SUBSCRIBER_RELATIONSHIPS },
  subscriber_first_name: NAME,
  subscriber_last_name: NAME,
  subscriber_dob: { type: 'date' },
  subscriber_phone: PHONE,
  subscriber_address_street: TEXT,
  subscriber_address_city: NAME,
  subscriber_address_state: { type: 'string', pattern: /^[A-Z]{2}$/, hint: 'a 2-letter state code' },
  subscriber_address_zip: { type: 'string', pattern: /^\d{5}(-\d{4})?$/, hint: 'a ZIP code' },
  start_date: { type: 'date' },
  end_date: { type: 'date' },
}
export const INSURANCE_REQUIRED = ['insurance_company', 'policy_no'] as const

export const CONTACT_FIELDS: Record<string, FieldRule> = {
  full_name: TEXT,
  phone: PHONE,
  email: { type: 'string', pattern: /^[^\s@]+@[^\s@]+\.[^\s@]+$/, hint: 'an email address' },
  relationship: { type: 'enum', values: CONTACT_RELATIONSHIPS },
  contact_type: TEXT,
  notes: { type: 'string', max: 2000 },
}
export const CONTACT_REQUIRED = ['full_name'] as const

/** [I] A chart needs a first and last name to be created. */
export const CREATE_REQUIRED = ['first_name', 'last_name'] as const

/** The problem with one value, or null when it is acceptable. Blank strings clear a field. */
export function checkValue(rule: FieldRule, value: unknown): string | null {
  if (value === null || value === '') return null
  switch (rule.type) {
    case 'string':
      if (typeof value !== 'string') return 'must be a string'
      if (rule.max !== undefined && value.length > rule.max) return `must be at most ${rule.max} characters`
      if (rule.pattern && !rule.pattern.test(value)) return `must be ${rule.hint ?? 'well formed'}`
      return null
    case 'date':
      return typeof value === 'string' && isCalendarDate(value) ? null : 'must be a date as YYYY-MM-DD'
    case 'datetime':
      return typeof value === 'string' && isDateTime(value) ? null : 'must be a date and time as "YYYY-MM-DD HH:MM:SS" (or YYYY-MM-DD)'
    case 'id':
      return (typeof value === 'string' && /^\d{1,12}$/.test(value)) || (typeof value === 'number' && Number.isInteger(value) && value > 0)
        ? null
        : 'must be a numeric id'
    case 'enum':
      return typeof value === 'string' && rule.values.includes(value) ? null : `must be one of: ${rule.values.join(', ')}`
  }
}

export function isCalendarDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false
  const d = new Date(`${value}T00:00:00Z`)
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value
}

function isDateTime(value: string): boolean {
  const match = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(value)
  if (!match || !isCalendarDate(match[1]!)) return false
  const [h, m, s] = [match[2], match[3], match[4]].map((x) => (x === undefined ? 0 : Number(x)))
  return h! < 24 && m! < 60 && s! < 60
}
