import { describe, expect, it } from 'vitest'
import type { Coverage, Encounter, Location, Patient as FhirPatient, Practitioner } from '@medplum/fhirtypes'
import type { Patient } from '../../crm/patients.js'
import { resolveMapping } from '../../mapping/mapping.js'
import { getPath } from '../../mapping/paths.js'
import { ECW_IDENTIFIER_SYSTEM_DEFAULT, ecwDefaults } from './fields.js'
import { coverageToInsurance, crmFieldsAsEcwHolds, ecwIdentifierOf, encounterToView, fhirPatientToCrm, locationToReference, practitionerToReference } from './fromFhir.js'
import { buildEcwPatient } from './payload.js'
import { SEED_001_CRM_PATIENT, SEED_001_LOCATION, SEED_001_PATIENT } from './seed001.testdata.js'

const withDetail = [...ecwDefaults.fieldMap, { crm: 'customFields.ethnicityDetail', emr: 'ethnicityDetailed' }]
const mapping = resolveMapping(ecwDefaults, { fieldMap: withDetail, valueMaps: { location: { 'crm-loc-lawrence': SEED_001_LOCATION } } })
const options = { identifierSystem: ECW_IDENTIFIER_SYSTEM_DEFAULT }

/** The CRM fields a round trip covers: every CRM field of the field map. */
function demographics(patient: Patient): Record<string, unknown> {
  const fields = [...new Set(mapping.fieldMap.map((m) => m.crm))]
  return Object.fromEntries(fields.flatMap((f) => {
    const value = getPath(patient, f)
    return value === null || value === undefined ? [] : [[f, value]]
  }))
}

describe('fhirPatientToCrm', () => {
  it("reads the CRM–eClinicalWorks integration guide's Patient into CRM fields through the inverse value maps", () => {
    const { fields, unmapped } = fhirPatientToCrm(SEED_001_PATIENT, mapping)
    expect(unmapped).toEqual([])
    expect(fields).toEqual({
      firstName: 'DazEcccw',
      lastName: 'LaliTest',
      dob: '2001-05-27',
      gender: 'male',
      maritalStatus: 'married',
      phone: '9135552003',
      email: '[email protected]',
      'address.line1': '2222 HOME STREET',
      'address.line2': 'Gordon Street',
      'address.city': 'LAWRENCE',
      'address.state': 'open',
      'address.postalCode': 'KS',
      language: 'English',
      race: 'declined',
      ethnicity: 'hispanic_or_latino',
      'customFields.ethnicityDetail': 'Dominican',
      birthSex: 'male',
      locationId: 'crm-loc-lawrence',
    })
  })

  it('round trip CRM → FHIR → CRM returns the same demographics', () => {
    // Phones come back as ECW holds them (digits only), so the CRM side is written that way here.
    const crm: Patient = {
      ...SEED_001_CRM_PATIENT,
      middleName: 'Quinn',
      phone: '9135552003',
      alternatePhone: '7855550100',
      address: { line1: '1 Main St', line2: 'Apt 4', city: 'Lawrence', state: 'KS', postalCode: '66044', country: 'US' },
      race: 'asian',
      maritalStatus: 'domestic_partner',
    }
    const { resource } = buildEcwPatient({ patient: crm, account: null, mapping }, options)
    const { fields, unmapped } = fhirPatientToCrm(resource, mapping)
    expect(unmapped).toEqual([])
    expect(fields).toEqual(demographics(crm))
  })

  it('round trips every value of each default value map', () => {
    for (const [field, map] of [
      ['gender', 'gender'],
      ['maritalStatus', 'maritalStatus'],
      ['race', 'race'],
      ['ethnicity', 'ethnicity'],
      ['birthSex', 'birthSex'],
      ['language', 'language'],
    ] as const) {
      for (const value of Object.keys(ecwDefaults.valueMaps[map]!)) {
        const crm = { ...SEED_001_CRM_PATIENT, customFields: {}, [field]: value } as Patient
        const { resource } = buildEcwPatient({ patient: crm, account: null, mapping }, options)
        expect(fhirPatientToCrm(resource, mapping).fields[field], `${field} ${value}`).toBe(value)
      }
    }
  })

  it('reports codes with no inverse mapping and leaves them out', () => {
    const resource: FhirPatient = {
      ...structuredClone(SEED_001_PATIENT),
      maritalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', code: 'P' }] },
      communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'fr' }] } }],
      extension: [
        {
          url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-race',
          extension: [
            { url: 'ombCategory', valueCoding: { system: 'urn:oid:2.16.840.1.113883.6.238', code: '2106-3' } },
            { url: 'ombCategory', valueCoding: { system: 'urn:oid:2.16.840.1.113883.6.238', code: '2028-9' } },
            { url: 'text', valueString: 'White, Asian' },
          ],
        },
        { url: 'http://eclinicalworks.com/supportingInfo/defaultFacility', valueReference: { reference: 'Location/unknown-site' } },
      ],
    }
    const { fields, unmapped } = fhirPatientToCrm(resource, mapping)
    for (const field of ['maritalStatus', 'language', 'race', 'locationId', 'ethnicity', 'birthSex']) expect(fields).not.toHaveProperty(field)
    expect(unmapped).toEqual([
      { field: 'maritalStatus', reason: 'ECW maritalStatus "P" has no maritalStatus mapping for this connection' },
      { field: 'language', reason: 'ECW communication.language "fr" has no language mapping for this connection' },
      { field: 'race', reason: 'ECW race has 2 categories (2106-3, 2028-9); the CRM holds one' },
      { field: 'locationId', reason: 'ECW defaultFacility "unknown-site" has no location mapping for this connection' },
    ])
  })

  it('matches language codes without case, and refuses partial birth dates', () => {
    const resource: FhirPatient = {
      ...structuredClone(SEED_001_PATIENT),
      birthDate: '2001-05',
      communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'eng' }] } }],
    }
    const { fields, unmapped } = fhirPatientToCrm(resource, mapping)
    expect(fields.language).toBe('English')
    expect(fields).not.toHaveProperty('dob')
    expect(unmapped).toContainEqual({ field: 'dob', reason: 'ECW birthDate "2001-05" is not a full date (the CRM needs YYYY-MM-DD)' })
  })

  it('prefers the official name, the home address and home phone; takes ECW-only shapes', () => {
    const resource: FhirPatient = {
      resourceType: 'Patient',
      name: [
        { use: 'old', family: 'Maiden', given: ['Ann'] },
        { use: 'official', family: 'Smith', given: ['Ann', 'Marie', 'Jo'] },
      ],
      telecom: [
        { system: 'phone', value: '7855550199', use: 'work' },
        { system: 'phone', value: '7855550100', use: 'mobile' },
        { system: 'email', value: 'ann@example.com' },
      ],
      address: [
        { use: 'work', line: ['9 Office Rd'], city: 'Topeka' },
        { use: 'home', line: ['1 Main St', 'Apt 4', 'Rear'], city: 'Lawrence' },
      ],
    }
    const { fields } = fhirPatientToCrm(resource, mapping)
    expect(fields).toEqual({
      firstName: 'Ann',
      middleName: 'Marie Jo',
      lastName: 'Smith',
      phone: '7855550199',
      alternatePhone: '7855550100',
      email: 'ann@example.com',
      'address.line1': '1 Main St',
      'address.line2': 'Apt 4, Rear',
      'address.city': 'Lawrence',
    })
  })
})

describe('crmFieldsAsEcwHolds', () => {
  it('gives the CRM side in ECW form, so an unchanged patient compares equal to what ECW returns', () => {
    const input = { patient: SEED_001_CRM_PATIENT, account: null, mapping }
    const crm = crmFieldsAsEcwHolds(input)
    expect(crm.phone).toBe('9135552003')
    const { resource } = buildEcwPatient(input, { ...options, ecwId: 'ecw-1' })
    expect(fhirPatientToCrm(resource, mapping).fields).toEqual(crm)
  })
})

describe('ecwIdentifierOf', () => {
  it('finds our CRM id under the connection system only', () => {
    const resource: FhirPatient = {
      resourceType: 'Patient',
      identifier: [
        { system: 'http://eclinicalworks.com/fhir/sid/account-number', value: '100007' },
        { use: 'usual', system: ECW_IDENTIFIER_SYSTEM_DEFAULT, value: 'crm-1' },
      ],
    }
    expect(ecwIdentifierOf(resource, ECW_IDENTIFIER_SYSTEM_DEFAULT)).toBe('crm-1')
    expect(ecwIdentifierOf(resource, 'urn:other')).toBeNull()
    expect(ecwIdentifierOf({ resourceType: 'Patient' }, ECW_IDENTIFIER_SYSTEM_DEFAULT)).toBeNull()
  })
})

describe('read-only views and dropdown values', () => {
  it('turns a Coverage into the insurance view (simulator shape)', () => {
    const coverage: Coverage = {
      resourceType: 'Coverage',
      id: 'cov1',
      status: 'active',
      subscriber: { reference: 'Patient/p1' },
      subscriberId: '2123456789',
      beneficiary: { reference: 'Patient/p1' },
      relationship: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/subscriber-relationship', code: 'self' }] },
      period: { start: '2024-03-01' },
      payor: [{ reference: 'Organization/FFBJCDPayer2', display: 'Aetna' }],
      class: [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/coverage-class', code: 'group' }] }, value: 'GRP4321', name: 'Employer group' }],
    }
    expect(coverageToInsurance(coverage)).toEqual({
      ecwId: 'cov1',
      patientEcwId: 'p1',
      payerName: 'Aetna',
      memberId: '2123456789',
      groupNumber: 'GRP4321',
      subscriberId: '2123456789',
      relationship: 'self',
      period: { start: '2024-03-01', end: null },
      status: 'active',
    })
  })

  it('reads the member number identifier, a payer by id, and the relationship from the subscriber side', () => {
    const coverage: Coverage = {
      resourceType: 'Coverage',
      id: 'cov2',
      status: 'cancelled',
      identifier: [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MB' }] }, value: 'W123-01' }],
      subscriberId: 'W123',
      beneficiary: { reference: 'Patient/p2' },
      relationship: { coding: [{ code: 'child' }] },
      period: { start: '2024-01-01', end: '2024-12-31' },
      payor: [{ reference: 'Organization/org9' }],
    }
    expect(coverageToInsurance(coverage, { org9: 'KanCare Medicaid' })).toMatchObject({
      memberId: 'W123-01',
      subscriberId: 'W123',
      payerName: 'KanCare Medicaid',
      // The patient is the subscriber's child: the subscriber is the patient's parent.
      relationship: 'parent',
      period: { start: '2024-01-01', end: '2024-12-31' },
      groupNumber: null,
    })
  })

  it('turns an Encounter into the encounter view', () => {
    const encounter: Encounter = {
      resourceType: 'Encounter',
      id: 'enc1',
      status: 'finished',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB', display: 'ambulatory' },
      type: [{ text: 'Intake Assessment' }],
      subject: { reference: 'Patient/p1' },
      participant: [{ individual: { reference: 'Practitioner/FFBJCDProv3' } }],
      period: { start: '2024-05-02T14:00:00.000Z', end: '2024-05-02T14:30:00.000Z' },
      location: [{ location: { reference: 'Location/LocTopekaFFBJCD' } }],
      reasonCode: [{ coding: [{ system: 'http://snomed.info/sct', code: '35489007', display: 'Depressive disorder' }] }],
    }
    expect(encounterToView(encounter)).toEqual({
      ecwId: 'enc1',
      patientEcwId: 'p1',
      status: 'finished',
      class: 'ambulatory',
      type: 'Intake Assessment',
      start: '2024-05-02T14:00:00.000Z',
      end: '2024-05-02T14:30:00.000Z',
      locationId: 'LocTopekaFFBJCD',
      practitionerId: 'FFBJCDProv3',
      reason: 'Depressive disorder',
    })
  })

  it('turns a Practitioner into a dropdown value', () => {
    const practitioner: Practitioner = {
      resourceType: 'Practitioner',
      id: 'FFBJCDProv1',
      identifier: [{ system: 'http://hl7.org/fhir/sid/us-npi', value: '1487652093' }],
      active: true,
      name: [{ use: 'official', family: 'Alvarez', given: ['Maria'], suffix: ['MD'] }],
    }
    expect(practitionerToReference(practitioner)).toEqual({
      ecwId: 'FFBJCDProv1',
      name: 'Maria Alvarez, MD',
      npi: '1487652093',
      active: true,
      value: 'FFBJCDProv1',
      label: 'Maria Alvarez, MD',
    })
    expect(practitionerToReference({ ...practitioner, name: [{ text: 'Dr. M. Alvarez' }] }).label).toBe('Dr. M. Alvarez')
  })

  it('turns a Location into a dropdown value', () => {
    const location: Location = {
      resourceType: 'Location',
      id: SEED_001_LOCATION,
      status: 'active',
      name: 'Lawrence Main Campus',
      telecom: [{ system: 'phone', value: '7855550100', use: 'work' }],
      address: { use: 'work', line: ['2222 Home Street'], city: 'Lawrence', state: 'KS', postalCode: '66044', country: 'US' },
    }
    expect(locationToReference(location)).toEqual({
      ecwId: SEED_001_LOCATION,
      name: 'Lawrence Main Campus',
      address: '2222 Home Street, Lawrence, KS 66044',
      phone: '7855550100',
      status: 'active',
      value: SEED_001_LOCATION,
      label: 'Lawrence Main Campus',
    })
  })
})
