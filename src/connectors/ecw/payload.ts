import type { Bundle, Coding, Extension, HumanName, Patient, Address, ContactPoint } from '@medplum/fhirtypes'
import type { DroppedField, PatientPushInput, ResolvedMapping } from '../connector.js'
import { ConnectorError } from '../errors.js'
import { applyFieldMap } from '../../mapping/mapping.js'
import { getPath } from '../../mapping/paths.js'
import { ecwFields } from './fields.js'
import {
  CDC_CODE_PATTERN,
  CDC_RACE_ETHNICITY_SYSTEM,
  DETAILED_DISPLAYS,
  ECW_DEFAULT_FACILITY_URL,
  LANGUAGE_DISPLAYS,
  LANGUAGE_SYSTEM,
  MARITAL_STATUS_DISPLAYS,
  MARITAL_STATUS_SYSTEM,
  NULL_FLAVOR_DISPLAYS,
  NULL_FLAVOR_SYSTEM,
  OMB_ETHNICITY_DISPLAYS,
  OMB_RACE_DISPLAYS,
  US_CORE_BIRTHSEX_URL,
  US_CORE_ETHNICITY_URL,
  US_CORE_PATIENT_PROFILE,
  US_CORE_RACE_URL,
} from './terminology.js'

export interface EcwPatientOptions {
  /** System of the identifier that carries our CRM patient id (connection setting). */
  identifierSystem: string
  /** ECW's id of the patient when it is already linked: the resource is then an update of it. */
  ecwId?: string
}

/**
 * ECW's US Core Patient for a CRM patient, in exactly the CRM–eClinicalWorks integration guide's shape, through the connection's
 * field map and value maps. Values without a mapping are left out and reported in `dropped`
 * (never sent raw); a location or program without a mapping stops the push with a named error,
 * because sending the patient without its facility would file it at the wrong site (the CRM–eClinicalWorks integration guide,
 * step 5: "missing mappings may cause sync failures").
 */
export function buildEcwPatient(input: PatientPushInput, options: EcwPatientOptions): { resource: Patient; dropped: DroppedField[] } {
  requireProgramMapping(input)
  const { values, dropped } = applyFieldMap(input.patient, input.mapping, ecwFields)
  const facilityDropped = dropped.find((d) => d.field === 'defaultFacility')
  if (facilityDropped) {
    const raw = rawCrmValue(input, 'defaultFacility')
    throw new ConnectorError({
      code: 'location_not_mapped',
      message: `location "${raw}" is not mapped to an ECW location for this connection (EMR settings → Locations)`,
      retryable: false,
      details: { field: crmFieldFor(input.mapping, 'defaultFacility'), value: raw },
    })
  }
  const text = (path: string): string | undefined => {
    const value = values.get(path)
    return value === undefined || value === null ? undefined : String(value).trim() || undefined
  }

  const resource: Patient = {
    resourceType: 'Patient',
    ...(options.ecwId ? { id: options.ecwId } : {}),
    meta: { profile: [US_CORE_PATIENT_PROFILE] },
    active: true,
  }

  const name = buildName(text('name.given'), text('name.middle'), text('name.family'), text('name.text'))
  if (name) resource.name = [name]

  const maritalCode = text('maritalStatus')
  if (maritalCode) {
    const display = MARITAL_STATUS_DISPLAYS[maritalCode]
    const system = maritalCode === 'UNK' ? NULL_FLAVOR_SYSTEM : MARITAL_STATUS_SYSTEM
    resource.maritalStatus = { coding: [compact<Coding>({ system, code: maritalCode, display })], ...(display ? { text: display } : {}) }
  }

  const telecom: ContactPoint[] = []
  const homePhone = text('telecom.phone.home')
  const mobilePhone = text('telecom.phone.mobile')
  const email = text('telecom.email')
  if (homePhone && ecwPhone(homePhone)) telecom.push({ system: 'phone', value: ecwPhone(homePhone), use: 'home' })
  if (mobilePhone && ecwPhone(mobilePhone)) telecom.push({ system: 'phone', value: ecwPhone(mobilePhone), use: 'mobile' })
  if (email) telecom.push({ system: 'email', value: email, use: 'home' })
  if (telecom.length > 0) resource.telecom = telecom

  const lines = [text('address.line1'), text('address.line2')].filter((l): l is string => l !== undefined)
  const address = compact<Address>({
    use: 'home',
    line: lines.length > 0 ? lines : undefined,
    city: text('address.city'),
    state: text('address.state'),
    postalCode: text('address.postalCode'),
    country: text('address.country'),
  })
  if (Object.keys(address).length > 1) resource.address = [address]

  // The CRM–eClinicalWorks integration guide states it on every patient: the CRM holds living patients only.
  resource.deceasedBoolean = false
  resource.identifier = [{ use: 'usual', system: options.identifierSystem, value: input.patient.id }]

  const language = text('communication.language')
  if (language) {
    // Display: the known one for the code, else the CRM's own word (a per-connection mapping such as French → FRE).
    const display = LANGUAGE_DISPLAYS[language] ?? rawCrmValue(input, 'communication.language') ?? language
    resource.communication = [{ language: { coding: [{ system: LANGUAGE_SYSTEM, code: language, display }], text: display }, preferred: true }]
  }

  const gender = text('gender')
  if (gender) resource.gender = gender as Patient['gender']
  const birthDate = text('birthDate')
  if (birthDate) resource.birthDate = birthDate

  const extension: Extension[] = []
  const ethnicity = raceOrEthnicity(US_CORE_ETHNICITY_URL, OMB_ETHNICITY_DISPLAYS, text('ethnicity'), text('ethnicityDetailed'), input, 'ethnicity', dropped)
  if (ethnicity) extension.push(ethnicity)
  const race = raceOrEthnicity(US_CORE_RACE_URL, OMB_RACE_DISPLAYS, text('race'), text('raceDetailed'), input, 'race', dropped)
  if (race) extension.push(race)
  const birthSex = text('birthSex')
  if (birthSex) extension.push({ url: US_CORE_BIRTHSEX_URL, valueCode: birthSex })
  const facility = text('defaultFacility')
  if (facility) extension.push({ url: ECW_DEFAULT_FACILITY_URL, valueReference: { reference: `Location/${facility}` } })
  if (extension.length > 0) resource.extension = extension

  return { resource, dropped }
}

/**
 * The CRM–eClinicalWorks integration guide's request: a transaction Bundle with one Patient entry, `POST Patient`. A patient that
 * already has an ECW id goes as `PUT Patient/{id}` instead: a POST would ask ECW to create a
 * second record (202 INVALID_PATIENT_ALREADY_EXIST).
 */
export function buildTransactionBundle(patient: Patient): Bundle {
  const request = patient.id ? { method: 'PUT' as const, url: `Patient/${patient.id}` } : { method: 'POST' as const, url: 'Patient' }
  return { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: patient, request }] }
}

/**
 * ECW's phone form (the CRM–eClinicalWorks integration guide: "9135552003"): digits only. A North American number written with
 * its country code (+1 913 555 2003) keeps its 10 national digits.
 */
export function ecwPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '')
  return digits.length === 11 && digits.startsWith('1') ? digits.slice(1) : digits
}

/**
 * The CRM–eClinicalWorks integration guide's name: `text` is the first name (ECW's form, not the full name), `given` the first
 * then middle names. A field mapped to `name.text` wins over that default.
 */
function buildName(given: string | undefined, middle: string | undefined, family: string | undefined, text: string | undefined): HumanName | null {
  const givens = [given, middle].filter((g): g is string => g !== undefined)
  const name = compact<HumanName>({ text: text ?? given, family, given: givens.length > 0 ? givens : undefined })
  return Object.keys(name).length > 0 ? name : null
}

/**
 * US Core race / ethnicity: `detailed` (when mapped), `ombCategory`, then `text` — the CRM–eClinicalWorks integration guide's
 * order. A mapped code that is a CDC code but not an OMB category goes under `detailed` (US Core
 * allows only the OMB categories, ASKU or UNK as `ombCategory`).
 */
function raceOrEthnicity(
  url: string,
  ombDisplays: Record<string, string>,
  code: string | undefined,
  detailedCode: string | undefined,
  input: PatientPushInput,
  field: 'race' | 'ethnicity',
  dropped: DroppedField[],
): Extension | null {
  const parts: Extension[] = []
  let omb: Coding | undefined
  const detailed: Coding[] = []
  const detailedOf = (value: string, path: string): Coding => ({
    system: CDC_RACE_ETHNICITY_SYSTEM,
    code: value,
    display: DETAILED_DISPLAYS[value] ?? ombDisplays[value] ?? rawCrmValue(input, path) ?? value,
  })
  if (code) {
    if (ombDisplays[code]) omb = { system: CDC_RACE_ETHNICITY_SYSTEM, code, display: ombDisplays[code] }
    else if (NULL_FLAVOR_DISPLAYS[code]) omb = { system: NULL_FLAVOR_SYSTEM, code, display: NULL_FLAVOR_DISPLAYS[code] }
    else if (CDC_CODE_PATTERN.test(code)) detailed.push(detailedOf(code, field))
    // Anything else is not a code US Core can carry: keep it as an ombCategory so validation names it.
    else omb = { system: CDC_RACE_ETHNICITY_SYSTEM, code }
  }
  if (detailedCode && !detailed.some((d) => d.code === detailedCode)) detailed.push(detailedOf(detailedCode, `${field}Detailed`))
  if (!omb && detailed.length === 0) return null
  // A null flavor stands alone: a detailed code beside "declined" would contradict it.
  if (omb && NULL_FLAVOR_DISPLAYS[omb.code ?? '']) {
    for (const coding of detailed) dropped.push({ field: `${field}Detailed`, reason: `${field} is ${omb.code} (${omb.display}): detailed code ${coding.code} is not sent beside it` })
  } else {
    for (const coding of detailed) parts.push({ url: 'detailed', valueCoding: coding })
  }
  if (omb) parts.push({ url: 'ombCategory', valueCoding: omb })
  const text = omb?.display ?? detailed[0]?.display ?? omb?.code
  parts.push({ url: 'text', valueString: text ?? '' })
  return { url, extension: parts }
}

function requireProgramMapping(input: PatientPushInput): void {
  const programId = input.patient.programId
  if (programId === null || programId === undefined || programId === '') return
  if (input.mapping.valueMaps.program?.[programId] !== undefined) return
  throw new ConnectorError({
    code: 'program_not_mapped',
    message: `program "${programId}" is not mapped to an ECW treatment program for this connection (EMR settings → Treatment Programs)`,
    retryable: false,
    details: { field: 'programId', value: programId },
  })
}

function crmFieldFor(mapping: ResolvedMapping, emrPath: string): string | undefined {
  return mapping.fieldMap.find((m) => m.emr === emrPath)?.crm
}

/** The CRM value behind an ECW field (before translation), as text. */
function rawCrmValue(input: PatientPushInput, emrPath: string): string | undefined {
  const crm = crmFieldFor(input.mapping, emrPath)
  if (!crm) return undefined
  const raw = getPath(input.patient, crm)
  return raw === undefined || raw === null || raw === '' ? undefined : String(raw)
}

/** Drops undefined properties so the resource is exactly what is sent. */
function compact<T extends object>(value: { [K in keyof T]?: T[K] | undefined }): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T
}
