import type { Coverage, Encounter, Location, Patient, Practitioner } from '@medplum/fhirtypes'
import { z } from 'zod'

/**
 * ECW's answers, parsed rather than cast: each schema checks the elements the hub reads (types,
 * arrays) and keeps the rest as sent. A resource that fails its schema is reported with the
 * element at fault, never half-read. The parsed values are handed on as Medplum's FHIR types,
 * which the schemas mirror for those elements.
 */

// ---------------------------------------------------------------------------------------------
// FHIR R4 datatypes, as far as the hub reads them

const Period = z.looseObject({ start: z.string().optional(), end: z.string().optional() })
const Coding = z.looseObject({ system: z.string().optional(), code: z.string().optional(), display: z.string().optional() })
const CodeableConcept = z.looseObject({ coding: z.array(Coding).optional(), text: z.string().optional() })
const Reference = z.looseObject({ reference: z.string().optional(), display: z.string().optional() })
const Identifier = z.looseObject({ use: z.string().optional(), system: z.string().optional(), value: z.string().optional(), type: CodeableConcept.optional() })
const HumanName = z.looseObject({
  use: z.string().optional(),
  text: z.string().optional(),
  family: z.string().optional(),
  given: z.array(z.string()).optional(),
  prefix: z.array(z.string()).optional(),
  suffix: z.array(z.string()).optional(),
})
const ContactPoint = z.looseObject({ system: z.string().optional(), value: z.string().optional(), use: z.string().optional() })
const Address = z.looseObject({
  use: z.string().optional(),
  text: z.string().optional(),
  line: z.array(z.string()).optional(),
  city: z.string().optional(),
  state: z.string().optional(),
  postalCode: z.string().optional(),
  country: z.string().optional(),
})
interface ExtensionShape {
  url: string
  extension?: ExtensionShape[]
  [value: string]: unknown
}
const Extension: z.ZodType<ExtensionShape> = z.lazy(() =>
  z.looseObject({
    url: z.string(),
    extension: z.array(Extension).optional(),
    valueCode: z.string().optional(),
    valueString: z.string().optional(),
    valueCoding: Coding.optional(),
    valueReference: Reference.optional(),
  }),
)
const Meta = z.looseObject({ lastUpdated: z.string().optional(), versionId: z.string().optional() })

const resource = <T extends string, S extends z.ZodRawShape>(resourceType: T, shape: S) =>
  z.looseObject({ resourceType: z.literal(resourceType), id: z.string().min(1), meta: Meta.optional(), ...shape })

// ---------------------------------------------------------------------------------------------
// Resources

const PatientSchema = resource('Patient', {
  identifier: z.array(Identifier).optional(),
  name: z.array(HumanName).optional(),
  telecom: z.array(ContactPoint).optional(),
  gender: z.string().optional(),
  birthDate: z.string().optional(),
  address: z.array(Address).optional(),
  maritalStatus: CodeableConcept.optional(),
  communication: z.array(z.looseObject({ language: CodeableConcept.optional(), preferred: z.boolean().optional() })).optional(),
  extension: z.array(Extension).optional(),
})

const CoverageSchema = resource('Coverage', {
  status: z.string().optional(),
  identifier: z.array(Identifier).optional(),
  subscriberId: z.string().optional(),
  beneficiary: Reference,
  relationship: CodeableConcept.optional(),
  period: Period.optional(),
  payor: z.array(Reference).optional(),
  class: z.array(z.looseObject({ type: CodeableConcept.optional(), value: z.string().optional() })).optional(),
})

const EncounterSchema = resource('Encounter', {
  status: z.string().optional(),
  class: Coding.optional(),
  type: z.array(CodeableConcept).optional(),
  subject: Reference,
  participant: z.array(z.looseObject({ individual: Reference.optional() })).optional(),
  period: Period.optional(),
  reasonCode: z.array(CodeableConcept).optional(),
  location: z.array(z.looseObject({ location: Reference })).optional(),
})

const PractitionerSchema = resource('Practitioner', {
  active: z.boolean().optional(),
  identifier: z.array(Identifier).optional(),
  name: z.array(HumanName).optional(),
})

const LocationSchema = resource('Location', {
  status: z.string().optional(),
  name: z.string().optional(),
  alias: z.array(z.string()).optional(),
  address: Address.optional(),
  telecom: z.array(ContactPoint).optional(),
})

const SCHEMAS = { Patient: PatientSchema, Coverage: CoverageSchema, Encounter: EncounterSchema, Practitioner: PractitionerSchema, Location: LocationSchema }
type Parsed = { Patient: Patient; Coverage: Coverage; Encounter: Encounter; Practitioner: Practitioner; Location: Location }
export type EcwResourceType = keyof Parsed

// ---------------------------------------------------------------------------------------------
// The same schemas as plain checks: true only where the schema above accepts the value (its
// tests hold the two to that on every element mutated). No messages: what fails goes to zod.

type Check = (value: unknown) => boolean
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const isString: Check = (v) => typeof v === 'string'
const isBoolean: Check = (v) => typeof v === 'boolean'
const optional = (check: Check): Check => (v) => v === undefined || check(v)
const arrayOf =
  (check: Check): Check =>
  (v) => {
    if (!Array.isArray(v)) return false
    for (let i = 0; i < v.length; i++) if (!check(v[i])) return false
    return true
  }
const looseObject = (shape: Record<string, Check>): Check => {
  const entries = Object.entries(shape)
  return (v) => {
    if (!isRecord(v)) return false
    for (const [key, check] of entries) if (!check(v[key])) return false
    return true
  }
}
const optString = optional(isString)
const checkPeriod = looseObject({ start: optString, end: optString })
const checkCoding = looseObject({ system: optString, code: optString, display: optString })
const checkCodeableConcept = looseObject({ coding: optional(arrayOf(checkCoding)), text: optString })
const checkReference = looseObject({ reference: optString, display: optString })
const checkIdentifier = looseObject({ use: optString, system: optString, value: optString, type: optional(checkCodeableConcept) })
const checkHumanName = looseObject({
  use: optString,
  text: optString,
  family: optString,
  given: optional(arrayOf(isString)),
  prefix: optional(arrayOf(isString)),
  suffix: optional(arrayOf(isString)),
})
const checkContactPoint = looseObject({ system: optString, value: optString, use: optString })
const checkAddress = looseObject({
  use: optString,
  text: optString,
  line: optional(arrayOf(isString)),
  city: optString,
  state: optString,
  postalCode: optString,
  country: optString,
})
const checkExtension: Check = looseObject({
  url: isString,
  extension: optional(arrayOf((v) => checkExtension(v))),
  valueCode: optString,
  valueString: optString,
  valueCoding: optional(checkCoding),
  valueReference: optional(checkReference),
})
const checkMeta = looseObject({ lastUpdated: optString, versionId: optString })
const checkResource = (resourceType: string, shape: Record<string, Check>): Check =>
  looseObject({ resourceType: (v) => v === resourceType, id: (v) => typeof v === 'string' && v.length >= 1, meta: optional(checkMeta), ...shape })

const CHECKS: Record<EcwResourceType, Check> = {
  Patient: checkResource('Patient', {
    identifier: optional(arrayOf(checkIdentifier)),
    name: optional(arrayOf(checkHumanName)),
    telecom: optional(arrayOf(checkContactPoint)),
    gender: optString,
    birthDate: optString,
    address: optional(arrayOf(checkAddress)),
    maritalStatus: optional(checkCodeableConcept),
    communication: optional(arrayOf(looseObject({ language: optional(checkCodeableConcept), preferred: optional(isBoolean) }))),
    extension: optional(arrayOf(checkExtension)),
  }),
  Coverage: checkResource('Coverage', {
    status: optString,
    identifier: optional(arrayOf(checkIdentifier)),
    subscriberId: optString,
    beneficiary: checkReference,
    relationship: optional(checkCodeableConcept),
    period: optional(checkPeriod),
    payor: optional(arrayOf(checkReference)),
    class: optional(arrayOf(looseObject({ type: optional(checkCodeableConcept), value: optString }))),
  }),
  Encounter: checkResource('Encounter', {
    status: optString,
    class: optional(checkCoding),
    type: optional(arrayOf(checkCodeableConcept)),
    subject: checkReference,
    participant: optional(arrayOf(looseObject({ individual: optional(checkReference) }))),
    period: optional(checkPeriod),
    reasonCode: optional(arrayOf(checkCodeableConcept)),
    location: optional(arrayOf(looseObject({ location: checkReference }))),
  }),
  Practitioner: checkResource('Practitioner', {
    active: optional(isBoolean),
    identifier: optional(arrayOf(checkIdentifier)),
    name: optional(arrayOf(checkHumanName)),
  }),
  Location: checkResource('Location', {
    status: optString,
    name: optString,
    alias: optional(arrayOf(isString)),
    address: optional(checkAddress),
    telecom: optional(arrayOf(checkContactPoint)),
  }),
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; message: string }

/**
 * One ECW resource of `type`, parsed; `message` names the element at fault. A resource that
 * passes the hand-written check below is the value itself: the schemas transform nothing and keep
 * what they do not check, so zod's copy of it would be equal, and building that copy of every
 * object and array was the largest share of a bulk pull's CPU per line after JSON.parse. Anything
 * the check refuses goes through the schema, so the message is zod's, as before.
 */
export function parseEcwResource<K extends EcwResourceType>(type: K, value: unknown): ParseResult<Parsed[K]> {
  if (CHECKS[type](value)) return { ok: true, value: value as Parsed[K] }
  return parseEcwResourceBySchema(type, value)
}

/** The schema's parse alone (the hand-written check's tests compare it with this). */
export function parseEcwResourceBySchema<K extends EcwResourceType>(type: K, value: unknown): ParseResult<Parsed[K]> {
  const result = SCHEMAS[type].safeParse(value)
  if (result.success) return { ok: true, value: result.data as unknown as Parsed[K] }
  return { ok: false, message: describe(type, result.error) }
}

// ---------------------------------------------------------------------------------------------
// Bundles

const BundleLink = z.looseObject({ relation: z.string(), url: z.string() })
const BundleEntry = z.looseObject({
  fullUrl: z.string().optional(),
  resource: z.looseObject({ resourceType: z.string(), id: z.string().optional() }).optional(),
  search: z.looseObject({ mode: z.string().optional() }).optional(),
  response: z.looseObject({ status: z.string(), location: z.string().optional(), etag: z.string().optional(), lastModified: z.string().optional() }).optional(),
})

/** A searchset page: the entries stay unparsed until their type is known (parseEcwResource). */
export const SearchBundle = z.looseObject({
  resourceType: z.literal('Bundle'),
  type: z.literal('searchset').optional(),
  total: z.number().int().nonnegative().optional(),
  link: z.array(BundleLink).optional(),
  entry: z.array(BundleEntry).optional(),
})
export type SearchBundleT = z.output<typeof SearchBundle>

/** The answer to a transaction Bundle (the CRM–eClinicalWorks integration guide's create). */
export const TransactionResponse = z.looseObject({
  resourceType: z.literal('Bundle'),
  type: z.literal('transaction-response'),
  entry: z.array(BundleEntry).min(1),
})
export type TransactionResponseT = z.output<typeof TransactionResponse>

/** A FHIR OperationOutcome (ECW's shape for read/search errors). */
export const OperationOutcome = z.looseObject({
  resourceType: z.literal('OperationOutcome'),
  issue: z.array(z.looseObject({ severity: z.string().optional(), code: z.string().optional(), diagnostics: z.string().optional(), details: CodeableConcept.optional() })),
})

/** ECW's CapabilityStatement, as far as the hub reads it: which interactions each resource offers. */
export const CapabilityStatement = z.looseObject({
  resourceType: z.literal('CapabilityStatement'),
  rest: z
    .array(z.looseObject({ resource: z.array(z.looseObject({ type: z.string(), interaction: z.array(z.looseObject({ code: z.string() })).optional() })).optional() }))
    .optional(),
})

/**
 * ECW's writeback envelope (Error Code Reference Guide: "a numeric error code in `status` plus an
 * error key"). Only those two are read; a `message` is shown when there is one.
 */
export const WritebackEnvelope = z.looseObject({
  status: z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]),
  key: z.string().min(1),
  message: z.string().optional(),
})

function describe(type: string, error: z.ZodError): string {
  const issue = error.issues[0]
  if (!issue) return `${type} is not valid`
  const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')
  return `${type}${path}: ${issue.message}`
}
