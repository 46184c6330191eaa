import type { FieldCatalog, MappingDefaults } from '../connector.js'

/**
 * The system of the identifier that carries our CRM patient id on ECW's Patient (the CRM–eClinicalWorks integration guide sends
 * `identifier[{use: usual, system: this, value: <CRM id>}]`). Settable per connection.
 */
export const ECW_IDENTIFIER_SYSTEM_DEFAULT = 'urn:oid:2.16.840.1.113883.4.391.326070'

/**
 * What ECW's US Core Patient accepts, as logical paths (the CRM–eClinicalWorks integration guide). The paths are not JSON paths
 * into the FHIR resource: payload.ts builds the resource from them (a name's given list, telecom
 * entries by system and use, extensions by url), and fromFhir.ts reads them back.
 *
 * `raceDetailed` and `ethnicityDetailed` carry US Core's optional `detailed` CDC codes (the CRM–eClinicalWorks integration guide
 * sends ethnicity detailed "Dominican"). The CRM has no standard field for them: an admin maps a
 * custom field (e.g. `customFields.ethnicityDetail`) and fills the value map.
 */
export const ecwFields: FieldCatalog = [
  { path: 'name.given', label: 'First name (given)', type: 'string' },
  { path: 'name.middle', label: 'Middle name (second given)', type: 'string' },
  { path: 'name.family', label: 'Last name (family)', type: 'string' },
  { path: 'name.text', label: 'Name text (ECW shows the first name when not mapped)', type: 'string' },
  { path: 'birthDate', label: 'Date of birth', type: 'date' },
  { path: 'gender', label: 'Administrative gender', type: 'string', valueMap: 'gender' },
  { path: 'maritalStatus', label: 'Marital status', type: 'string', valueMap: 'maritalStatus' },
  { path: 'telecom.phone.home', label: 'Home phone', type: 'string' },
  { path: 'telecom.phone.mobile', label: 'Mobile phone', type: 'string' },
  { path: 'telecom.email', label: 'Email', type: 'string' },
  { path: 'address.line1', label: 'Address line 1', type: 'string' },
  { path: 'address.line2', label: 'Address line 2', type: 'string' },
  { path: 'address.city', label: 'City', type: 'string' },
  { path: 'address.state', label: 'State', type: 'string' },
  { path: 'address.postalCode', label: 'Postal code', type: 'string' },
  { path: 'address.country', label: 'Country', type: 'string' },
  { path: 'communication.language', label: 'Preferred language', type: 'string', valueMap: 'language' },
  { path: 'race', label: 'Race (US Core, OMB category)', type: 'string', valueMap: 'race' },
  { path: 'raceDetailed', label: 'Race, detailed (US Core, CDC code)', type: 'string', valueMap: 'raceDetailed' },
  { path: 'ethnicity', label: 'Ethnicity (US Core, OMB category)', type: 'string', valueMap: 'ethnicity' },
  { path: 'ethnicityDetailed', label: 'Ethnicity, detailed (US Core, CDC code)', type: 'string', valueMap: 'ethnicityDetailed' },
  { path: 'birthSex', label: 'Birth sex (US Core)', type: 'string', valueMap: 'birthSex' },
  { path: 'defaultFacility', label: 'Default facility (ECW Location)', type: 'string', valueMap: 'location' },
]

export const ecwDefaults: MappingDefaults = {
  fieldMap: [
    { crm: 'firstName', emr: 'name.given' },
    { crm: 'middleName', emr: 'name.middle' },
    { crm: 'lastName', emr: 'name.family' },
    { crm: 'dob', emr: 'birthDate' },
    { crm: 'gender', emr: 'gender' },
    { crm: 'maritalStatus', emr: 'maritalStatus' },
    { crm: 'phone', emr: 'telecom.phone.home' },
    { crm: 'alternatePhone', emr: 'telecom.phone.mobile' },
    { crm: 'email', emr: 'telecom.email' },
    { crm: 'address.line1', emr: 'address.line1' },
    { crm: 'address.line2', emr: 'address.line2' },
    { crm: 'address.city', emr: 'address.city' },
    { crm: 'address.state', emr: 'address.state' },
    { crm: 'address.postalCode', emr: 'address.postalCode' },
    { crm: 'address.country', emr: 'address.country' },
    { crm: 'language', emr: 'communication.language' },
    { crm: 'race', emr: 'race' },
    { crm: 'ethnicity', emr: 'ethnicity' },
    { crm: 'birthSex', emr: 'birthSex' },
    { crm: 'locationId', emr: 'defaultFacility' },
  ],
  valueMaps: {
    // FHIR administrative gender (required binding): the CRM's words are the same codes.
    gender: { male: 'male', female: 'female', other: 'other', unknown: 'unknown' },
    // v3-MaritalStatus (UNK is the v3-NullFlavor code the R4 value set includes).
    maritalStatus: {
      married: 'M',
      single: 'S',
      divorced: 'D',
      widowed: 'W',
      separated: 'L',
      domestic_partner: 'T',
      unknown: 'UNK',
    },
    birthSex: { female: 'F', male: 'M', unknown: 'UNK' },
    // OMB race categories (CDC Race & Ethnicity, urn:oid:2.16.840.1.113883.6.238); ASKU/UNK are
    // v3-NullFlavor and must stand alone. The CRM's "other" has no OMB category: sent as unknown.
    race: {
      american_indian_or_alaska_native: '1002-5',
      asian: '2028-9',
      black_or_african_american: '2054-5',
      native_hawaiian_or_other_pacific_islander: '2076-8',
      white: '2106-3',
      declined: 'ASKU',
      other: 'UNK',
    },
    ethnicity: {
      hispanic_or_latino: '2135-2',
      not_hispanic_or_latino: '2186-5',
      declined: 'ASKU',
    },
    // Detailed CDC codes, from a custom field the admin maps (none by default). Keyed by the CDC
    // display so a picklist holding those words works as is.
    raceDetailed: {},
    ethnicityDetailed: {
      Spaniard: '2137-8',
      Mexican: '2148-5',
      'Central American': '2155-0',
      'South American': '2165-9',
      'Latin American': '2178-2',
      'Puerto Rican': '2180-8',
      Cuban: '2182-4',
      Dominican: '2184-0',
    },
    // The CRM–eClinicalWorks integration guide sends `{system: "urn:ietf:bcp:47", code: "ENG", display: "English"}`. "ENG" is not a
    // BCP-47 tag (that would be "en"; ENG is ISO 639-2 upper-cased), but it is the form ECW's own
    // writeback example uses, so it is what we know a practice accepts. A practice that stores real
    // BCP-47 tags is served by changing this map per connection (English → en).
    language: { English: 'ENG', Spanish: 'SPA' },
    // CRM location id → ECW Location id, and CRM program id → ECW treatment program: filled per
    // connection by the admin (EMR settings → Locations / Treatment Programs). Unmapped ones fail
    // the push with a named error (the CRM–eClinicalWorks integration guide step 5) rather than dropping the facility silently.
    location: {},
    program: {},
  },
}
