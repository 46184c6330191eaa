import type { FieldCatalog, FieldSpec, MappingDefaults } from '../connector.js'

/**
 * KIPU's patient field catalog: every field `document.data` of POST /api/patients and
 * PATCH /api/patients/{id} accepts (the KIPU integration article's create payload, plus middle_name, ssn, race,
 * ethnicity, sending_app_patient_id and the nested insurances and contacts), with its type and,
 * for KIPU picklists, the values it accepts — and the fields KIPU only returns after admission
 * (the KIPU integration article's pull payload). An admin maps any CRM field, custom ones included, to any field
 * here; a mapping KIPU cannot take is refused when saved (src/mapping/mapping.ts).
 *
 * Picklist values are inferred: the KIPU integration article shows one value of each ("Single", "Male",
 * "Insurance", "Self"). Kept here, in one place, to be corrected from a real instance.
 */
export const KIPU_MARITAL_STATUSES = ['Single', 'Married', 'Divorced', 'Widowed', 'Separated', 'Domestic Partner', 'Unknown'] as const
export const KIPU_GENDERS = ['Male', 'Female', 'Transgender Male', 'Transgender Female', 'Non-Binary', 'Other', 'Unknown'] as const
export const KIPU_PAYMENT_METHODS = ['Insurance', 'Self Pay', 'Scholarship', 'Other'] as const
export const KIPU_RACES = [
  'American Indian or Alaska Native',
  'Asian',
  'Black or African American',
  'Native Hawaiian or Other Pacific Islander',
  'White',
  'Other',
  'Declined to Specify',
] as const
export const KIPU_ETHNICITIES = ['Hispanic or Latino', 'Not Hispanic or Latino', 'Declined to Specify'] as const
export const KIPU_CONTACT_RELATIONSHIPS = ['Self', 'Mother', 'Father', 'Parent', 'Spouse', 'Partner', 'Child', 'Sibling', 'Guardian', 'Friend', 'Other'] as const
export const KIPU_SUBSCRIBER_RELATIONSHIPS = ['Self', 'Spouse', 'Child', 'Parent', 'Other'] as const
export const KIPU_INSURANCE_TYPES = ['Primary', 'Secondary', 'Tertiary'] as const

const INSURANCE = "the parent account's insurance (F13: only policies whose payer code is mapped)"
const CONTACTS = "the parent account's insurance subscribers"
const ins = (field: string, label: string, extra: Partial<FieldSpec> = {}): FieldSpec => ({
  path: `insurances_attributes[0].${field}`,
  label: `Insurance: ${label}`,
  type: 'string',
  direction: 'push',
  managedBy: INSURANCE,
  ...extra,
})
const contact = (field: string, label: string, extra: Partial<FieldSpec> = {}): FieldSpec => ({
  path: `patient_contacts_attributes[0].${field}`,
  label: `Patient contact: ${label}`,
  type: 'string',
  direction: 'push',
  managedBy: CONTACTS,
  ...extra,
})

export const kipuFields: FieldCatalog = [
  // The KIPU integration article's create payload (and PATCH).
  { path: 'first_name', label: 'First name', type: 'string', phi: true },
  { path: 'middle_name', label: 'Middle name', type: 'string', phi: true, direction: 'push' },
  { path: 'last_name', label: 'Last name', type: 'string', phi: true },
  { path: 'preferred_name', label: 'Preferred name', type: 'string', phi: true, direction: 'push' },
  { path: 'dob', label: 'Date of birth', type: 'date', phi: true },
  { path: 'ssn', label: 'Social Security number', type: 'string', phi: true, direction: 'push' },
  { path: 'marital_status', label: 'Marital status', type: 'string', valueMap: 'maritalStatus', allowed: KIPU_MARITAL_STATUSES, direction: 'push' },
  { path: 'gender', label: 'Gender', type: 'string', valueMap: 'gender', allowed: KIPU_GENDERS },
  { path: 'race', label: 'Race', type: 'string', valueMap: 'race', allowed: KIPU_RACES, direction: 'push' },
  { path: 'ethnicity', label: 'Ethnicity', type: 'string', valueMap: 'ethnicity', allowed: KIPU_ETHNICITIES, direction: 'push' },
  { path: 'location_id', label: 'Location (KIPU location id, GET /api/locations)', type: 'string', valueMap: 'location', direction: 'push' },
  { path: 'mr', label: 'MR number on create (blank: KIPU generates it at admission)', type: 'string', phi: true, direction: 'push' },
  { path: 'phone', label: 'Phone (E.164)', type: 'string', phi: true },
  { path: 'alternate_phone', label: 'Alternate phone (E.164)', type: 'string', phi: true, direction: 'push' },
  { path: 'email', label: 'Email', type: 'string', phi: true },
  { path: 'address_street', label: 'Street', type: 'string', phi: true },
  { path: 'address_street2', label: 'Street, line 2', type: 'string', phi: true },
  { path: 'address_city', label: 'City', type: 'string', phi: true },
  { path: 'address_state', label: 'State (2 letters)', type: 'string', phi: true, pullPath: 'state' },
  { path: 'address_zip', label: 'ZIP code', type: 'string', phi: true },
  { path: 'address_country', label: 'Country', type: 'string' },
  { path: 'first_contact_name', label: 'First contact: name', type: 'string' },
  { path: 'first_contact_information', label: 'First contact: how (e.g. Phone Inquiry)', type: 'string', direction: 'push' },
  { path: 'first_contact_relationship', label: 'First contact: relationship', type: 'string', allowed: KIPU_CONTACT_RELATIONSHIPS, direction: 'push' },
  { path: 'referrer_id', label: 'Referrer (KIPU referrer id, GET /api/contacts/referrers)', type: 'string', valueMap: 'referrer', direction: 'push' },
  { path: 'referrer_name', label: 'Referrer name', type: 'string' },
  { path: 'admission_date', label: 'Admission date', type: 'datetime' },
  { path: 'discharge_date', label: 'Discharge date', type: 'datetime' },
  { path: 'payment_method', label: 'Payment method', type: 'string', valueMap: 'paymentMethod', allowed: KIPU_PAYMENT_METHODS },
  {
    path: 'sending_app_patient_id',
    label: 'Sending app patient id',
    type: 'string',
    direction: 'push',
    managedBy: 'the CRM patient id (sent on every create; a create whose answer was lost is found by it)',
  },
  // Filled by KIPU at and after admission (the KIPU integration article's pull payload): read, never sent.
  { path: 'mr_number', label: 'MR number (generated by KIPU at admission)', type: 'string', phi: true, direction: 'pull' },
  { path: 'level_of_care', label: 'Level of care', type: 'string', direction: 'pull' },
  { path: 'program', label: 'Program', type: 'string', valueMap: 'program', direction: 'pull' },
  { path: 'bed_name', label: 'Bed', type: 'string', direction: 'pull' },
  { path: 'room_name', label: 'Room', type: 'string', direction: 'pull' },
  { path: 'building_name', label: 'Building', type: 'string', direction: 'pull' },
  { path: 'location_name', label: 'Location name', type: 'string', direction: 'pull' },
  { path: 'discharge_or_transition_id', label: 'Discharge / transition id', type: 'string', direction: 'pull' },
  { path: 'discharge_or_transition_name', label: 'Discharge / transition', type: 'string', direction: 'pull' },
  { path: 'discharge_type', label: 'Discharge type', type: 'string', direction: 'pull' },
  { path: 'discharge_type_code', label: 'Discharge type code', type: 'string', direction: 'pull' },
  { path: 'payment_method_category', label: 'Payment method category', type: 'string', direction: 'pull' },
  { path: 'created_at', label: 'Created in KIPU at', type: 'datetime', direction: 'pull' },
  // Nested segments the connector builds itself.
  ins('insurance_company', 'company (KIPU payor name)', { valueMap: 'payerCode' }),
  ins('policy_no', 'policy (member) number', { phi: true }),
  ins('group_ID', 'group number', { phi: true }),
  ins('insurance_type', 'priority', { allowed: KIPU_INSURANCE_TYPES }),
  ins('payer_synonym', 'payer synonym'),
  ins('subscriber_relationship', "subscriber's relationship to the patient", { valueMap: 'subscriberRelationship', allowed: KIPU_SUBSCRIBER_RELATIONSHIPS }),
  ins('subscriber_first_name', 'subscriber first name', { phi: true }),
  ins('subscriber_last_name', 'subscriber last name', { phi: true }),
  ins('subscriber_dob', 'subscriber date of birth', { type: 'date', phi: true }),
  ins('subscriber_phone', 'subscriber phone', { phi: true }),
  ins('subscriber_address_street', 'subscriber street', { phi: true }),
  ins('subscriber_address_city', 'subscriber city', { phi: true }),
  ins('subscriber_address_state', 'subscriber state', { phi: true }),
  ins('subscriber_address_zip', 'subscriber ZIP code', { phi: true }),
  ins('start_date', 'start date', { type: 'date' }),
  ins('end_date', 'end date', { type: 'date' }),
  contact('full_name', 'full name', { phi: true }),
  contact('phone', 'phone', { phi: true }),
  contact('email', 'email', { phi: true }),
  contact('relationship', 'relationship', { valueMap: 'contactRelationship', allowed: KIPU_CONTACT_RELATIONSHIPS }),
  contact('contact_type', 'contact type'),
  contact('notes', 'notes', { phi: true }),
]

/** The fields KIPU must hold before a patient is pulled (the KIPU integration article, F15), with the words the waiting list uses. */
export const KIPU_PULL_REQUIRED: readonly { field: string; label: string }[] = [
  { field: 'first_name', label: 'first name' },
  { field: 'last_name', label: 'last name' },
  { field: 'dob', label: 'date of birth' },
  { field: 'admission_date', label: 'admission date' },
  { field: 'mr_number', label: 'MR number' },
]

export const kipuDefaults: MappingDefaults = {
  // The KIPU integration article's create payload field for field; referral source and insurance mapped by default, as it says.
  fieldMap: [
    { crm: 'firstName', emr: 'first_name' },
    { crm: 'middleName', emr: 'middle_name' },
    { crm: 'lastName', emr: 'last_name' },
    { crm: 'preferredName', emr: 'preferred_name' },
    { crm: 'dob', emr: 'dob' },
    { crm: 'maritalStatus', emr: 'marital_status' },
    { crm: 'gender', emr: 'gender' },
    { crm: 'race', emr: 'race' },
    { crm: 'ethnicity', emr: 'ethnicity' },
    { crm: 'locationId', emr: 'location_id' },
    { crm: 'phone', emr: 'phone' },
    { crm: 'alternatePhone', emr: 'alternate_phone' },
    { crm: 'email', emr: 'email' },
    { crm: 'address.line1', emr: 'address_street' },
    { crm: 'address.line2', emr: 'address_street2' },
    { crm: 'address.city', emr: 'address_city' },
    { crm: 'address.state', emr: 'address_state' },
    { crm: 'address.postalCode', emr: 'address_zip' },
    { crm: 'address.country', emr: 'address_country' },
    { crm: 'firstContactName', emr: 'first_contact_name' },
    { crm: 'customFields.firstContactInformation', emr: 'first_contact_information' },
    { crm: 'customFields.firstContactRelationship', emr: 'first_contact_relationship' },
    { crm: 'referrerName', emr: 'referrer_id' },
    { crm: 'referrerName', emr: 'referrer_name' },
    { crm: 'admissionDate', emr: 'admission_date' },
    { crm: 'dischargeDate', emr: 'discharge_date' },
    { crm: 'paymentMethod', emr: 'payment_method' },
    // The KIPU integration article's pull payload, after admission.
    { crm: 'levelOfCare', emr: 'level_of_care' },
    { crm: 'programId', emr: 'program' },
    { crm: 'customFields.kipuBed', emr: 'bed_name' },
    { crm: 'customFields.kipuRoom', emr: 'room_name' },
    { crm: 'customFields.kipuBuilding', emr: 'building_name' },
    { crm: 'customFields.kipuDischargeOrTransition', emr: 'discharge_or_transition_name' },
    { crm: 'customFields.kipuDischargeType', emr: 'discharge_type' },
    { crm: 'customFields.kipuDischargeTypeCode', emr: 'discharge_type_code' },
  ],
  valueMaps: {
    maritalStatus: {
      married: 'Married',
      single: 'Single',
      divorced: 'Divorced',
      widowed: 'Widowed',
      separated: 'Separated',
      domestic_partner: 'Domestic Partner',
      unknown: 'Unknown',
    },
    gender: { male: 'Male', female: 'Female', other: 'Other', unknown: 'Unknown' },
    race: {
      american_indian_or_alaska_native: 'American Indian or Alaska Native',
      asian: 'Asian',
      black_or_african_american: 'Black or African American',
      native_hawaiian_or_other_pacific_islander: 'Native Hawaiian or Other Pacific Islander',
      white: 'White',
      other: 'Other',
      declined: 'Declined to Specify',
    },
    ethnicity: { hispanic_or_latino: 'Hispanic or Latino', not_hispanic_or_latino: 'Not Hispanic or Latino', declined: 'Declined to Specify' },
    paymentMethod: { insurance: 'Insurance', self_pay: 'Self Pay', scholarship: 'Scholarship', other: 'Other' },
    subscriberRelationship: { self: 'Self', spouse: 'Spouse', common_law_spouse: 'Spouse', parent: 'Parent', child: 'Child', injured_party: 'Other', other: 'Other' },
    contactRelationship: { spouse: 'Spouse', common_law_spouse: 'Partner', parent: 'Parent', child: 'Child', injured_party: 'Other', other: 'Other' },
    // Filled per connection from the reference values KIPU lists (GET …/reference-values):
    // CRM location id → KIPU location id; CRM referrer name → KIPU referrer id; CRM program id →
    // KIPU program; CRM payer code → KIPU payor name (unmapped: the policy is not sent, F13).
    location: {},
    referrer: {},
    program: {},
    payerCode: {},
  },
}
