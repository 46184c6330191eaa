/**
 * Request bodies of the patient routes, parsed strictly against the vendor's schemas
 * (PatientName, PatientDemographics, Address, Referral, Insurance,
 * InsuranceRelationshipTypeEnum). Parsing also applies the normalisation the spec documents
 * (US country variants, state names) and checks payer ids against the clinic's payers; the
 * check of address/referral/insurance entry ids needs the patient and lives in patients.ts.
 */
import { z } from 'zod'
import { formatPath, PATCH_RULES, PATIENT_RULES, type FieldError } from './inferred.js'
import { isUsCountry, usRegionCode } from './us-regions.js'

export const PROGRAM_STATUSES = ['prospective', 'active', 'former'] as const
export type ProgramStatus = (typeof PROGRAM_STATUSES)[number]

export const RACES = [
  'American Indian or Alaska Native',
  'Asian',
  'Black or African American',
  'Native Hawaiian or Other Pacific Islander',
  'White',
  'Decline to Specify',
] as const
export const ETHNICITIES = ['Hispanic or Latino', 'Not Hispanic or Latino', 'Decline to Specify'] as const
export const SEXES = ['Male', 'Female', 'Unknown'] as const
export const GENDERS = [
  'Male',
  'Female',
  'Transgender male',
  'Transgender female',
  'Genderqueer, neither exclusively male nor female',
  'Decline to answer',
  'Additional gender category, please specify.',
] as const
/** Note the typographic apostrophe in "Don’t know": it is the spec's value, byte for byte. */
export const SEXUAL_ORIENTATIONS = [
  'Straight or heterosexual',
  'Lesbian, gay, or homosexual',
  'Bisexual',
  'Something else (please describe below)',
  'Don’t know',
  'Decline to Specify',
] as const
export const MARITAL_STATUSES = ['Married', 'Unmarried', 'Unknown'] as const
export const ADDRESS_USES = ['HOME', 'WORK', 'OTHER'] as const
export const INSURANCE_RELATIONSHIPS = [
  'The Beneficiary is a child of the Subscriber',
  'Parent',
  'Spouse',
  'Common-Law Spouse',
  'Other',
  'Self',
  'Injured Party',
] as const

/** What the body schemas need to know of the clinic: its payers and today's date. */
export interface BodyContext {
  /** Whether an `insurance[].payerId` names one of the clinic's payers. */
  isPayer(id: string): boolean
  /** The latest date that is today anywhere (YYYY-MM-DD): no birth date may come after it. */
  today(): string
}

const calendarDate = z.string().refine(isCalendarDate, { message: 'must be a real date in YYYY-MM-DD format' })

/** A birth date: a real date that is not in the future. */
const birthDate = (context: BodyContext) =>
  z.string().superRefine((value, ctx) => {
    if (!isCalendarDate(value)) ctx.addIssue({ code: 'custom', message: 'must be a real date in YYYY-MM-DD format' })
    else if (value > context.today()) ctx.addIssue({ code: 'custom', message: `${PATIENT_RULES.messages.futureDate} (today is ${context.today()} at the latest)` })
  })

/** An identifier a later lookup must find: not empty, not only spaces. */
const identifier = z.string().refine((value) => value.trim() !== '', { message: PATIENT_RULES.messages.blank })

const patientName = z.strictObject({
  first: z.string().optional(),
  middle: z.string().optional(),
  last: z.string().optional(),
  pronouns: z.string().optional(),
  chosenName: z.string().optional(),
})

const demographics = z.strictObject({
  race: z.array(z.enum(RACES)).optional(),
  raceOther: z.array(z.string()).optional(),
  ethnicity: z.array(z.enum(ETHNICITIES)).optional(),
  ethnicityOther: z.array(z.string()).optional(),
  preferredLanguage: z.string().optional(),
  sex: z.enum(SEXES).optional(),
  gender: z.array(z.enum(GENDERS)).optional(),
  genderDetail: z.string().optional(),
  sexualOrientation: z.enum(SEXUAL_ORIENTATIONS).optional(),
  sexualOrientationDetail: z.string().optional(),
  maritalStatus: z.enum(MARITAL_STATUSES).optional(),
})

const address = z
  .strictObject({
    id: z.string().optional(),
    use: z.enum(ADDRESS_USES).optional(),
    country: z.string().optional(),
    line: z.string().optional(),
    line2: z.string().optional(),
    city: z.string().optional(),
    region: z.string().optional(),
    postalCode: z.string().optional(),
  })
  .transform((value, ctx) => {
    const country = value.country ?? PATCH_RULES.addressDefaultCountry
    if (!isUsCountry(country)) return value
    const normalized = { ...value, ...(value.country !== undefined ? { country: 'US' } : {}) }
    if (value.region === undefined) return normalized
    const region = usRegionCode(value.region)
    if (region === null) {
      ctx.issues.push({
        code: 'custom',
        input: value.region,
        path: ['region'],
        message: `"${value.region}" is not a US state or territory: use its 2-letter code (e.g. "CA", "NY")`,
      })
      return z.NEVER
    }
    return { ...normalized, region }
  })

const referral = z.strictObject({
  id: z.string().optional(),
  referralTypeId: z.string().optional(),
  organizationId: z.string().optional(),
  personId: z.string().optional(),
  isPrimary: z.boolean().optional(),
})

const insurance = (context: BodyContext) =>
  z.strictObject({
    id: z.string().optional(),
    payerId: z.string().refine((id) => context.isPayer(id), {
      error: (issue) => `no insurance payer with id "${String(issue.input)}" (see GET /v1/insurance/payers)`,
    }),
    orderNumber: z.number().int().optional(),
    groupNumber: z.string().optional(),
    memberIdentifier: z.string().optional(),
    rxBIN: z.string().optional(),
    rxPCN: z.string().optional(),
    rxGroup: z.string().optional(),
    startDate: calendarDate.optional(),
    expirationDate: calendarDate.optional(),
    notSubscriber: z.boolean().optional(),
    comments: z.string().optional(),
    providerPhoneNumber: z.string().optional(),
    firstName: z.string().optional(),
    lastName: z.string().optional(),
    address: z.string().optional(),
    city: z.string().optional(),
    state: z.string().optional(),
    postalCode: z.string().optional(),
    subscriberPhoneNumber: z.string().optional(),
    birthDate: birthDate(context).optional(),
    sex: z.string().optional(),
    relationship: z.enum(INSURANCE_RELATIONSHIPS).optional(),
  })

/** True when a name has a first or a last name that is not blank (PATIENT_RULES). */
export function hasName(name: PatientName): boolean {
  return [name.first, name.last].some((part) => part !== undefined && part.trim() !== '')
}

/** POST /patients body: only `name` is required, and it must name the patient. */
export const createPatientBody = (context: BodyContext) =>
  z.strictObject({
    name: patientName.refine(hasName, { message: PATIENT_RULES.messages.noName }),
    dob: birthDate(context).optional(),
    externalId: identifier.optional(),
  })

/**
 * PATCH /patients/{id} body: every top-level field optional; omitted ones stay unchanged. Whether
 * the merged name still names the patient needs the patient: patients.ts checks it.
 */
export const patchPatientBody = (context: BodyContext) =>
  z.strictObject({
    name: patientName.optional(),
    dob: birthDate(context).optional(),
    ssn: z
      .string()
      .regex(PATCH_RULES.ssnPattern, { message: 'must be 9 digits, with or without dashes (123-45-6789)' })
      .optional(),
    demographics: demographics.optional(),
    emails: z.array(z.string()).optional(),
    phones: z.array(z.string()).optional(),
    addresses: z.array(address).optional(),
    referrals: z.array(referral).optional(),
    insurance: z.array(insurance(context)).optional(),
    externalId: identifier.optional(),
  })

export type PatientName = z.infer<typeof patientName>
export type Demographics = z.infer<typeof demographics>
export type AddressInput = z.infer<typeof address>
export type ReferralInput = z.infer<typeof referral>
export type InsuranceInput = z.infer<ReturnType<typeof insurance>>
export type CreatePatientBody = z.infer<ReturnType<typeof createPatientBody>>
export type PatchPatientBody = z.infer<ReturnType<typeof patchPatientBody>>

export type Parsed<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] }

/** Parses `body` with `schema`, turning every problem into a `{path, message}` entry. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): Parsed<T> {
  const result = schema.safeParse(body)
  if (result.success) return { ok: true, value: result.data }
  return { ok: false, errors: result.error.issues.flatMap(toFieldErrors) }
}

function toFieldErrors(issue: z.core.$ZodIssue): FieldError[] {
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({ path: formatPath([...issue.path, key]), message: 'unknown field' }))
    case 'invalid_type': {
      // zod names what it received only in its message; "undefined" means the field is missing.
      const message = /received undefined$/.test(issue.message) ? 'is required' : `must be ${EXPECTED[issue.expected] ?? issue.expected}`
      return [{ path: formatPath(issue.path), message }]
    }
    case 'invalid_value':
      return [{ path: formatPath(issue.path), message: `must be one of: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}` }]
    default:
      return [{ path: formatPath(issue.path), message: issue.message }]
  }
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  int: 'an integer',
  number: 'a number',
  boolean: 'a boolean (true or false)',
  array: 'an array',
  object: 'an object',
}

/** True for a YYYY-MM-DD string naming a day that exists (no 2023-02-30). */
export function isCalendarDate(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value)
  if (!match) return false
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])]
  const date = new Date(Date.UTC(year, month - 1, day))
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
}
