import type { FieldCatalog, MappingDefaults } from '../connector.js'

/**
 * What Ritten's patient API accepts (spec: POST /patients and PATCH /patients/{id}). Fields with
 * step `create` go in the first call (only `name` and `dob` are accepted there); all of them are
 * sent again by the PATCH, so an update never needs a create.
 */
export const rittenFields: FieldCatalog = [
  { path: 'name.first', label: 'First name', type: 'string', step: 'create' },
  { path: 'name.middle', label: 'Middle name', type: 'string', step: 'create' },
  { path: 'name.last', label: 'Last name', type: 'string', step: 'create' },
  { path: 'name.chosenName', label: 'Chosen name', type: 'string', step: 'create' },
  { path: 'name.pronouns', label: 'Pronouns', type: 'string', step: 'create' },
  { path: 'dob', label: 'Date of birth', type: 'date', step: 'create' },
  { path: 'ssn', label: 'Social Security number (write-only)', type: 'string', step: 'patch' },
  { path: 'demographics.sex', label: 'Sex', type: 'string', valueMap: 'birthSex', step: 'patch' },
  { path: 'demographics.gender[0]', label: 'Gender identity', type: 'string', valueMap: 'gender', step: 'patch' },
  { path: 'demographics.genderDetail', label: 'Gender detail', type: 'string', step: 'patch' },
  { path: 'demographics.maritalStatus', label: 'Marital status', type: 'string', valueMap: 'maritalStatus', step: 'patch' },
  { path: 'demographics.race[0]', label: 'Race', type: 'string', valueMap: 'race', step: 'patch' },
  { path: 'demographics.raceOther[0]', label: 'Race (other)', type: 'string', step: 'patch' },
  { path: 'demographics.ethnicity[0]', label: 'Ethnicity', type: 'string', valueMap: 'ethnicity', step: 'patch' },
  { path: 'demographics.ethnicityOther[0]', label: 'Ethnicity (other)', type: 'string', step: 'patch' },
  { path: 'demographics.preferredLanguage', label: 'Preferred language', type: 'string', step: 'patch' },
  { path: 'demographics.sexualOrientation', label: 'Sexual orientation', type: 'string', valueMap: 'sexualOrientation', step: 'patch' },
  { path: 'demographics.sexualOrientationDetail', label: 'Sexual orientation detail', type: 'string', step: 'patch' },
  { path: 'phones[0]', label: 'Phone', type: 'string', step: 'patch' },
  { path: 'phones[1]', label: 'Second phone', type: 'string', step: 'patch' },
  { path: 'emails[0]', label: 'Email', type: 'string', step: 'patch' },
  { path: 'emails[1]', label: 'Second email', type: 'string', step: 'patch' },
  { path: 'addresses[0].line', label: 'Address line', type: 'string', step: 'patch' },
  { path: 'addresses[0].line2', label: 'Address line 2', type: 'string', step: 'patch' },
  { path: 'addresses[0].city', label: 'City', type: 'string', step: 'patch' },
  { path: 'addresses[0].region', label: 'State (2 letters for US)', type: 'string', step: 'patch' },
  { path: 'addresses[0].postalCode', label: 'Postal code', type: 'string', step: 'patch' },
  { path: 'addresses[0].country', label: 'Country', type: 'string', step: 'patch' },
]

/** Value maps used outside the field map: the insurance segment's. */
export const RITTEN_SEGMENT_VALUE_MAPS = ['payerCode', 'relationship'] as const

export const rittenDefaults: MappingDefaults = {
  fieldMap: [
    { crm: 'firstName', emr: 'name.first' },
    { crm: 'middleName', emr: 'name.middle' },
    { crm: 'lastName', emr: 'name.last' },
    { crm: 'preferredName', emr: 'name.chosenName' },
    { crm: 'dob', emr: 'dob' },
    { crm: 'birthSex', emr: 'demographics.sex' },
    { crm: 'gender', emr: 'demographics.gender[0]' },
    { crm: 'maritalStatus', emr: 'demographics.maritalStatus' },
    { crm: 'race', emr: 'demographics.race[0]' },
    { crm: 'ethnicity', emr: 'demographics.ethnicity[0]' },
    { crm: 'language', emr: 'demographics.preferredLanguage' },
    { crm: 'phone', emr: 'phones[0]' },
    { crm: 'alternatePhone', emr: 'phones[1]' },
    { crm: 'email', emr: 'emails[0]' },
    { crm: 'address.line1', emr: 'addresses[0].line' },
    { crm: 'address.line2', emr: 'addresses[0].line2' },
    { crm: 'address.city', emr: 'addresses[0].city' },
    { crm: 'address.state', emr: 'addresses[0].region' },
    { crm: 'address.postalCode', emr: 'addresses[0].postalCode' },
    { crm: 'address.country', emr: 'addresses[0].country' },
  ],
  valueMaps: {
    birthSex: { female: 'Female', male: 'Male', unknown: 'Unknown' },
    gender: { male: 'Male', female: 'Female', other: 'Additional gender category, please specify.', unknown: 'Decline to answer' },
    // Ritten knows only Married | Unmarried | Unknown.
    maritalStatus: {
      married: 'Married',
      single: 'Unmarried',
      divorced: 'Unmarried',
      widowed: 'Unmarried',
      separated: 'Unmarried',
      domestic_partner: 'Unmarried',
      unknown: 'Unknown',
    },
    race: {
      american_indian_or_alaska_native: 'American Indian or Alaska Native',
      asian: 'Asian',
      black_or_african_american: 'Black or African American',
      native_hawaiian_or_other_pacific_islander: 'Native Hawaiian or Other Pacific Islander',
      white: 'White',
      declined: 'Decline to Specify',
    },
    ethnicity: {
      hispanic_or_latino: 'Hispanic or Latino',
      not_hispanic_or_latino: 'Not Hispanic or Latino',
      declined: 'Decline to Specify',
    },
    sexualOrientation: {},
    // The subscriber's relationship to the patient. A parent subscriber makes the patient the
    // subscriber's child, which Ritten (after X12) words from the beneficiary's side.
    relationship: {
      self: 'Self',
      spouse: 'Spouse',
      parent: 'The Beneficiary is a child of the Subscriber',
      common_law_spouse: 'Common-Law Spouse',
      injured_party: 'Injured Party',
      child: 'Other',
      other: 'Other',
    },
    // CRM payer code → Ritten payer id (GET /insurance/payers). Unmapped → no insurance is sent (the help-center article "Ritten EMR Integration Data Flow and Insurance Mapping (CRM)").
    payerCode: {},
  },
}
