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

export type ParseResult<T> = { ok: true; value: T } | { ok: false; message: string }

/** One ECW resource of `type`, parsed; `message` names the element at fault. */
export function parseEcwResource<K extends EcwResourceType>(type: K, value: unknown): ParseResult<Parsed[K]> {
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
