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
