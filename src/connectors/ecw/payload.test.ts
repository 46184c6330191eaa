import { describe, expect, it } from 'vitest'
import type { Patient as FhirPatient } from '@medplum/fhirtypes'
import type { Patient } from '../../crm/patients.js'
import { resolveMapping } from '../../mapping/mapping.js'
import { checkFieldMap, checkValueMaps } from '../../mapping/mapping.js'
import type { ValueMaps } from '../connector.js'
import { ConnectorError } from '../errors.js'
import { ECW_IDENTIFIER_SYSTEM_DEFAULT, ecwDefaults, ecwFields } from './fields.js'
import { buildEcwPatient, buildTransactionBundle, ecwPhone } from './payload.js'
import { SEED_001_BUNDLE, SEED_001_CRM_PATIENT, SEED_001_LOCATION, SEED_001_PATIENT } from './seed001.testdata.js'

const patient = SEED_001_CRM_PATIENT
const options = { identifierSystem: ECW_IDENTIFIER_SYSTEM_DEFAULT }

/** The defaults, plus what an admin sets per connection: the location map and (the CRM–eClinicalWorks integration guide's Dominican) the detailed-ethnicity custom field. */
function mapping(valueMaps: ValueMaps = { location: { 'crm-loc-lawrence': SEED_001_LOCATION } }, extraFields = [{ crm: 'customFields.ethnicityDetail', emr: 'ethnicityDetailed' }]) {
  return resolveMapping(ecwDefaults, { fieldMap: [...ecwDefaults.fieldMap, ...extraFields], valueMaps })
}

/** The CRM–eClinicalWorks integration guide's Patient with what cannot be the same: our CRM id as the identifier value, a real email (see seed001.testdata.ts). */
function seedExpected(): FhirPatient {
  const expected = structuredClone(SEED_001_PATIENT)
  expected.identifier![0]!.value = patient.id
  expected.telecom![1]!.value = patient.email!
  return expected
}

describe('ECW field catalog and defaults', () => {
  it('default field map and value maps pass the mapping checks', () => {
    expect(checkFieldMap(ecwDefaults.fieldMap, ecwFields)).toEqual([])
    expect(checkValueMaps(ecwDefaults.valueMaps, ecwDefaults, ecwFields)).toEqual([])
  })

  it('has the logical paths ECW Patient accepts', () => {
    expect(ecwFields.map((f) => f.path)).toEqual(
      expect.arrayContaining([
        'name.given', 'name.middle', 'name.family', 'name.text', 'birthDate', 'gender', 'maritalStatus',
        'telecom.phone.home', 'telecom.phone.mobile', 'telecom.email',
        'address.line1', 'address.line2', 'address.city', 'address.state', 'address.postalCode', 'address.country',
        'communication.language', 'race', 'ethnicity', 'birthSex', 'defaultFacility',
      ]),
    )
    expect(ECW_IDENTIFIER_SYSTEM_DEFAULT).toBe('urn:oid:2.16.840.1.113883.4.391.326070')
  })
})

describe('buildEcwPatient (the CRM–eClinicalWorks integration guide)', () => {
  it("builds the CRM–eClinicalWorks integration guide's Patient field for field", () => {
    const { resource, dropped } = buildEcwPatient({ patient, account: null, mapping: mapping() }, options)
    expect(dropped).toEqual([])
    expect(resource).toEqual(seedExpected())
    // Same element order as the seed, so the bytes read the same way in the exchange log.
    expect(Object.keys(resource)).toEqual(Object.keys(SEED_001_PATIENT))
  })

  it("wraps it in the CRM–eClinicalWorks integration guide's transaction Bundle", () => {
    const { resource } = buildEcwPatient({ patient, account: null, mapping: mapping() }, options)
    const expected = structuredClone(SEED_001_BUNDLE)
    expected.entry![0]!.resource = seedExpected()
    expect(buildTransactionBundle(resource)).toEqual(expected)
  })

  it('without the detailed custom field, sends the OMB category alone', () => {
    const { resource } = buildEcwPatient({ patient, account: null, mapping: mapping(undefined, []) }, options)
    const ethnicity = resource.extension!.find((e) => e.url.endsWith('us-core-ethnicity'))
    expect(ethnicity!.extension).toEqual([
      { url: 'ombCategory', valueCoding: { system: 'urn:oid:2.16.840.1.113883.6.238', code: '2135-2', display: 'Hispanic or Latino' } },
      { url: 'text', valueString: 'Hispanic or Latino' },
    ])
  })

  it('sets the id and PUTs to it when the patient is already in ECW', () => {
    const { resource } = buildEcwPatient({ patient, account: null, mapping: mapping() }, { ...options, ecwId: 'ecw-123' })
    expect(resource.id).toBe('ecw-123')
    expect(buildTransactionBundle(resource).entry![0]!.request).toEqual({ method: 'PUT', url: 'Patient/ecw-123' })
  })

  it('sends middle name as the second given, mobile phone, country, race with OMB code and display', () => {
    const other: Patient = {
      ...patient,
      middleName: 'Q',
      alternatePhone: '+1 785-555-0100',
      address: { ...patient.address!, country: 'US' },
      race: 'white',
      ethnicity: 'not_hispanic_or_latino',
      maritalStatus: 'single',
      language: 'Spanish',
      birthSex: 'female',
      customFields: {},
    }
    const { resource } = buildEcwPatient({ patient: other, account: null, mapping: mapping() }, options)
    expect(resource.name).toEqual([{ text: 'DazEcccw', family: 'LaliTest', given: ['DazEcccw', 'Q'] }])
    expect(resource.telecom).toEqual([
      { system: 'phone', value: '9135552003', use: 'home' },
      { system: 'phone', value: '7855550100', use: 'mobile' },
      { system: 'email', value: patient.email, use: 'home' },
    ])
    expect(resource.address![0]!.country).toBe('US')
    expect(resource.maritalStatus).toEqual({
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', code: 'S', display: 'Never Married' }],
      text: 'Never Married',
    })
    expect(resource.communication![0]!.language).toEqual({ coding: [{ system: 'urn:ietf:bcp:47', code: 'SPA', display: 'Spanish' }], text: 'Spanish' })
    expect(resource.extension).toContainEqual({
      url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-race',
      extension: [
        { url: 'ombCategory', valueCoding: { system: 'urn:oid:2.16.840.1.113883.6.238', code: '2106-3', display: 'White' } },
        { url: 'text', valueString: 'White' },
      ],
    })
    expect(resource.extension).toContainEqual({ url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex', valueCode: 'F' })
  })

  it('sends race "other" as the UNK null flavor, and unknown marital status as NullFlavor UNK', () => {
    const { resource } = buildEcwPatient({ patient: { ...patient, race: 'other', maritalStatus: 'unknown' }, account: null, mapping: mapping() }, options)
    const race = resource.extension!.find((e) => e.url.endsWith('us-core-race'))
    expect(race!.extension![0]).toEqual({ url: 'ombCategory', valueCoding: { system: 'http://terminology.hl7.org/CodeSystem/v3-NullFlavor', code: 'UNK', display: 'Unknown' } })
    expect(resource.maritalStatus!.coding![0]!.system).toBe('http://terminology.hl7.org/CodeSystem/v3-NullFlavor')
  })

  it('leaves out what a patient does not have', () => {
    const bare: Patient = { ...patient, dob: null, maritalStatus: null, phone: null, email: null, address: null, language: null, race: null, ethnicity: null, birthSex: null, locationId: null, customFields: {} }
    const { resource, dropped } = buildEcwPatient({ patient: bare, account: null, mapping: mapping() }, options)
    expect(dropped).toEqual([])
    expect(resource).toEqual({
      resourceType: 'Patient',
      meta: { profile: ['http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient'] },
      active: true,
      name: [{ text: 'DazEcccw', family: 'LaliTest', given: ['DazEcccw'] }],
      deceasedBoolean: false,
      identifier: [{ use: 'usual', system: ECW_IDENTIFIER_SYSTEM_DEFAULT, value: patient.id }],
      gender: 'male',
    })
  })

  it('reports a value without a mapping instead of sending it raw', () => {
    const maps = { location: { 'crm-loc-lawrence': SEED_001_LOCATION }, language: { English: 'ENG' } }
    const { resource, dropped } = buildEcwPatient({ patient: { ...patient, language: 'Klingon' }, account: null, mapping: mapping(maps) }, options)
    expect(resource.communication).toBeUndefined()
    expect(dropped).toContainEqual({ field: 'communication.language', reason: 'language "Klingon" has no language mapping for this connection' })
  })

  it('uses a mapped name.text instead of the first name', () => {
    const m = mapping(undefined, [{ crm: 'preferredName', emr: 'name.text' }])
    const { resource } = buildEcwPatient({ patient: { ...patient, preferredName: 'Daz L.' }, account: null, mapping: m }, options)
    expect(resource.name![0]!.text).toBe('Daz L.')
  })

  it('puts a mapped non-OMB CDC race code under detailed, with the CRM word as display', () => {
    const maps = { location: { 'crm-loc-lawrence': SEED_001_LOCATION }, race: { other: '2131-1' } }
    const { resource } = buildEcwPatient({ patient: { ...patient, race: 'other' }, account: null, mapping: mapping(maps) }, options)
    expect(resource.extension!.find((e) => e.url.endsWith('us-core-race'))!.extension).toEqual([
      { url: 'detailed', valueCoding: { system: 'urn:oid:2.16.840.1.113883.6.238', code: '2131-1', display: 'other' } },
      { url: 'text', valueString: 'other' },
    ])
  })

  it('does not send a detailed code beside "declined", and says so', () => {
    const { resource, dropped } = buildEcwPatient({ patient: { ...patient, ethnicity: 'declined' }, account: null, mapping: mapping() }, options)
    expect(resource.extension!.find((e) => e.url.endsWith('us-core-ethnicity'))!.extension).toEqual([
      { url: 'ombCategory', valueCoding: { system: 'http://terminology.hl7.org/CodeSystem/v3-NullFlavor', code: 'ASKU', display: 'Declined to Specify' } },
      { url: 'text', valueString: 'Declined to Specify' },
    ])
    expect(dropped).toEqual([{ field: 'ethnicityDetailed', reason: 'ethnicity is ASKU (Declined to Specify): detailed code 2184-0 is not sent beside it' }])
  })
})

describe('location and program mappings (the CRM–eClinicalWorks integration guide step 5)', () => {
  it('refuses a location that is not mapped, with a named non-retryable error', () => {
    const run = () => buildEcwPatient({ patient, account: null, mapping: mapping({}) }, options)
    expect(run).toThrowError(ConnectorError)
    try {
      run()
    } catch (err) {
      const error = err as ConnectorError
      expect(error.code).toBe('location_not_mapped')
      expect(error.retryable).toBe(false)
      expect(error.message).toBe('location "crm-loc-lawrence" is not mapped to an ECW location for this connection (EMR settings → Locations)')
    }
  })

  it('refuses a program that is not mapped', () => {
    const run = () => buildEcwPatient({ patient: { ...patient, programId: 'prog-php' }, account: null, mapping: mapping() }, options)
    expect(run).toThrowError(expect.objectContaining({ code: 'program_not_mapped', retryable: false }))
    expect(run).toThrowError('program "prog-php" is not mapped to an ECW treatment program for this connection (EMR settings → Treatment Programs)')
  })

  it('accepts a mapped program, and a patient without location or program', () => {
    const maps = { location: { 'crm-loc-lawrence': SEED_001_LOCATION }, program: { 'prog-php': 'ecw-php' } }
    expect(() => buildEcwPatient({ patient: { ...patient, programId: 'prog-php' }, account: null, mapping: mapping(maps) }, options)).not.toThrow()
    const { resource } = buildEcwPatient({ patient: { ...patient, locationId: null }, account: null, mapping: mapping({}) }, options)
    expect(resource.extension!.some((e) => e.url.endsWith('defaultFacility'))).toBe(false)
  })
})

describe('ecwPhone', () => {
  it('keeps digits only, national form for North American numbers', () => {
    expect(ecwPhone('(913) 555-2003')).toBe('9135552003')
    expect(ecwPhone('+1 913.555.2003')).toBe('9135552003')
    expect(ecwPhone('+44 20 7946 0000')).toBe('442079460000')
  })
})
