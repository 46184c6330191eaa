import type { DroppedField, FieldCatalog, FieldMapping, FieldSpec, MappingDefaults, ResolvedMapping, ValueMaps } from '../connectors/connector.js'
import { isCrmPatientField } from './crmFields.js'
import { DEFAULT_OWNERSHIP, type Ownership } from './reconcile.js'
import { getPath, parsePath } from './paths.js'

/** The mapping in force: the connection's field map if it has one (else the connector's), value maps overlaid key by key. */
export function resolveMapping(
  defaults: MappingDefaults,
  stored: { fieldMap: FieldMapping[] | null; valueMaps: ValueMaps; ownership?: Ownership | null },
): ResolvedMapping {
  const valueMaps: ValueMaps = {}
  for (const name of new Set([...Object.keys(defaults.valueMaps), ...Object.keys(stored.valueMaps)])) {
    valueMaps[name] = { ...defaults.valueMaps[name], ...stored.valueMaps[name] }
  }
  return { fieldMap: stored.fieldMap ?? defaults.fieldMap, valueMaps, ownership: stored.ownership ?? DEFAULT_OWNERSHIP }
}

export interface MappedValues {
  /** External field path → value, already translated through value maps. */
  values: Map<string, unknown>
  dropped: DroppedField[]
}

/**
 * Reads each mapped CRM field and translates it for the external system. A value without an
 * entry in its value map is left out and reported, never sent raw (the system would reject it,
 * or worse, store a wrong code).
 */
export function applyFieldMap(record: unknown, mapping: ResolvedMapping, catalog: FieldCatalog, only?: (spec: FieldSpec) => boolean): MappedValues {
  const byPath = new Map(catalog.map((spec) => [spec.path, spec]))
  const values = new Map<string, unknown>()
  const dropped: DroppedField[] = []
  for (const { crm, emr } of mapping.fieldMap) {
    const spec = byPath.get(emr)
    if (!spec || (only && !only(spec))) continue
    const raw = getPath(record, crm)
    if (raw === undefined || raw === null || raw === '') continue
    if (spec.valueMap) {
      const code = mapping.valueMaps[spec.valueMap]?.[String(raw)]
      if (code === undefined) {
        dropped.push({ field: emr, reason: `${crm} "${String(raw)}" has no ${spec.valueMap} mapping for this connection` })
        continue
      }
      values.set(emr, code)
    } else {
      values.set(emr, spec.type === 'string' && typeof raw !== 'string' ? String(raw) : raw)
    }
  }
  return { values, dropped }
}

export interface MappingProblem {
  field: string
  message: string
}

/** Checks a field map against the CRM's fields and the connector's catalog (F7). */
export function checkFieldMap(fieldMap: FieldMapping[], catalog: FieldCatalog): MappingProblem[] {
  const problems: MappingProblem[] = []
  const known = new Set(catalog.map((s) => s.path))
  const targets = new Map<string, number>()
  fieldMap.forEach((entry, i) => {
    if (!isCrmPatientField(entry.crm)) {
      problems.push({ field: `fieldMap[${i}].crm`, message: `"${entry.crm}" is not a CRM patient field (use a standard field or customFields.<name>)` })
    }
    if (!parsePath(entry.emr) || !known.has(entry.emr)) {
      problems.push({ field: `fieldMap[${i}].emr`, message: `"${entry.emr}" is not a field this connector's API accepts` })
    }
    const previous = targets.get(entry.emr)
    if (previous !== undefined) {
      problems.push({ field: `fieldMap[${i}].emr`, message: `"${entry.emr}" is already mapped by fieldMap[${previous}]` })
    }
    targets.set(entry.emr, i)
  })
  return problems
}

/** Checks value maps: only maps the connector knows, codes as non-empty strings. */
export function checkValueMaps(valueMaps: ValueMaps, defaults: MappingDefaults, catalog: FieldCatalog, extraMaps: string[] = []): MappingProblem[] {
  const allowed = new Set([...Object.keys(defaults.valueMaps), ...catalog.flatMap((s) => (s.valueMap ? [s.valueMap] : [])), ...extraMaps])
  const problems: MappingProblem[] = []
  for (const [name, entries] of Object.entries(valueMaps)) {
    if (!allowed.has(name)) {
      problems.push({ field: `valueMaps.${name}`, message: `unknown value map; this connector uses: ${[...allowed].sort().join(', ')}` })
      continue
    }
    for (const [from, to] of Object.entries(entries)) {
      if (typeof to !== 'string' || to.trim() === '') {
        problems.push({ field: `valueMaps.${name}.${from}`, message: 'must map to a non-empty code' })
      }
    }
  }
  return problems
}
