/**
 * The simulated instance's reference lists: locations (GET /api/locations), care levels
 * (GET /api/care_levels), payors (GET /api/settings/payors) and referrers
 * (GET /api/contacts/referrers). The KIPU integration article fixes two of them: location "2" and referrer "11"
 * ("Recovery in the Ocean"). [I] The item shapes (`{id, name, …}` under a plural key).
 */
export interface Location {
  location_id: number
  location_name: string
  enabled: boolean
}
export interface CareLevel {
  id: number
  name: string
}
export interface Payor {
  id: number
  name: string
  enabled: boolean
}
export interface Referrer {
  id: number
  name: string
  contact_type: string
}

export const KIPU_LOCATIONS: readonly Location[] = [
  { location_id: 2, location_name: 'Middletown Campus', enabled: true },
  { location_id: 3, location_name: 'Topeka Recovery Center', enabled: true },
  { location_id: 4, location_name: 'Olathe Outpatient', enabled: true },
]

export const KIPU_CARE_LEVELS: readonly CareLevel[] = [
  { id: 1, name: 'Detox' },
  { id: 2, name: 'Residential' },
  { id: 3, name: 'PHP' },
  { id: 4, name: 'IOP' },
  { id: 5, name: 'Outpatient' },
]

export const KIPU_PAYORS: readonly Payor[] = [
  { id: 21, name: 'Aetna', enabled: true },
  { id: 22, name: 'Cigna', enabled: true },
  { id: 23, name: 'UnitedHealthcare', enabled: true },
  { id: 24, name: 'Humana', enabled: true },
  { id: 25, name: 'Blue Cross Blue Shield', enabled: true },
]

export const KIPU_REFERRERS: readonly Referrer[] = [
  { id: 11, name: 'Recovery in the Ocean', contact_type: 'Treatment Center' },
  { id: 12, name: 'Lawrence Memorial Hospital', contact_type: 'Hospital' },
  { id: 13, name: 'Douglas County Drug Court', contact_type: 'Court' },
]

/** [I] Programs a chart can be admitted to (the KIPU integration article shows "Substance Use"). */
export const KIPU_PROGRAMS = ['Substance Use', 'Mental Health', 'Dual Diagnosis'] as const

/** [I] The discharge / transition plans a chart can carry (the KIPU integration article shows id 4, "Outpatient Program"). */
export const KIPU_TRANSITIONS: readonly { id: string; name: string }[] = [
  { id: '1', name: 'Home' },
  { id: '2', name: 'Sober Living' },
  { id: '3', name: 'Residential Program' },
  { id: '4', name: 'Outpatient Program' },
]
