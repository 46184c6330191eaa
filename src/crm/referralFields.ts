import type { FieldSpec } from '../connectors/connector.js'

/**
 * The CRM's referral fields (F21): what a referral network's data maps to, and what a referral
 * destination (the CRM inbox, CRMS) is sent. Addressed by path in the referral's `fields`.
 * `required` is the CRM inbox's own requirement: a referral without it is refused with
 * "<label> is required" before anything is stored (F23).
 */
export const CRM_REFERRAL_FIELDS: readonly FieldSpec[] = [
  { path: 'registrant.firstName', label: 'First name', type: 'string', phi: true, required: true },
  { path: 'registrant.middleName', label: 'Middle name', type: 'string', phi: true },
  { path: 'registrant.lastName', label: 'Last name', type: 'string', phi: true, required: true },
  { path: 'registrant.dateOfBirth', label: 'Date of birth', type: 'date', phi: true, required: true },
  { path: 'registrant.gender', label: 'Gender', type: 'string', phi: true },
  { path: 'registrant.address.street', label: 'Address', type: 'string', phi: true },
  { path: 'registrant.address.city', label: 'City', type: 'string', phi: true },
  { path: 'registrant.address.province', label: 'Province', type: 'string', phi: true },
  { path: 'registrant.address.country', label: 'Country', type: 'string', phi: true },
  { path: 'registrant.address.postalCode', label: 'Postal code', type: 'string', phi: true },
  { path: 'registrant.preferredLanguage', label: 'Preferred language', type: 'string' },
  { path: 'registrant.phoneHome', label: 'Phone (home/main)', type: 'string', phi: true },
  { path: 'registrant.phoneAlt', label: 'Phone (alternate)', type: 'string', phi: true },
  { path: 'registrant.email', label: 'Email', type: 'string', phi: true },
  { path: 'requester.firstName', label: 'Requester first name', type: 'string' },
  { path: 'requester.lastName', label: 'Requester last name', type: 'string' },
  { path: 'requester.organization', label: 'Requester organization', type: 'string' },
  { path: 'requester.phone', label: 'Requester phone', type: 'string' },
  { path: 'appointment.start', label: 'Appointment start', type: 'datetime' },
  { path: 'appointment.durationMinutes', label: 'Appointment duration (minutes)', type: 'integer' },
  { path: 'appointment.location', label: 'Appointment location', type: 'string' },
  { path: 'appointment.providerFullName', label: 'Appointment provider full name', type: 'string' },
]

export const CRM_REFERRAL_FIELD_PATHS = CRM_REFERRAL_FIELDS.map((f) => f.path)
