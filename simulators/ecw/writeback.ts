/**
 * ECW's writeback rules for Patient create/update, refused in ECW's writeback envelope — a numeric
 * code in `status` plus the error key (eClinicalWorks "Error Code Reference Guide") — then handed
 * to the FHIR store. Shapes and statuses that the guide does not state are in inferred.ts.
 */
import type { Bundle, BundleEntry, Extension, Identifier, Patient, Resource } from '@medplum/fhirtypes'
import { validateFhirResource, type FhirStore } from './fhir.js'
import {
  ACCOUNT_NUMBER_SYSTEM,
  ALLOWED_GENDERS,
  DEFAULT_FACILITY_EXTENSION,
  MAX_NAME_PART_LENGTH,
  UNSUPPORTED_NAME_CHARACTERS,
  UNSUPPORTED_WRITE_STATUS,
  writebackHttpStatus,
} from './inferred.js'
import { FhirHttpError, fhirError } from './outcome.js'

/**
 * The writeback codes this simulator raises, with key and action verbatim from eClinicalWorks'
 * Error Code Reference Guide (https://fhir.eclinicalworks.com/ecwopendev/documentation).
 */
export const ECW_WRITEBACK_ERRORS = {
  2: { key: 'FAILURE', action: 'Verify request composition and required resources for the endpoint.' },
  107: { key: 'INVALID_FACILITY', action: 'Provide valid Location/{id} and ensure facility is mapped/active.' },
  108: { key: 'UNSUPPORTED_CHARACTERS', action: 'Remove unsupported special characters from text fields.' },
  109: { key: 'MAX_SIZE_LIMIT_EXCEEDED', action: 'Reduce field length and resubmit.' },
  117: { key: 'INVALID_PATIENT_GENDER', action: 'Use supported gender values.' },
  118: { key: 'INVALID_PATIENT_NAME', action: 'Correct name fields (required active/usual name data).' },
  119: { key: 'INVALID_PATIENT_DOB', action: 'Provide a valid DOB.' },
  132: {
    key: 'NOT_FOUND_OR_INVALID_EXTENSION_IN_PATIENT_RESOURCE',
    action: 'Add/fix required extension with correct reference and datatype.',
  },
  165: { key: 'INVALID_ID', action: 'Send valid id in expected format and context.' },
  201: { key: 'INVALID_MULTIPLE_PATIENT_FOUND', action: 'Use stronger patient identifiers to disambiguate.' },
  202: {
    key: 'INVALID_PATIENT_ALREADY_EXIST',
    action: 'Do not retry as create. Use the existing patient record (or patient-update workflow) instead.',
  },
  203: { key: 'UNSUPPORTED_PATIENT_DATA', action: 'Use supported datatypes for the resource type.' },
  207: { key: 'PATIENT_NOT_FOUND', action: 'Verify patient id/reference and tenant mapping.' },
  308: { key: 'DEFAULT_WRITEBACK_USER_NOT_CONFIGURED', action: 'Coordinate with platform team to configure a valid writeback user.' },
} as const

export type EcwWritebackCode = keyof typeof ECW_WRITEBACK_ERRORS

/** The envelope of a refused writeback: `{status, key, message}` (see inferred.ts). */
export interface WritebackEnvelope {
  status: number
  key: string
  message: string
}

/** A refused writeback: answered with ECW's envelope and the HTTP status of inferred.ts. */
export class WritebackRefusal extends Error {
  readonly key: string
  constructor(
    readonly code: EcwWritebackCode,
    readonly detail?: string,
  ) {
    const { key, action } = ECW_WRITEBACK_ERRORS[code]
    super(`${action}${detail ? ` — ${detail}` : ''}`)
    this.key = key
  }
  get httpStatus(): number {
    return writebackHttpStatus(this.code)
  }
  envelope(): WritebackEnvelope {
    return { status: this.code, key: this.key, message: this.message }
  }
}

/** What the writeback needs from its caller. */
export interface WritebackContext {
  store: FhirStore
  /** Scope check of the caller's token. */
  can(interaction: 'create' | 'update', resourceType: string): boolean
  /** ECW's next account number for a new patient of this practice. */
  nextAccountNumber(): string
  /** Patient writeback is enabled for this practice (else 308). */
  writebackEnabled: boolean
  /** Identifiers of other systems are stored (false: ECW keeps only its own). */
  keepForeignIdentifiers: boolean
}

export interface WriteResult {
  status: number
  body: Resource
  /** Relative location, e.g. Patient/{id}/_history/{vid}. */
  location?: string
  versionId?: string
  lastModified?: string
}

/** An ECW writeback refusal (`detail` says what exactly, for the log). */
export function writebackError(code: EcwWritebackCode, detail?: string): WritebackRefusal {
  return new WritebackRefusal(code, detail)
}

/** POST {base} with a transaction Bundle of Patient creates/updates (the CRM–eClinicalWorks integration guide). */
export async function processTransaction(body: unknown, ctx: WritebackContext): Promise<WriteResult> {
  requireWriteback(ctx)
  if (!isObject(body) || body.resourceType !== 'Bundle') throw writebackError(2, 'the request body must be a FHIR Bundle')
  const bundle = body as unknown as Bundle
  if (bundle.type !== 'transaction') throw writebackError(2, `Bundle.type ${String(bundle.type)} is not supported; send a transaction Bundle`)
  const entries = bundle.entry ?? []
  if (entries.length === 0) throw writebackError(2, 'the transaction Bundle has no entry')

  const prepared: BundleEntry[] = []
  for (const [index, entry] of entries.entries()) {
    const where = `Bundle.entry[${index}]`
    const method = entry.request?.method
    const url = entry.request?.url?.split('?')[0] ?? ''
    const resource = entry.resource as Resource | undefined
    if (!method || !url) throw writebackError(2, `${where}.request.method and .url are required`)
    const type = resource?.resourceType ?? url.split('/')[0] ?? ''
    if (type !== 'Patient' || (method !== 'POST' && method !== 'PUT')) {
      throw unsupportedWrite(`${method} ${url}`, `${where}: `)
    }
    if (!resource) throw writebackError(2, `${where}.resource is required`)
    if (method === 'POST') {
      if (url !== 'Patient') throw writebackError(2, `${where}.request.url must be "Patient" for a create`)
      requireScope(ctx, 'create', 'Patient')
      const patient = await checkPatientCreate(resource, ctx, `${where}.resource`)
      prepared.push({ ...entry, resource: patient })
    } else {
      const id = /^Patient\/([^/]+)$/.exec(url)?.[1]
      if (!id) throw writebackError(2, `${where}.request.url must be "Patient/{id}" for an update`)
      requireScope(ctx, 'update', 'Patient')
      const patient = await checkPatientUpdate(id, resource, ctx, `${where}.resource`)
      prepared.push({ ...entry, resource: patient })
    }
  }

  const result = await ctx.store.request('POST', '', { ...bundle, entry: prepared })
  if (result.status >= 400 || !result.resource) throw new FhirHttpError(result.status >= 400 ? result.status : 500, result.outcome)
  const response = result.resource as Bundle
  for (const entry of response.entry ?? []) {
    const written = entry.resource
    const versionId = written?.meta?.versionId
    if (!entry.response) continue
    entry.response.status = statusLine(entry.response.status)
    if (written?.id && versionId) {
      entry.response.location = `${written.resourceType}/${written.id}/_history/${versionId}`
      entry.response.etag = `W/"${versionId}"`
      entry.response.lastModified = written.meta?.lastUpdated
    }
  }
  return { status: 200, body: response }
}

/** POST {base}/Patient. */
export async function createPatient(body: unknown, ctx: WritebackContext): Promise<WriteResult> {
  requireWriteback(ctx)
  requireScope(ctx, 'create', 'Patient')
  const patient = await checkPatientCreate(body, ctx, 'Patient')
  const result = await ctx.store.request('POST', 'Patient', patient)
  return written(result, 201)
}

/** PUT {base}/Patient/{id}. */
export async function updatePatient(id: string, body: unknown, ctx: WritebackContext, ifMatch?: string): Promise<WriteResult> {
  requireWriteback(ctx)
  requireScope(ctx, 'update', 'Patient')
  const patient = await checkPatientUpdate(id, body, ctx, 'Patient')
  const result = await ctx.store.request('PUT', `Patient/${id}`, patient, ifMatch ? { 'if-match': ifMatch } : undefined)
  return written(result, 200)
}

/** Any write the ECW API does not offer (Coverage, Encounter, DELETE, …). */
export function unsupportedWrite(what: string, prefix = ''): FhirHttpError {
  return fhirError(
    UNSUPPORTED_WRITE_STATUS,
    'not-supported',
    `${prefix}${what} is not available in the eClinicalWorks FHIR API (only Patient create and update are)`,
  )
}

// ---------------------------------------------------------------------------------------------

async function checkPatientCreate(body: unknown, ctx: WritebackContext, path: string): Promise<Patient> {
  const patient = asPatient(body, path)
  delete patient.id
  await checkPatient(patient, ctx, path)
  const matches = await ctx.store.findPatientMatches(patient)
  rejectDuplicates(matches.byIdentifier, matches.byDemographics)
  keepOwnIdentifiers(patient, ctx)
  if (!patient.identifier?.some((i) => i.system === ACCOUNT_NUMBER_SYSTEM)) {
    patient.identifier = [
      ...(patient.identifier ?? []),
      {
        use: 'secondary',
        type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }], text: 'Account Number' },
        system: ACCOUNT_NUMBER_SYSTEM,
        value: ctx.nextAccountNumber(),
      },
    ]
  }
  return patient
}

async function checkPatientUpdate(id: string, body: unknown, ctx: WritebackContext, path: string): Promise<Patient> {
  const patient = asPatient(body, path)
  if (patient.id === undefined) patient.id = id
  if (patient.id !== id) throw writebackError(165, `${path}.id ${patient.id} does not match Patient/${id} (at ${path}.id)`)
  const existing = (await ctx.store.read('Patient', id)) as Patient | undefined
  if (!existing) throw writebackError(207, `Patient/${id} does not exist (at ${path}.id)`)
  await checkPatient(patient, ctx, path)
  // Only an update that makes the patient match someone new is refused: records that already
  // coexist as look-alikes stay editable (else neither of two duplicates could ever be updated).
  const before = await ctx.store.findPatientMatches(existing, id)
  const isNew = (candidate: string) => !before.byIdentifier.includes(candidate) && !before.byDemographics.includes(candidate)
  const matches = await ctx.store.findPatientMatches(patient, id)
  rejectDuplicates(matches.byIdentifier.filter(isNew), matches.byDemographics.filter(isNew))
  // ECW keeps its own account number on an update that leaves it out.
  const account = existing.identifier?.find((i) => i.system === ACCOUNT_NUMBER_SYSTEM)
  if (account && !patient.identifier?.some((i) => i.system === ACCOUNT_NUMBER_SYSTEM)) {
    patient.identifier = [...(patient.identifier ?? []), account]
  }
  keepOwnIdentifiers(patient, ctx)
  return patient
}

/** With `keepForeignIdentifiers` off, ECW stores only its own identifiers (inferred.ts). */
function keepOwnIdentifiers(patient: Patient, ctx: WritebackContext): void {
  if (ctx.keepForeignIdentifiers) return
  const own: Identifier[] = (patient.identifier ?? []).filter((i) => i.system === ACCOUNT_NUMBER_SYSTEM)
  if (own.length > 0) patient.identifier = own
  else delete patient.identifier
}

/** A practice without writeback refuses every Patient write with 308 (inferred.ts). */
function requireWriteback(ctx: WritebackContext): void {
  if (!ctx.writebackEnabled) throw writebackError(308, 'Patient writeback is not enabled for this practice')
}

function asPatient(body: unknown, path: string): Patient {
  if (!isObject(body) || body.resourceType !== 'Patient') throw writebackError(2, `${path} must be a Patient resource`)
  return structuredClone(body) as unknown as Patient
}

/** 118/108/109 name, 117 gender, 119 DOB, 132 extensions, 107 facility, 203 FHIR structure. */
async function checkPatient(patient: Patient, ctx: WritebackContext, path: string): Promise<void> {
  const names = Array.isArray(patient.name) ? patient.name : []
  const usable = names.find(
    (n) => typeof n?.family === 'string' && n.family.trim() !== '' && typeof n.given?.[0] === 'string' && n.given[0].trim() !== '',
  )
  if (!usable) throw writebackError(118, `a name with family and given is required (at ${path}.name)`)
  for (const [i, name] of names.entries()) {
    const parts = [name.family, ...(name.given ?? []), name.text].filter((p): p is string => typeof p === 'string')
    for (const part of parts) {
      if (UNSUPPORTED_NAME_CHARACTERS.test(part)) {
        throw writebackError(108, `the name contains unsupported characters (at ${path}.name[${i}])`)
      }
      if (part.length > MAX_NAME_PART_LENGTH) {
        throw writebackError(109, `a name part is longer than ${MAX_NAME_PART_LENGTH} characters (at ${path}.name[${i}])`)
      }
    }
  }

  if (typeof patient.gender !== 'string' || !ALLOWED_GENDERS.includes(patient.gender)) {
    throw writebackError(117, `gender must be one of ${ALLOWED_GENDERS.join(', ')} (at ${path}.gender)`)
  }

  if (!isValidBirthDate(patient.birthDate)) {
    throw writebackError(119, `birthDate must be a past date YYYY-MM-DD (at ${path}.birthDate)`)
  }

  const extensions = Array.isArray(patient.extension) ? patient.extension : []
  for (const [i, extension] of extensions.entries()) {
    const problem = extensionProblem(extension)
    if (problem) throw writebackError(132, `${problem} (at ${path}.extension[${i}])`)
  }
  for (const [i, extension] of extensions.entries()) {
    if (extension.url !== DEFAULT_FACILITY_EXTENSION) continue
    const reference = extension.valueReference?.reference ?? ''
    const locationId = reference.slice('Location/'.length)
    if (!(await ctx.store.read('Location', locationId))) {
      throw writebackError(107, `${reference} is not a facility of this practice (at ${path}.extension[${i}].valueReference)`)
    }
  }

  const issues = validateFhirResource(patient)
  if (issues.length > 0) {
    const where = (i: (typeof issues)[number]) => (i.expression?.[0] ? ` (at ${i.expression[0].replace(/^Patient/, path)})` : '')
    throw writebackError(203, issues.map((i) => `${i.details?.text ?? i.diagnostics ?? i.code}${where(i)}`).join('; '))
  }
}

/**
 * 202 for one existing patient, 201 for several. The envelope names no patient: the guide publishes
 * no field for it, so a client finds the existing record by searching (the detail is for the log).
 */
function rejectDuplicates(byIdentifier: string[], byDemographics: string[]): void {
  const candidates = [...new Set([...byIdentifier, ...byDemographics])]
  if (candidates.length === 1) {
    throw writebackError(202, byIdentifier.length > 0 ? 'a patient with the same identifier exists' : 'a patient with the same name and birth date exists')
  }
  if (candidates.length > 1) throw writebackError(201, `${candidates.length} existing patients match this one`)
}

const RACE_URL = 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-race'
const ETHNICITY_URL = 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity'
const BIRTHSEX_URL = 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex'
const OMB_RACE_CODES = ['1002-5', '2028-9', '2054-5', '2076-8', '2106-3', 'UNK', 'ASKU']
const OMB_ETHNICITY_CODES = ['2135-2', '2186-5', 'UNK', 'ASKU']

/** Why a Patient extension is unusable (code 132), or null when it is fine. */
function extensionProblem(extension: Extension): string | null {
  if (!isObject(extension) || typeof extension.url !== 'string' || extension.url.trim() === '') return 'an extension has no url'
  const hasValue = Object.keys(extension).some((k) => k.startsWith('value'))
  const nested = Array.isArray(extension.extension) ? extension.extension : []
  if (hasValue === nested.length > 0) return `extension ${extension.url} must have either a value or nested extensions`
  switch (extension.url) {
    case RACE_URL:
      return raceOrEthnicityProblem(extension.url, nested, OMB_RACE_CODES, 5)
    case ETHNICITY_URL:
      return raceOrEthnicityProblem(extension.url, nested, OMB_ETHNICITY_CODES, 1)
    case BIRTHSEX_URL:
      return ['F', 'M', 'UNK'].includes(extension.valueCode ?? '') ? null : 'us-core-birthsex needs valueCode F, M or UNK'
    case DEFAULT_FACILITY_EXTENSION:
      return /^Location\/[A-Za-z0-9\-.]{1,64}$/.test(extension.valueReference?.reference ?? '')
        ? null
        : 'defaultFacility needs valueReference.reference Location/{id}'
    default:
      return null
  }
}

function raceOrEthnicityProblem(url: string, nested: Extension[], ombCodes: string[], maxOmb: number): string | null {
  const name = url.slice(url.lastIndexOf('/') + 1)
  let omb = 0
  let text = 0
  for (const part of nested) {
    if (part.url === 'ombCategory' || part.url === 'detailed') {
      const code = part.valueCoding?.code
      if (!code) return `${name}.${part.url} needs valueCoding with a code`
      if (part.url === 'ombCategory') {
        omb += 1
        if (!ombCodes.includes(code)) return `${name}.ombCategory code ${code} is not an OMB category`
      }
    } else if (part.url === 'text') {
      text += 1
      if (typeof part.valueString !== 'string' || part.valueString === '') return `${name}.text needs valueString`
    } else {
      return `${name} has an unknown part ${String(part.url)}`
    }
  }
  if (omb > maxOmb) return `${name} allows at most ${maxOmb} ombCategory`
  if (text !== 1) return `${name} needs exactly one text`
  return null
}

function isValidBirthDate(value: unknown): boolean {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false
  const date = new Date(`${value}T00:00:00Z`)
  if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value) return false
  return date.getTime() <= Date.now() && date.getUTCFullYear() >= 1880
}

function requireScope(ctx: WritebackContext, interaction: 'create' | 'update', resourceType: string): void {
  if (!ctx.can(interaction, resourceType)) {
    const letter = interaction === 'create' ? 'c' : 'u'
    throw fhirError(403, 'forbidden', `The access token does not allow ${interaction} on ${resourceType}: it needs a system/${resourceType} scope granting ${letter} (.${letter})`)
  }
}

function written(result: Awaited<ReturnType<FhirStore['request']>>, status: number): WriteResult {
  if (result.status >= 400 || !result.resource) throw new FhirHttpError(result.status >= 400 ? result.status : 500, result.outcome)
  const resource = result.resource
  const versionId = resource.meta?.versionId
  return {
    status,
    body: resource,
    location: resource.id && versionId ? `${resource.resourceType}/${resource.id}/_history/${versionId}` : undefined,
    versionId,
    lastModified: resource.meta?.lastUpdated,
  }
}

function statusLine(status: string): string {
  const code = status.trim().split(/\s+/)[0] ?? status
  const text: Record<string, string> = { '200': 'OK', '201': 'Created', '204': 'No Content' }
  return text[code] ? `${code} ${text[code]}` : status
}

function isObject(value: unknown): value is Record<string, unknown> & { resourceType?: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
