import { describe, expect, it } from 'vitest'
import type { FieldCatalog, MappingDefaults } from '../connectors/connector.js'
import { applyFieldMap, checkFieldMap, checkValueMaps, resolveMapping } from './mapping.js'
import { compactArrays, getPath, setPath } from './paths.js'

const catalog: FieldCatalog = [
  { path: 'name.first', label: 'First name', type: 'string' },
  { path: 'phones[1]', label: 'Second phone', type: 'string' },
  { path: 'demographics.maritalStatus', label: 'Marital status', type: 'string', valueMap: 'maritalStatus' },
  { path: 'demographics.genderDetail', label: 'Gender detail', type: 'string' },
]
const defaults: MappingDefaults = {
  fieldMap: [
    { crm: 'firstName', emr: 'name.first' },
    { crm: 'maritalStatus', emr: 'demographics.maritalStatus' },
  ],
  valueMaps: { maritalStatus: { married: 'Married', single: 'Unmarried' } },
}

describe('paths', () => {
  it('reads and writes nested fields and array slots', () => {
    const target: Record<string, unknown> = {}
    setPath(target, 'phones[1]', '555')
    setPath(target, 'name.first', 'Ann')
    expect(compactArrays(target)).toEqual({ phones: ['555'], name: { first: 'Ann' } })
    expect(getPath({ address: { city: 'Lawrence' } }, 'address.city')).toBe('Lawrence')
    expect(getPath({ address: null }, 'address.city')).toBeUndefined()
  })
})

describe('resolveMapping', () => {
  it('overlays the connection value maps on the defaults and keeps the default field map', () => {
    const resolved = resolveMapping(defaults, { fieldMap: null, valueMaps: { maritalStatus: { single: 'Unknown' }, payerCode: { AET01: 'p1' } } })
    expect(resolved.fieldMap).toBe(defaults.fieldMap)
    expect(resolved.valueMaps).toEqual({ maritalStatus: { married: 'Married', single: 'Unknown' }, payerCode: { AET01: 'p1' } })
  })
})

describe('applyFieldMap', () => {
  it('translates through value maps and reports values without a mapping', () => {
    const mapping = resolveMapping(defaults, { fieldMap: null, valueMaps: {} })
    const result = applyFieldMap({ firstName: 'Ann', maritalStatus: 'widowed' }, mapping, catalog)
    expect([...result.values]).toEqual([['name.first', 'Ann']])
    expect(result.dropped).toEqual([
      { field: 'demographics.maritalStatus', reason: 'maritalStatus "widowed" has no maritalStatus mapping for this connection' },
    ])
  })

  it('maps custom fields to any field of the catalog', () => {
    const mapping = resolveMapping(defaults, { fieldMap: [{ crm: 'customFields.genderNote', emr: 'demographics.genderDetail' }], valueMaps: {} })
    const result = applyFieldMap({ customFields: { genderNote: 'prefers they' } }, mapping, catalog)
    expect(result.values.get('demographics.genderDetail')).toBe('prefers they')
  })
})

describe('checks', () => {
  it('names unknown CRM fields, unknown targets and duplicates', () => {
    const problems = checkFieldMap(
      [
        { crm: 'shoeSize', emr: 'name.first' },
        { crm: 'firstName', emr: 'name.nickname' },
        { crm: 'lastName', emr: 'name.first' },
      ],
      catalog,
    )
    expect(problems.map((p) => p.field)).toEqual(['fieldMap[0].crm', 'fieldMap[1].emr', 'fieldMap[2].emr'])
  })

  it('rejects value maps the connector does not use', () => {
    expect(checkValueMaps({ shoeSize: { a: 'b' } }, defaults, catalog)[0]?.field).toBe('valueMaps.shoeSize')
    expect(checkValueMaps({ maritalStatus: { married: '' } }, defaults, catalog)[0]?.message).toBe('must map to a non-empty code')
  })
})

describe('catalog checks (F7: refused when saved, never at sync time)', () => {
  const typed: FieldCatalog = [
    { path: 'first_name', label: 'First name', type: 'string' },
    { path: 'admitted_at', label: 'Admitted', type: 'datetime' },
    { path: 'bed_count', label: 'Beds', type: 'integer' },
    { path: 'veteran', label: 'Veteran', type: 'boolean' },
    { path: 'relationship', label: 'Relationship', type: 'string', allowed: ['Self', 'Parent'] },
    { path: 'marital', label: 'Marital', type: 'string', valueMap: 'maritalStatus', allowed: ['Single', 'Married'] },
    { path: 'policy', label: 'Policy', type: 'string', managedBy: 'the account' },
    { path: 'mr_number', label: 'MR', type: 'string', direction: 'pull' },
  ]
  const problems = (crm: string, emr: string) => checkFieldMap([{ crm, emr }], typed, 'KIPU').map((p) => p.message)

  it('accepts what converts and refuses what cannot, naming the field and why', () => {
    expect(problems('dob', 'admitted_at')).toEqual([])
    expect(problems('customFields.anything', 'bed_count')).toEqual([])
    expect(problems('customFields.anything', 'relationship')).toEqual([])
    expect(problems('firstName', 'nickname')).toEqual(['"nickname" is not a field KIPU accepts'])
    expect(problems('firstName', 'admitted_at')).toEqual(['"firstName" holds text, but "admitted_at" takes a date and time'])
    expect(problems('dob', 'bed_count')[0]).toMatch(/"dob" holds a date, but "bed_count" takes a whole number; map a custom field instead/)
    expect(problems('gender', 'veteran')[0]).toMatch(/takes yes\/no/)
    expect(problems('gender', 'relationship')[0]).toMatch(/"gender" holds the CRM's values \(male, female, other, unknown\), but "relationship" accepts only Self, Parent/)
    expect(problems('customFields.policy', 'policy')).toEqual(['"policy" is filled by the connector from the account; it cannot be mapped'])
  })

  it('refuses value-map codes outside the field\u2019s allowed values', () => {
    const withMarital: MappingDefaults = { fieldMap: [], valueMaps: { maritalStatus: {} } }
    expect(checkValueMaps({ maritalStatus: { single: 'Single' } }, withMarital, typed)).toEqual([])
    expect(checkValueMaps({ maritalStatus: { single: 'Unmarried' } }, withMarital, typed)).toEqual([
      { field: 'valueMaps.maritalStatus.single', message: '"Unmarried" is not a value "marital" accepts (one of: Single, Married)' },
    ])
  })

  it('converts per value when sending: out-of-list, non-numeric and non-date values are left out with the reason', () => {
    const mapping = resolveMapping(
      { fieldMap: [], valueMaps: {} },
      {
        fieldMap: [
          { crm: 'customFields.a', emr: 'relationship' },
          { crm: 'customFields.b', emr: 'bed_count' },
          { crm: 'customFields.c', emr: 'veteran' },
          { crm: 'customFields.d', emr: 'admitted_at' },
          { crm: 'customFields.e', emr: 'mr_number' },
          { crm: 'customFields.f', emr: 'policy' },
        ],
        valueMaps: {},
      },
    )
    const sent = applyFieldMap({ customFields: { a: 'Parent', b: '12', c: 'yes', d: '2025-04-16', e: 'MR1', f: 'P1' } }, mapping, typed)
    expect(Object.fromEntries(sent.values)).toEqual({ relationship: 'Parent', bed_count: 12, veteran: true, admitted_at: '2025-04-16' })
    expect(sent.dropped).toEqual([])
    const refused = applyFieldMap({ customFields: { a: 'Neighbor', b: 'twelve', c: 'maybe', d: '16/04/2025' } }, mapping, typed)
    expect(refused.values.size).toBe(0)
    expect(refused.dropped.map((d) => d.reason)).toEqual([
      'customFields.a "Neighbor" is not a value relationship accepts (one of: Self, Parent)',
      'customFields.b "twelve" is not a whole number',
      'customFields.c "maybe" is not yes/no (true or false)',
      'customFields.d "16/04/2025" is not a date or date-time',
    ])
  })
})
