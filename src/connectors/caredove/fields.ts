import type { FieldCatalog, MappingDefaults } from '../connector.js'

/**
 * The Caredove referral fields a field map may read, addressed by their path inside the event's
 * `referral` object ([P] wire format: see README.md). Everything else the referral carries — form
 * answers, messages, fields a field map leaves out, keys this catalog does not know — goes to the
 * Referral Note, labelled, so nothing the referrer wrote is lost (F21).
 */
export const caredoveFields: FieldCatalog = [
  { path: 'registrant.first_name', label: 'Registrant first name', type: 'string', phi: true, direction: 'pull' },
  { path: 'registrant.middle_name', label: 'Registrant middle name', type: 'string', phi: true, direction: 'pull' },
  { path: 'registrant.last_name', label: 'Registrant last name', type: 'string', phi: true, direction: 'pull' },
  { path: 'registrant.dob', label: 'Registrant date of birth', type: 'date', phi: true, direction: 'pull' },
  { path: 'registrant.gender', label: 'Registrant gender', type: 'string', phi: true, direction: 'pull' },
  { path: 'registrant.address.street', label: 'Registrant address', type: 'string', phi: true, direction: 'pull' },
  { path: 'registrant.address.city', label: 'Registrant city', type: 'string', phi: true, direction: 'pull' },
  { path: 'registrant.address.province', label: 'Registrant province', type: 'string', phi: true, direction: 'pull' },
  { path: 'registrant.address.country', label: 'Registrant country', type: 'string', phi: true, direction: 'pull' },
  { path: 'registrant.address.postal_code', label: 'Registrant postal code', type: 'string', phi: true, direction: 'pull' },
  { path: 'registrant.preferred_language', label: 'Registrant preferred language', type: 'string', direction: 'pull' },
  { path: 'registrant.phone_home', label: 'Registrant phone (home/main)', type: 'string', phi: true, direction: 'pull' },
  { path: 'registrant.phone_alt', label: 'Registrant phone (alternate)', type: 'string', phi: true, direction: 'pull' },
  { path: 'registrant.email', label: 'Registrant email', type: 'string', phi: true, direction: 'pull' },
  { path: 'requester.first_name', label: 'Requester first name', type: 'string', direction: 'pull' },
  { path: 'requester.last_name', label: 'Requester last name', type: 'string', direction: 'pull' },
  { path: 'requester.organization', label: 'Requester organization', type: 'string', direction: 'pull' },
  { path: 'requester.phone', label: 'Requester phone', type: 'string', direction: 'pull' },
  { path: 'appointment.start', label: 'Appointment start', type: 'datetime', direction: 'pull' },
  { path: 'appointment.duration_minutes', label: 'Appointment duration (minutes)', type: 'integer', direction: 'pull' },
  { path: 'appointment.location', label: 'Appointment location', type: 'string', direction: 'pull' },
  { path: 'appointment.provider_full_name', label: 'Appointment provider full name', type: 'string', direction: 'pull' },
  // Free text the referrer wrote: may hold anything, so it is masked for staff like a name.
  { path: 'form_fields.answer', label: 'Form answer', type: 'string', phi: true, direction: 'pull', managedBy: 'the Referral Note (every form answer, labelled with its question)' },
]

/** CRM referral field ← Caredove path: the mapping of Caredove's "Caredove-CRMS integration" article, field for field. */
export const caredoveDefaults: MappingDefaults = {
  fieldMap: [
    { crm: 'registrant.firstName', emr: 'registrant.first_name' },
    { crm: 'registrant.middleName', emr: 'registrant.middle_name' },
    { crm: 'registrant.lastName', emr: 'registrant.last_name' },
    { crm: 'registrant.dateOfBirth', emr: 'registrant.dob' },
    { crm: 'registrant.gender', emr: 'registrant.gender' },
    { crm: 'registrant.address.street', emr: 'registrant.address.street' },
    { crm: 'registrant.address.city', emr: 'registrant.address.city' },
    { crm: 'registrant.address.province', emr: 'registrant.address.province' },
    { crm: 'registrant.address.country', emr: 'registrant.address.country' },
    { crm: 'registrant.address.postalCode', emr: 'registrant.address.postal_code' },
    { crm: 'registrant.preferredLanguage', emr: 'registrant.preferred_language' },
    { crm: 'registrant.phoneHome', emr: 'registrant.phone_home' },
    { crm: 'registrant.phoneAlt', emr: 'registrant.phone_alt' },
    { crm: 'registrant.email', emr: 'registrant.email' },
    { crm: 'requester.firstName', emr: 'requester.first_name' },
    { crm: 'requester.lastName', emr: 'requester.last_name' },
    { crm: 'requester.organization', emr: 'requester.organization' },
    { crm: 'requester.phone', emr: 'requester.phone' },
    { crm: 'appointment.start', emr: 'appointment.start' },
    { crm: 'appointment.durationMinutes', emr: 'appointment.duration_minutes' },
    { crm: 'appointment.location', emr: 'appointment.location' },
    { crm: 'appointment.providerFullName', emr: 'appointment.provider_full_name' },
  ],
  valueMaps: {},
}
