/**
 * The simulated instance's patient charts: created and PATCHed through the API (by a sending app
 * such as the hub) or by "KIPU staff" through /_sim, admitted (MR number, admission date and the
 * post-admission fields of the KIPU integration article), and read back in KIPU's pull shape.
 */
import { randomUUID } from 'node:crypto'
import {
  CONTACT_FIELDS,
  CONTACT_REQUIRED,
  CREATE_REQUIRED,
  INSURANCE_FIELDS,
  INSURANCE_REQUIRED,
  PATIENT_FIELDS,
  checkValue,
  type FieldRule,
} from './catalog.js'
import { FACILITY_TIME_ZONE, MR_PREFIX, NESTED_MATCH, PAYMENT_METHOD_CATEGORY, PHI_HIDDEN } from './inferred.js'
import { KIPU_LOCATIONS, KIPU_REFERRERS } from './reference.js'

export type PhiLevel = 'high' | 'medium' | 'low'

/** What a chart holds beyond `data` once KIPU staff admitted the patient. */
export interface Admission {
  level_of_care: string
  program: string
  bed_name: string
  room_name: string
  building_name: string
  discharge_or_transition_id: string
  discharge_or_transition_name: string
  discharge_type: string
  discharge_type_code: string
}

export interface Chart {
  id: number
  patientMasterId: string
  casefileId: string
  /** The patient fields as received (catalog names), blanks included. */
  data: Record<string, unknown>
  insurances: Record<string, unknown>[]
  contacts: Record<string, unknown>[]
  mrNumber: string | null
  admission: Partial<Admission>
  sendingAppName: string | null
  createdAt: number
  updatedAt: number
}

export interface PatientDocument {
  data: Record<string, unknown>
  insurances: Record<string, unknown>[]
  contacts: Record<string, unknown>[]
}

export type Checked<T> = { ok: true; value: T } | { ok: false; message: string }

/** The KIPU integration article's post-admission values: what an admission fills unless told otherwise. */
export const ADMISSION_DEFAULTS: Admission = {
  level_of_care: 'Residential',
  program: 'Substance Use',
  bed_name: 'A-101',
  room_name: '102',
  building_name: 'Main Building',
  discharge_or_transition_id: '4',
  discharge_or_transition_name: 'Outpatient Program',
  discharge_type: 'Planned',
  discharge_type_code: 'P01',
}
const ADMISSION_KEYS = Object.keys(ADMISSION_DEFAULTS) as (keyof Admission)[]

export class ChartBook {
  private charts: Chart[] = []
  private nextId = 1001
  private nextMr = 63

  constructor(private readonly now: () => number) {}

  /**
   * Checks `document.data` of a create or PATCH: unknown fields and wrong types are refused with
   * every problem named; nested insurances and contacts likewise.
   */
  checkData(data: unknown, mode: 'create' | 'patch'): Checked<PatientDocument> {
    if (!data || typeof data !== 'object' || Array.isArray(data)) return { ok: false, message: 'document[data] must be an object of patient fields' }
    const problems: string[] = []
    const fields: Record<string, unknown> = {}
    let insurances: Record<string, unknown>[] = []
    let contacts: Record<string, unknown>[] = []
    for (const [key, value] of Object.entries(data)) {
      if (key === 'insurances_attributes') {
        insurances = checkNested(value, 'insurances_attributes', INSURANCE_FIELDS, INSURANCE_REQUIRED, problems)
        continue
      }
      if (key === 'patient_contacts_attributes') {
        contacts = checkNested(value, 'patient_contacts_attributes', CONTACT_FIELDS, CONTACT_REQUIRED, problems)
        continue
      }
      const rule = PATIENT_FIELDS[key]
      if (!rule) {
        problems.push(`data.${key} is not a patient field`)
        continue
      }
      const problem = checkValue(rule, value)
      if (problem) problems.push(`data.${key} ${problem}`)
      else fields[key] = normalize(rule, value)
    }
    if (mode === 'create') {
      for (const key of CREATE_REQUIRED) if (!fields[key]) problems.push(`data.${key} is required`)
    }
    if (fields.location_id && !KIPU_LOCATIONS.some((l) => String(l.location_id) === fields.location_id)) problems.push(`data.location_id ${String(fields.location_id)} is not a location of this instance`)
    if (fields.referrer_id && !KIPU_REFERRERS.some((r) => String(r.id) === fields.referrer_id)) problems.push(`data.referrer_id ${String(fields.referrer_id)} is not a referrer of this instance`)
    if (problems.length > 0) return { ok: false, message: problems.join('; ') }
    return { ok: true, value: { data: fields, insurances, contacts } }
  }

  create(document: PatientDocument, sendingAppName: string | null): Chart {
    const patientMasterId = randomUUID()
    const id = this.nextId++
    const at = this.now()
    const chart: Chart = {
      id,
      patientMasterId,
      casefileId: `${id}:${patientMasterId}`,
      data: { ...document.data },
      insurances: document.insurances.map((i) => ({ ...i })),
      contacts: document.contacts.map((c) => ({ ...c })),
      mrNumber: null,
      admission: {},
      sendingAppName,
      createdAt: at,
      updatedAt: at,
    }
    this.charts.push(chart)
    return chart
  }

  /** A PATCH: sent fields replace (a blank clears); nested entries merge by their match key. */
  patch(chart: Chart, document: PatientDocument): Chart {
    Object.assign(chart.data, document.data)
    mergeNested(chart.insurances, document.insurances, NESTED_MATCH.insurance)
    mergeNested(chart.contacts, document.contacts, NESTED_MATCH.contact)
    this.touch(chart)
    return chart
  }

  /** KIPU staff admit the patient: admission date, MR number and the post-admission fields. */
  admit(chart: Chart, overrides: { admission_date?: string; mr_number?: string } & Partial<Admission> = {}): Chart {
    const today = localDateTime(this.now(), FACILITY_TIME_ZONE).slice(0, 10)
    const admissionDate = overrides.admission_date ?? (typeof chart.data.admission_date === 'string' && chart.data.admission_date ? chart.data.admission_date : `${today} 00:00:00`)
    chart.data.admission_date = admissionDate
    chart.mrNumber = overrides.mr_number ?? chart.mrNumber ?? `${MR_PREFIX}${admissionDate.slice(0, 4)}-${this.nextMr++}`
    for (const key of ADMISSION_KEYS) chart.admission[key] = overrides[key] ?? chart.admission[key] ?? ADMISSION_DEFAULTS[key]
    this.touch(chart)
    return chart
  }

  /** A chart edited in KIPU's own screens (demographics or post-admission fields). */
  edit(chart: Chart, data: Record<string, unknown>, admission: Partial<Admission>): Chart {
    Object.assign(chart.data, data)
    Object.assign(chart.admission, admission)
    this.touch(chart)
    return chart
  }

  find(id: number, patientMasterId: string): Chart | undefined {
    return this.charts.find((c) => c.id === id && c.patientMasterId === patientMasterId)
  }

  findByCasefile(casefileId: string): Chart | undefined {
    return this.charts.find((c) => c.casefileId === casefileId)
  }

  all(): Chart[] {
    return this.charts
  }

  updatedBetween(start: number, end: number): Chart[] {
    return this.charts.filter((c) => c.updatedAt >= start && c.updatedAt <= end)
  }

  /** The chart as KIPU's reads return it (the KIPU integration article's pull payload), less what `phiLevel` hides. */
  view(chart: Chart, phiLevel: PhiLevel = 'high'): Record<string, unknown> {
    const d = chart.data
    const text = (value: unknown) => (value === undefined || value === null ? '' : String(value))
    const location = KIPU_LOCATIONS.find((l) => String(l.location_id) === d.location_id)
    const paymentMethod = text(d.payment_method)
    const view: Record<string, unknown> = {
      casefile_id: chart.casefileId,
      patient_master_id: chart.patientMasterId,
      location_id: location ? location.location_id : null,
      location_name: location?.location_name ?? '',
      sending_app_patient_id: text(d.sending_app_patient_id),
      first_name: text(d.first_name),
      last_name: text(d.last_name),
      gender: text(d.gender),
      dob: text(d.dob),
      address_street: text(d.address_street),
      address_street2: text(d.address_street2),
      address_city: text(d.address_city),
      state: text(d.address_state),
      address_zip: text(d.address_zip),
      address_country: countryName(text(d.address_country)),
      email: text(d.email),
      admission_date: d.admission_date ? zonedToUtc(String(d.admission_date), FACILITY_TIME_ZONE).toISOString() : '',
      discharge_date: d.discharge_date ? zonedToUtc(String(d.discharge_date), FACILITY_TIME_ZONE).toISOString() : '',
      discharge_or_transition_id: chart.admission.discharge_or_transition_id ?? '',
      discharge_or_transition_name: chart.admission.discharge_or_transition_name ?? '',
      discharge_type: chart.admission.discharge_type ?? '',
      discharge_type_code: chart.admission.discharge_type_code ?? '',
      first_contact_name: text(d.first_contact_name),
      referrer_name: text(d.referrer_name),
      mr_number: chart.mrNumber ?? '',
      payment_method: paymentMethod,
      payment_method_category: PAYMENT_METHOD_CATEGORY[paymentMethod] ?? '',
      created_at: new Date(chart.createdAt).toISOString(),
      last_updated_at: new Date(chart.updatedAt).toISOString(),
      insurances: chart.insurances.map((i) => ({
        member_id: text(i.policy_no),
        group_number: text(i.group_ID),
        insurance_company: text(i.insurance_company),
        insurance_type: text(i.insurance_type),
      })),
      patient_contacts: chart.contacts.map((c) => ({ name: text(c.full_name), relationship: text(c.relationship), phone: text(c.phone) })),
      phone: text(d.phone),
      level_of_care: chart.admission.level_of_care ?? '',
      program: chart.admission.program ?? '',
      bed_name: chart.admission.bed_name ?? '',
      room_name: chart.admission.room_name ?? '',
      building_name: chart.admission.building_name ?? '',
    }
    for (const key of PHI_HIDDEN[phiLevel]) delete view[key]
    return view
  }

  /** Everything held, for GET /_sim/records. */
  records(): Record<string, unknown>[] {
    return this.charts.map((c) => ({
      casefileId: c.casefileId,
      id: c.id,
      patientMasterId: c.patientMasterId,
      sendingAppName: c.sendingAppName,
      data: c.data,
      insurances: c.insurances,
      contacts: c.contacts,
      mrNumber: c.mrNumber,
      admission: c.admission,
      createdAt: new Date(c.createdAt).toISOString(),
      updatedAt: new Date(c.updatedAt).toISOString(),
    }))
  }

  reset(): void {
    this.charts = []
    this.nextId = 1001
    this.nextMr = 63
  }

  private touch(chart: Chart): void {
    // Strictly increasing, so "updated since" windows never miss an edit made in the same millisecond.
    chart.updatedAt = Math.max(this.now(), chart.updatedAt + 1)
  }
}

function checkNested(value: unknown, name: string, rules: Record<string, FieldRule>, required: readonly string[], problems: string[]): Record<string, unknown>[] {
  const list = Array.isArray(value) ? value : value && typeof value === 'object' ? Object.values(value) : null
  if (!list) {
    problems.push(`data.${name} must be a list of objects`)
    return []
  }
  const out: Record<string, unknown>[] = []
  list.forEach((entry, i) => {
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) {
      problems.push(`data.${name}[${i}] must be an object`)
      return
    }
    const item: Record<string, unknown> = {}
    for (const [key, v] of Object.entries(entry)) {
      const rule = rules[key]
      if (!rule) {
        problems.push(`data.${name}[${i}].${key} is not a field of ${name}`)
        continue
      }
      const problem = checkValue(rule, v)
      if (problem) problems.push(`data.${name}[${i}].${key} ${problem}`)
      else item[key] = normalize(rule, v)
    }
    for (const key of required) if (!item[key]) problems.push(`data.${name}[${i}].${key} is required`)
    out.push(item)
  })
  return out
}

function mergeNested(current: Record<string, unknown>[], incoming: Record<string, unknown>[], key: string): void {
  for (const entry of incoming) {
    const existing = current.find((c) => c[key] !== undefined && c[key] === entry[key])
    if (existing) Object.assign(existing, entry)
    else current.push({ ...entry })
  }
}

function normalize(rule: FieldRule, value: unknown): unknown {
  if (rule.type === 'id' && typeof value === 'number') return String(value)
  if (rule.type === 'datetime' && typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) return `${value} 00:00:00`
  if (rule.type === 'datetime' && typeof value === 'string') return value.replace('T', ' ')
  return value
}

/** [I] KIPU spells the United States out on reads (the KIPU integration article: sent "US", read "United States"). */
function countryName(country: string): string {
  return /^(us|usa|u\.s\.a?\.?)$/i.test(country.trim()) ? 'United States' : country
}

/** "YYYY-MM-DD HH:MM[:SS]" on the facility's wall clock → the instant. */
export function zonedToUtc(local: string, timeZone: string): Date {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?/.exec(local)
  if (!match) return new Date(Number.NaN)
  const [, y, mo, d, h = '0', mi = '0', s = '0'] = match
  const wall = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s))
  let utc = wall - offsetMs(wall, timeZone)
  const second = offsetMs(utc, timeZone)
  if (wall - second !== utc) utc = wall - second
  return new Date(utc)
}

/** The facility's wall clock at an instant, as "YYYY-MM-DD HH:MM:SS". */
export function localDateTime(at: number, timeZone: string): string {
  const p = parts(at, timeZone)
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`
}

function offsetMs(at: number, timeZone: string): number {
  const p = parts(at, timeZone)
  const wall = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second))
  return wall - Math.floor(at / 1000) * 1000
}

const formats = new Map<string, Intl.DateTimeFormat>()

function parts(at: number, timeZone: string): Record<'year' | 'month' | 'day' | 'hour' | 'minute' | 'second', string> {
  let format = formats.get(timeZone)
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
    formats.set(timeZone, format)
  }
  const formatted = format.formatToParts(new Date(at))
  const get = (type: string) => formatted.find((p) => p.type === type)?.value ?? '00'
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour'), minute: get('minute'), second: get('second') }
}
