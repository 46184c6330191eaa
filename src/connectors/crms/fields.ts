import type { FieldCatalog, FieldSpec, MappingDefaults } from '../connector.js'

/**
 * CRMS's referral fields: what `POST /referrals` and `PATCH /referrals/{id}` accept, by path in
 * the body ([P]: CRMS publishes no API; the mapped fields are those Caredove's "Caredove-CRMS
 * integration" article lists). `required` is what CRMS refuses a referral without; the labels
 * make its sentence ("Date of birth is required"), so a referral is checked against this catalog
 * before it is accepted from the referral network (F23), and again before it is sent.
 */
const registrant = (field: string, label: string, extra: Partial<FieldSpec> = {}): FieldSpec => ({ path: `registrant.${field}`, label, type: 'string', phi: true, ...extra })

export const crmsFields: FieldCatalog = [
  registrant('first_name', 'First name', { required: true }),
  registrant('middle_name', 'Middle name'),
  registrant('last_name', 'Last name', { required: true }),
  registrant('date_of_birth', 'Date of birth', { type: 'date', required: true }),
  registrant('gender', 'Gender'),
  registrant('address', 'Address'),
  registrant('city', 'City'),
  registrant('province', 'Province'),
  registrant('country', 'Country'),
  registrant('postal_code', 'Postal code'),
  registrant('preferred_language', 'Preferred language', { phi: false }),
  registrant('phone_home', 'Phone (home/main)'),
  registrant('phone_alt', 'Phone (alternate)'),
  registrant('email', 'Email'),
  { path: 'requester.first_name', label: 'Requester first name', type: 'string' },
  { path: 'requester.last_name', label: 'Requester last name', type: 'string' },
  { path: 'requester.organization', label: 'Requester organization', type: 'string' },
  { path: 'requester.phone', label: 'Requester phone', type: 'string' },
  { path: 'appointment.start', label: 'Appointment start', type: 'datetime' },
  { path: 'appointment.duration_minutes', label: 'Appointment duration (minutes)', type: 'integer' },
  { path: 'appointment.location', label: 'Appointment location', type: 'string' },
  { path: 'appointment.provider_full_name', label: 'Appointment provider full name', type: 'string' },
  // Filled by the connector itself, never from the field map.
  { path: 'external_id', label: 'Referral id in the referral network', type: 'string', managedBy: "the referral's id in the referral network (Caredove)" },
  { path: 'referral_note', label: 'Referral Note', type: 'string', phi: true, managedBy: 'the Referral Note (every answer the field map does not name)' },
  { path: 'attachments', label: 'Attachments', type: 'string', phi: true, managedBy: "the Referral Summary PDF and the referral's own attachments" },
]

/** CRM referral field (src/crm/referralFields.ts) → CRMS body path: every field CRMS takes, one to one. */
export const crmsDefaults: MappingDefaults = {
  fieldMap: [
    { crm: 'registrant.firstName', emr: 'registrant.first_name' },
    { crm: 'registrant.middleName', emr: 'registrant.middle_name' },
    { crm: 'registrant.lastName', emr: 'registrant.last_name' },
    { crm: 'registrant.dateOfBirth', emr: 'registrant.date_of_birth' },
    { crm: 'registrant.gender', emr: 'registrant.gender' },
    { crm: 'registrant.address.street', emr: 'registrant.address' },
    { crm: 'registrant.address.city', emr: 'registrant.city' },
    { crm: 'registrant.address.province', emr: 'registrant.province' },
    { crm: 'registrant.address.country', emr: 'registrant.country' },
    { crm: 'registrant.address.postalCode', emr: 'registrant.postal_code' },
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
