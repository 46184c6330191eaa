import type { Address, Coverage, Encounter, Extension, HumanName, Location, Patient, Practitioner, Reference } from '@medplum/fhirtypes'
import type { DroppedField, PatientPushInput, ResolvedMapping } from '../connector.js'
import type { CRM_PATIENT_FIELDS } from '../../mapping/crmFields.js'
import { ECW_IDENTIFIER_SYSTEM_DEFAULT, ecwFields } from './fields.js'
import { buildEcwPatient } from './payload.js'
import { ECW_DEFAULT_FACILITY_URL, US_CORE_BIRTHSEX_URL, US_CORE_ETHNICITY_URL, US_CORE_RACE_URL } from './terminology.js'

/** A CRM patient field as a field map names it: a standard field or `customFields.<name>`. */
export type CrmPatientField = (typeof CRM_PATIENT_FIELDS)[number] | `customFields.${string}`

/** The catalog by path, built once (a pull reads every patient's fields through it). */
const SPECS = new Map(ecwFields.map((s) => [s.path, s]))

/** Value maps whose codes compare without case (BCP-47 tags are case-insensitive: "ENG" = "eng"). */
const CASE_INSENSITIVE_MAPS = new Set(['language'])

/**
 * ECW's Patient in CRM terms, for pulls and for the update's reconciliation: each field of the
 * connection's field map is read back from the resource (the reverse of payload.ts) and coded
 * values go through the INVERSE of their value map — the first CRM value whose code it is. A code
 * no CRM value maps to is reported in `unmapped` and left out, so the CRM keeps what it has.
 * Fields ECW does not hold are left out too (absent, not null).
 */
export function fhirPatientToCrm(
  resource: Patient,
  mapping: ResolvedMapping,
): { fields: Partial<Record<CrmPatientField, unknown>>; unmapped: DroppedField[] } {
  const { values, problems } = readEcwValues(resource)
  const specs = SPECS
  const fields: Partial<Record<CrmPatientField, unknown>> = {}
  const unmapped: DroppedField[] = []
  for (const { crm, emr } of mapping.fieldMap) {
    if (crm === 'id' || crm in fields) continue
    const spec = specs.get(emr)
    if (!spec) continue
    const problem = problems.get(emr)
    if (problem) {
      unmapped.push({ field: crm, reason: problem })
      continue
    }
    const value = values.get(emr)
    if (value === undefined) continue
    if (spec.type === 'date' && !/^\d{4}-\d{2}-\d{2}$/.test(value)) {
      unmapped.push({ field: crm, reason: `ECW ${emr} "${value}" is not a full date (the CRM needs YYYY-MM-DD)` })
      continue
    }
    if (!spec.valueMap) {
      fields[crm as CrmPatientField] = value
      continue
    }
    const crmValue = inverse(mapping.valueMaps[spec.valueMap] ?? {}, value, CASE_INSENSITIVE_MAPS.has(spec.valueMap))
    if (crmValue === undefined) {
      unmapped.push({ field: crm, reason: `ECW ${emr} "${value}" has no ${spec.valueMap} mapping for this connection` })
      continue
    }
    fields[crm as CrmPatientField] = crmValue
  }
  return { fields, unmapped }
}

/**
 * The CRM patient's mapped fields as ECW would hold them once sent (phones as digits, values
 * through the value maps and back). Compare these, not the raw CRM record, with what
 * `fhirPatientToCrm` reads from ECW: otherwise "(913) 555-2003" vs "9135552003" looks like a
 * change on every sync. Throws like buildEcwPatient when a location or program is not mapped.
 */
export function crmFieldsAsEcwHolds(input: PatientPushInput): Partial<Record<CrmPatientField, unknown>> {
  const { resource } = buildEcwPatient(input, { identifierSystem: ECW_IDENTIFIER_SYSTEM_DEFAULT })
  return fhirPatientToCrm(resource, input.mapping).fields
}

/** Our CRM patient id, from the identifier of the connection's system (null when ECW has none). */
export function ecwIdentifierOf(resource: Patient, system: string): string | null {
  const value = resource.identifier?.find((i) => i.system === system && typeof i.value === 'string' && i.value !== '')?.value
  return value ?? null
}

/** First CRM value whose code is `code`. */
function inverse(map: Record<string, string>, code: string, caseInsensitive: boolean): string | undefined {
  const wanted = caseInsensitive ? code.toLowerCase() : code
  for (const [crmValue, mapped] of Object.entries(map)) {
    if ((caseInsensitive ? mapped.toLowerCase() : mapped) === wanted) return crmValue
  }
  return undefined
}

/**
 * The resource's values under the catalog's logical paths (ECW codes, not yet CRM words), and
 * why a path could not be read when the resource holds something the CRM cannot take.
 */
function readEcwValues(resource: Patient): { values: Map<string, string>; problems: Map<string, string> } {
  const values = new Map<string, string>()
  const problems = new Map<string, string>()
  const set = (path: string, value: string | undefined | null) => {
    const trimmed = typeof value === 'string' ? value.trim() : ''
    if (trimmed !== '') values.set(path, trimmed)
  }

  const name = pickName(resource.name)
  if (name) {
    const given = (name.given ?? []).filter((g) => typeof g === 'string' && g.trim() !== '')
    set('name.given', given[0])
    set('name.middle', given.slice(1).join(' '))
    set('name.family', name.family)
    set('name.text', name.text)
  }
  set('birthDate', resource.birthDate)
  set('gender', resource.gender)
  const marital = resource.maritalStatus?.coding?.find((c) => c.code)
  set('maritalStatus', marital?.code)

  const telecom = (resource.telecom ?? []).filter((t) => typeof t.value === 'string' && t.value.trim() !== '')
  const phones = telecom.filter((t) => t.system === 'phone')
  const mobile = phones.find((t) => t.use === 'mobile')
  // The CRM's main phone: ECW's home phone, else any phone that is not the mobile one.
  const home = phones.find((t) => t.use === 'home') ?? phones.find((t) => t !== mobile && t.use !== 'old')
  set('telecom.phone.home', home?.value)
  set('telecom.phone.mobile', mobile?.value)
  set('telecom.email', (telecom.find((t) => t.system === 'email' && t.use === 'home') ?? telecom.find((t) => t.system === 'email'))?.value)

  const address = pickAddress(resource.address)
  if (address) {
    const lines = (address.line ?? []).filter((l) => typeof l === 'string' && l.trim() !== '')
    set('address.line1', lines[0])
    set('address.line2', lines.slice(1).join(', '))
    set('address.city', address.city)
    set('address.state', address.state)
    set('address.postalCode', address.postalCode)
    set('address.country', address.country)
  }

  const communications = resource.communication ?? []
  const communication = communications.find((c) => c.preferred) ?? communications[0]
  set('communication.language', communication?.language?.coding?.find((c) => c.code)?.code)

  const extensions = resource.extension ?? []
  readRaceOrEthnicity(extensions.find((e) => e.url === US_CORE_RACE_URL), 'race', values, problems)
  readRaceOrEthnicity(extensions.find((e) => e.url === US_CORE_ETHNICITY_URL), 'ethnicity', values, problems)
  set('birthSex', extensions.find((e) => e.url === US_CORE_BIRTHSEX_URL)?.valueCode)
  const facility = extensions.find((e) => e.url === ECW_DEFAULT_FACILITY_URL)?.valueReference
  set('defaultFacility', referenceId(facility, 'Location'))
  return { values, problems }
}

/** The CRM holds one race: several OMB categories cannot be brought in without losing some. */
function readRaceOrEthnicity(extension: Extension | undefined, field: 'race' | 'ethnicity', values: Map<string, string>, problems: Map<string, string>): void {
  if (!extension) return
  const parts = extension.extension ?? []
  const omb = parts.filter((p) => p.url === 'ombCategory' && p.valueCoding?.code).map((p) => p.valueCoding!.code!)
  const detailed = parts.filter((p) => p.url === 'detailed' && p.valueCoding?.code).map((p) => p.valueCoding!.code!)
  if (omb.length > 1) problems.set(field, `ECW ${field} has ${omb.length} categories (${omb.join(', ')}); the CRM holds one`)
  else if (omb[0]) values.set(field, omb[0])
  if (detailed[0]) values.set(`${field}Detailed`, detailed[0])
}

function pickName(names: HumanName[] | undefined): HumanName | undefined {
  const list = (names ?? []).filter((n) => n.use !== 'old')
  return list.find((n) => n.use === 'official') ?? list.find((n) => n.use === 'usual') ?? list[0]
}

function pickAddress(addresses: Address[] | undefined): Address | undefined {
  const list = (addresses ?? []).filter((a) => a.use !== 'old')
  return list.find((a) => a.use === 'home') ?? list[0]
}

/** `Location/abc` → `abc` (only references to that type). */
function referenceId(reference: Reference | undefined, type: string): string | undefined {
  const value = reference?.reference
  if (!value) return undefined
  const [kind, id] = value.split('/')
  return kind === type && id ? id : undefined
}

// ---------------------------------------------------------------------------------------------
// Read-only views (insurance, encounters) and dropdown values (practitioners, locations)

/** A Coverage as the CRM shows it, read-only, under the patient (the CRM–eClinicalWorks integration guide: insurance is pull-only). */
export type EcwInsuranceView = {
  ecwId: string | null
  /** ECW's patient (Coverage.beneficiary). */
  patientEcwId: string | null
  payerName: string | null
  memberId: string | null
  groupNumber: string | null
  subscriberId: string | null
  /** The subscriber's relationship to the patient, in the CRM's words (self, spouse, parent, child, …). */
  relationship: string | null
  period: { start: string | null; end: string | null }
  status: string | null
}

/**
 * FHIR's Coverage.relationship is the beneficiary's relationship to the subscriber ("child" =
 * the patient is the subscriber's child); the CRM records the subscriber's relationship to the
 * patient (the subscriber is the patient's "parent"), as in the Ritten connector.
 */
const SUBSCRIBER_RELATIONSHIP_TO_CRM: Record<string, string> = {
  self: 'self',
  spouse: 'spouse',
  child: 'parent',
  parent: 'child',
  common: 'common_law_spouse',
  injured: 'injured_party',
  other: 'other',
}

/**
 * `payers` names payer Organizations by id, for a Coverage whose `payor` carries only a
 * reference (its display is used first).
 */
export function coverageToInsurance(coverage: Coverage, payers: Record<string, string> = {}): EcwInsuranceView {
  const payor = coverage.payor?.[0]
  const payorId = referenceId(payor, 'Organization')
  const memberIdentifier = coverage.identifier?.find((i) => i.type?.coding?.some((c) => c.code === 'MB'))
  const relationshipCode = coverage.relationship?.coding?.find((c) => c.code)?.code
  return {
    ecwId: coverage.id ?? null,
    patientEcwId: referenceId(coverage.beneficiary, 'Patient') ?? null,
    payerName: payor?.display ?? (payorId ? payers[payorId] : undefined) ?? null,
    // The member id: the identifier typed MB (member number), else the subscriber id ECW fills.
    memberId: memberIdentifier?.value ?? coverage.subscriberId ?? null,
    groupNumber: coverage.class?.find((c) => c.type?.coding?.some((t) => t.code === 'group'))?.value ?? null,
    subscriberId: coverage.subscriberId ?? null,
    relationship: relationshipCode ? (SUBSCRIBER_RELATIONSHIP_TO_CRM[relationshipCode] ?? null) : null,
    period: { start: coverage.period?.start ?? null, end: coverage.period?.end ?? null },
    status: coverage.status ?? null,
  }
}

/** An Encounter as the CRM shows it, read-only (the CRM–eClinicalWorks integration guide: encounters are pull-only). */
export type EcwEncounterView = {
  ecwId: string | null
  patientEcwId: string | null
  status: string | null
  class: string | null
  type: string | null
  start: string | null
  end: string | null
  locationId: string | null
  practitionerId: string | null
  reason: string | null
}

export function encounterToView(encounter: Encounter): EcwEncounterView {
  const practitioner = encounter.participant?.map((p) => referenceId(p.individual, 'Practitioner')).find((id) => id !== undefined)
  const location = encounter.location?.map((l) => referenceId(l.location, 'Location')).find((id) => id !== undefined)
  const type = encounter.type?.[0]
  const reason = encounter.reasonCode?.[0]
  return {
    ecwId: encounter.id ?? null,
    patientEcwId: referenceId(encounter.subject, 'Patient') ?? null,
    status: encounter.status ?? null,
    class: encounter.class?.display ?? encounter.class?.code ?? null,
    type: type?.text ?? type?.coding?.[0]?.display ?? type?.coding?.[0]?.code ?? null,
    start: encounter.period?.start ?? null,
    end: encounter.period?.end ?? null,
    locationId: location ?? null,
    practitionerId: practitioner ?? null,
    reason: reason?.text ?? reason?.coding?.[0]?.display ?? reason?.coding?.[0]?.code ?? null,
  }
}

/** A practitioner as a CRM dropdown value: `value` is ECW's id, `label` the display name. */
export type EcwPractitionerOption = {
  ecwId: string
  name: string
  npi: string | null
  active: boolean
  value: string
  label: string
}

export function practitionerToReference(practitioner: Practitioner): EcwPractitionerOption {
  const id = practitioner.id ?? ''
  const name = humanNameText(pickName(practitioner.name)) ?? id
  return {
    ecwId: id,
    name,
    npi: practitioner.identifier?.find((i) => i.system === 'http://hl7.org/fhir/sid/us-npi')?.value ?? null,
    active: practitioner.active !== false,
    value: id,
    label: name,
  }
}

/** A location (facility) as a CRM dropdown value, and the target of the `location` value map. */
export type EcwLocationOption = {
  ecwId: string
  name: string
  address: string | null
  phone: string | null
  status: string | null
  value: string
  label: string
}

export function locationToReference(location: Location): EcwLocationOption {
  const id = location.id ?? ''
  const name = location.name?.trim() || location.alias?.[0] || id
  const address = location.address
  const addressText = address
    ? address.text ?? ([...(address.line ?? []), address.city, [address.state, address.postalCode].filter(Boolean).join(' ')].filter((p) => p && p.trim() !== '').join(', ') || null)
    : null
  return {
    ecwId: id,
    name,
    address: addressText,
    phone: location.telecom?.find((t) => t.system === 'phone')?.value ?? null,
    status: location.status ?? null,
    value: id,
    label: name,
  }
}

/** "Maria Alvarez, MD": the name's text, else prefix, given, family and suffix. */
function humanNameText(name: HumanName | undefined): string | undefined {
  if (!name) return undefined
  if (name.text?.trim()) return name.text.trim()
  const main = [...(name.prefix ?? []), ...(name.given ?? []), name.family].filter((p) => p && p.trim() !== '').join(' ')
  const suffix = (name.suffix ?? []).join(', ')
  const text = suffix ? `${main}, ${suffix}` : main
  return text || undefined
}
