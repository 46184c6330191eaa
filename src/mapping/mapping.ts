import type { DroppedField, FieldCatalog, FieldMapping, FieldSpec, MappingDefaults, ResolvedMapping, ValueMaps } from '../connectors/connector.js'
import { crmFieldKind, isCrmPatientField } from './crmFields.js'
import { DEFAULT_OWNERSHIP, type Ownership } from './reconcile.js'
import { getPath, parsePath } from './paths.js'
import { CRM_REFERRAL_FIELDS, CRM_REFERRAL_FIELD_PATHS } from '../crm/referralFields.js'

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

/** A catalog's fields by path, made once per catalog: catalogs are the connectors' constants, mapped for every record. */
function specsByPath(catalog: FieldCatalog): ReadonlyMap<string, FieldSpec> {
  let byPath = catalogIndex.get(catalog)
  if (!byPath) catalogIndex.set(catalog, (byPath = new Map(catalog.map((spec) => [spec.path, spec]))))
  return byPath
}
const catalogIndex = new WeakMap<FieldCatalog, ReadonlyMap<string, FieldSpec>>()

/**
 * Reads each mapped CRM field and translates it for the external system. A value without an
 * entry in its value map is left out and reported, never sent raw (the system would reject it,
 * or worse, store a wrong code).
 */
export function applyFieldMap(record: unknown, mapping: ResolvedMapping, catalog: FieldCatalog, only?: (spec: FieldSpec) => boolean): MappedValues {
  const byPath = specsByPath(catalog)
  const values = new Map<string, unknown>()
  const dropped: DroppedField[] = []
  for (const { crm, emr } of mapping.fieldMap) {
    const spec = byPath.get(emr)
    // Fields the system only returns, or that the connector fills itself, are never sent from the field map.
    if (!spec || spec.direction === 'pull' || spec.managedBy || (only && !only(spec))) continue
    const raw = getPath(record, crm)
    if (raw === undefined || raw === null || raw === '') continue
    let value: unknown = raw
    if (spec.valueMap) {
      const code = mapping.valueMaps[spec.valueMap]?.[String(raw)]
      if (code === undefined) {
        dropped.push({ field: emr, reason: `${crm} "${String(raw)}" has no ${spec.valueMap} mapping for this connection` })
        continue
      }
      value = code
    }
    const converted = convertForField(value, spec)
    if (!converted.ok) {
      dropped.push({ field: emr, reason: `${crm} "${String(raw)}" ${converted.problem}` })
      continue
    }
    if (spec.allowed && !spec.allowed.includes(String(converted.value))) {
      dropped.push({ field: emr, reason: `${crm} "${String(converted.value)}" is not a value ${emr} accepts (one of: ${spec.allowed.join(', ')})` })
      continue
    }
    values.set(emr, converted.value)
  }
  return { values, dropped }
}

/** A value in the catalog field's type, or why it cannot be (checked per value: custom fields hold any text, number or yes/no). */
export function convertForField(value: unknown, spec: Pick<FieldSpec, 'type'>): { ok: true; value: unknown } | { ok: false; problem: string } {
  switch (spec.type) {
    case 'string':
      return { ok: true, value: typeof value === 'string' ? value : String(value) }
    case 'date':
      return typeof value === 'string' && isCalendarDate(value) ? { ok: true, value } : { ok: false, problem: 'is not a date (YYYY-MM-DD)' }
    case 'datetime':
      return typeof value === 'string' && (isCalendarDate(value) || (/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}/.test(value) && isCalendarDate(value.slice(0, 10))))
        ? { ok: true, value }
        : { ok: false, problem: 'is not a date or date-time' }
    case 'integer': {
      const text = String(value).trim()
      return (typeof value === 'number' && Number.isInteger(value)) || /^-?\d{1,15}$/.test(text) ? { ok: true, value: Number(text) } : { ok: false, problem: 'is not a whole number' }
    }
    case 'boolean': {
      if (typeof value === 'boolean') return { ok: true, value }
      const word = String(value).trim().toLowerCase()
      if (['true', 'yes', '1'].includes(word)) return { ok: true, value: true }
      if (['false', 'no', '0'].includes(word)) return { ok: true, value: false }
      return { ok: false, problem: 'is not yes/no (true or false)' }
    }
  }
}

function isCalendarDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false
  const d = new Date(`${value}T00:00:00Z`)
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value
}

export interface MappingProblem {
  field: string
  message: string
}

/**
 * Checks a field map against the CRM's fields and the connector's catalog (F7), when it is saved:
 * a field the system does not accept, one the connector fills itself, or a CRM field whose values
 * cannot become the field's type is refused, naming the field and why — never found at sync time.
 */
export function checkFieldMap(fieldMap: FieldMapping[], catalog: FieldCatalog, system = "this connector's API"): MappingProblem[] {
  const problems: MappingProblem[] = []
  const known = new Map(catalog.map((s) => [s.path, s]))
  const targets = new Map<string, number>()
  fieldMap.forEach((entry, i) => {
    if (!isCrmPatientField(entry.crm)) {
      problems.push({ field: `fieldMap[${i}].crm`, message: `"${entry.crm}" is not a CRM patient field (use a standard field or customFields.<name>)` })
    }
    const spec = known.get(entry.emr)
    if (!parsePath(entry.emr) || !spec) {
      problems.push({ field: `fieldMap[${i}].emr`, message: `"${entry.emr}" is not a field ${system} accepts` })
    } else if (isCrmPatientField(entry.crm)) {
      const problem = conversionProblem(entry.crm, spec)
      if (problem) problems.push({ field: `fieldMap[${i}].emr`, message: problem })
    }
    const previous = targets.get(entry.emr)
    if (previous !== undefined) {
      problems.push({ field: `fieldMap[${i}].emr`, message: `"${entry.emr}" is already mapped by fieldMap[${previous}]` })
    }
    targets.set(entry.emr, i)
  })
  return problems
}

/** Why a CRM field cannot feed a catalog field, or null. Value-mapped fields are checked by their codes (checkValueMaps). */
function conversionProblem(crm: string, spec: FieldSpec): string | null {
  if (spec.managedBy) return `"${spec.path}" is filled by the connector from ${spec.managedBy}; it cannot be mapped`
  if (spec.valueMap) return null
  const kind = crmFieldKind(crm)
  if (kind.kind === 'custom' || crm === 'id') return kind.kind === 'custom' || spec.type === 'string' ? null : `"${crm}" is the CRM id; "${spec.path}" takes a ${spec.type}`
  switch (spec.type) {
    case 'date':
    case 'datetime':
      return kind.kind === 'date' ? null : `"${crm}" holds ${kind.kind === 'choice' ? 'a choice' : 'text'}, but "${spec.path}" takes a ${spec.type === 'date' ? 'date (YYYY-MM-DD)' : 'date and time'}`
    case 'integer':
    case 'boolean':
      return `"${crm}" holds ${kind.kind === 'date' ? 'a date' : kind.kind === 'choice' ? 'a choice' : 'text'}, but "${spec.path}" takes ${spec.type === 'integer' ? 'a whole number' : 'yes/no'}; map a custom field instead`
    case 'string': {
      if (!spec.allowed || kind.kind !== 'choice') return null
      const foreign = kind.values.filter((v) => !spec.allowed!.includes(v))
      return foreign.length === 0
        ? null
        : `"${crm}" holds the CRM's values (${kind.values.join(', ')}), but "${spec.path}" accepts only ${spec.allowed.join(', ')}: map it to a field that translates them through a value map`
    }
  }
}

/**
 * Checks value maps: only maps the connector knows, codes as non-empty strings, and — where a
 * catalog field using the map has a list of allowed values — codes from that list.
 */
export function checkValueMaps(valueMaps: ValueMaps, defaults: MappingDefaults, catalog: FieldCatalog, extraMaps: string[] = []): MappingProblem[] {
  const allowed = new Set([...Object.keys(defaults.valueMaps), ...catalog.flatMap((s) => (s.valueMap ? [s.valueMap] : [])), ...extraMaps])
  const problems: MappingProblem[] = []
  for (const [name, entries] of Object.entries(valueMaps)) {
    if (!allowed.has(name)) {
      problems.push({ field: `valueMaps.${name}`, message: `unknown value map; this connector uses: ${[...allowed].sort().join(', ')}` })
      continue
    }
    const constrained = catalog.filter((s) => s.valueMap === name && (s.allowed || s.type === 'integer' || s.type === 'boolean' || s.type === 'date'))
    for (const [from, to] of Object.entries(entries)) {
      if (typeof to !== 'string' || to.trim() === '') {
        problems.push({ field: `valueMaps.${name}.${from}`, message: 'must map to a non-empty code' })
        continue
      }
      for (const spec of constrained) {
        if (spec.allowed && !spec.allowed.includes(to)) {
          problems.push({ field: `valueMaps.${name}.${from}`, message: `"${to}" is not a value "${spec.path}" accepts (one of: ${spec.allowed.join(', ')})` })
          break
        }
        const converted = convertForField(to, spec)
        if (!converted.ok) {
          problems.push({ field: `valueMaps.${name}.${from}`, message: `"${to}" ${converted.problem}, as "${spec.path}" needs` })
          break
        }
      }
    }
  }
  return problems
}

/**
 * Checks a referral field map (connectors whose `crmRecord` is `referral`): each entry names a CRM
 * referral field and a field of the connector's catalog, and the value can travel between them —
 * from the catalog field into the CRM for a field the system sends (`direction: pull`), the other
 * way for one it receives. Refused when saved, naming the field and why.
 */
export function checkReferralFieldMap(fieldMap: FieldMapping[], catalog: FieldCatalog, system = "this connector's API"): MappingProblem[] {
  const problems: MappingProblem[] = []
  const known = new Map(catalog.map((s) => [s.path, s]))
  const crmSpecs = new Map(CRM_REFERRAL_FIELDS.map((s) => [s.path, s]))
  const targets = new Map<string, number>()
  fieldMap.forEach((entry, i) => {
    const crm = crmSpecs.get(entry.crm)
    if (!crm) problems.push({ field: `fieldMap[${i}].crm`, message: `"${entry.crm}" is not a CRM referral field (one of: ${CRM_REFERRAL_FIELD_PATHS.join(', ')})` })
    const spec = known.get(entry.emr)
    if (!spec) {
      problems.push({ field: `fieldMap[${i}].emr`, message: `"${entry.emr}" is not a field ${system} has` })
    } else if (spec.managedBy) {
      problems.push({ field: `fieldMap[${i}].emr`, message: `"${spec.path}" goes to ${spec.managedBy}; it cannot be mapped` })
    } else if (crm) {
      const [from, to] = spec.direction === 'pull' ? [spec, crm] : [crm, spec]
      if (!typeTravels(from.type, to.type)) problems.push({ field: `fieldMap[${i}].emr`, message: `"${from.path}" holds ${TYPE_WORDS[from.type]}, but "${to.path}" takes ${TYPE_WORDS[to.type]}` })
    }
    // Inbound, one CRM field is filled once; outbound, one system field is sent once.
    const key = spec?.direction === 'pull' ? entry.crm : entry.emr
    const previous = targets.get(key)
    if (previous !== undefined) problems.push({ field: `fieldMap[${i}]`, message: `"${key}" is already mapped by fieldMap[${previous}]` })
    targets.set(key, i)
  })
  return problems
}

const TYPE_WORDS: Record<FieldSpec['type'], string> = { string: 'text', date: 'a date', datetime: 'a date and time', integer: 'a whole number', boolean: 'yes/no' }

/** Whether every value of one field type converts to another: the same type, anything to text, a date to a date-time. */
function typeTravels(from: FieldSpec['type'], to: FieldSpec['type']): boolean {
  return from === to || to === 'string' || (from === 'date' && to === 'datetime')
}
