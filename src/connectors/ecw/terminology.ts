/**
 * The FHIR vocabulary ECW's US Core Patient speaks (the CRM–eClinicalWorks integration guide, US Core 5.0.1): extension urls,
 * code systems, the allowed codes and their displays. One place, shared by the builder, the
 * validator and the reverse mapping.
 */

export const US_CORE_PATIENT_PROFILE = 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient'
export const US_CORE_RACE_URL = 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-race'
export const US_CORE_ETHNICITY_URL = 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity'
export const US_CORE_BIRTHSEX_URL = 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex'
export const ECW_DEFAULT_FACILITY_URL = 'http://eclinicalworks.com/supportingInfo/defaultFacility'

/** CDC Race & Ethnicity code system. */
export const CDC_RACE_ETHNICITY_SYSTEM = 'urn:oid:2.16.840.1.113883.6.238'
export const NULL_FLAVOR_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-NullFlavor'
export const MARITAL_STATUS_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus'
export const LANGUAGE_SYSTEM = 'urn:ietf:bcp:47'

export const ADMINISTRATIVE_GENDERS = ['male', 'female', 'other', 'unknown'] as const
export const BIRTH_SEX_CODES = ['F', 'M', 'UNK'] as const

/** Null flavors allowed as an OMB category, alone. The CRM–eClinicalWorks integration guide displays ASKU as "Declined to Specify". */
export const NULL_FLAVOR_DISPLAYS: Record<string, string> = {
  ASKU: 'Declined to Specify',
  UNK: 'Unknown',
}

export const OMB_RACE_DISPLAYS: Record<string, string> = {
  '1002-5': 'American Indian or Alaska Native',
  '2028-9': 'Asian',
  '2054-5': 'Black or African American',
  '2076-8': 'Native Hawaiian or Other Pacific Islander',
  '2106-3': 'White',
}

export const OMB_ETHNICITY_DISPLAYS: Record<string, string> = {
  '2135-2': 'Hispanic or Latino',
  '2186-5': 'Not Hispanic or Latino',
}

/** Detailed CDC codes whose display we know (the Hispanic or Latino groups under 2135-2). */
export const DETAILED_DISPLAYS: Record<string, string> = {
  '2137-8': 'Spaniard',
  '2148-5': 'Mexican',
  '2155-0': 'Central American',
  '2165-9': 'South American',
  '2178-2': 'Latin American',
  '2180-8': 'Puerto Rican',
  '2182-4': 'Cuban',
  '2184-0': 'Dominican',
}

/** A CDC Race & Ethnicity code: four digits, a dash, a check digit. */
export const CDC_CODE_PATTERN = /^\d{4}-\d$/

/** R4's marital-status value set: v3-MaritalStatus codes, plus UNK from v3-NullFlavor. */
export const MARITAL_STATUS_DISPLAYS: Record<string, string> = {
  A: 'Annulled',
  C: 'Common Law',
  D: 'Divorced',
  I: 'Interlocutory',
  L: 'Legally Separated',
  M: 'Married',
  P: 'Polygamous',
  S: 'Never Married',
  T: 'Domestic partner',
  U: 'unmarried',
  W: 'Widowed',
  UNK: 'unknown',
}

/** Displays of the language codes the default value map sends (the CRM–eClinicalWorks integration guide: "ENG" → "English"). */
export const LANGUAGE_DISPLAYS: Record<string, string> = {
  ENG: 'English',
  SPA: 'Spanish',
}

/** A FHIR id (R4 `id` datatype). */
export const FHIR_ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/
