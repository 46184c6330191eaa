/** The CRM patient fields a field map may read from; custom fields are `customFields.<name>`. */
export const CRM_PATIENT_FIELDS = [
  'id',
  'firstName',
  'middleName',
  'lastName',
  'preferredName',
  'dob',
  'gender',
  'maritalStatus',
  'phone',
  'alternatePhone',
  'email',
  'address.line1',
  'address.line2',
  'address.city',
  'address.state',
  'address.postalCode',
  'address.country',
  'language',
  'race',
  'ethnicity',
  'birthSex',
  'admissionDate',
  'dischargeDate',
  'programId',
  'levelOfCare',
  'locationId',
  'referrerName',
  'firstContactName',
  'paymentMethod',
] as const

export function isCrmPatientField(field: string): boolean {
  return (CRM_PATIENT_FIELDS as readonly string[]).includes(field) || /^customFields\.[A-Za-z][A-Za-z0-9_]{0,62}$/.test(field)
}
