import type { Account, Insurance } from '../../crm/accounts.js'
import type { Patient } from '../../crm/patients.js'
import type { DroppedField, PatientPushInput, ResolvedMapping } from '../connector.js'
import { crmFieldKind } from '../../mapping/crmFields.js'
import { applyFieldMap } from '../../mapping/mapping.js'
import { KIPU_INSURANCE_TYPES, KIPU_PULL_REQUIRED, kipuFields } from './fields.js'

/**
 * CRM ⇄ KIPU, both ways, as pure functions. Writes are the KIPU integration article's create payload in KIPU's
 * vocabulary (`document.data`), with insurance from the parent account (gated, F13) and patient
 * contacts; reads are the KIPU integration article's pull payload back in CRM terms, through the inverse value maps.
 */

export interface KipuDocument {
  document: { recipient_id: string; sending_app_name: string; data: Record<string, unknown> }
}

export interface KipuWrite {
  body: KipuDocument
  dropped: DroppedField[]
  /** Why (part of) the insurance was left out, when it was (F13). */
  insuranceNote: string | null
}

export interface KipuWriteOptions {
  appId: string
  sendingAppName: string
}

const SPECS = new Map(kipuFields.map((s) => [s.path, s]))

export function buildKipuWrite(input: PatientPushInput, options: KipuWriteOptions): KipuWrite {
  const { data, dropped } = buildPatientData(input.patient, input.mapping)
  const insurance = buildInsurances(input.account, input.mapping.valueMaps)
  if (insurance.items.length > 0) data.insurances_attributes = insurance.items
  const contacts = buildContacts(input.account, input.mapping.valueMaps)
  if (contacts.length > 0) data.patient_contacts_attributes = contacts
  return {
    body: { document: { recipient_id: options.appId, sending_app_name: options.sendingAppName, data } },
    dropped: [...dropped, ...insurance.dropped],
    insuranceNote: insurance.note,
  }
}

/** The patient's own fields, formatted as KIPU takes them; our id as sending_app_patient_id. */
export function buildPatientData(patient: Patient, mapping: ResolvedMapping): { data: Record<string, unknown>; dropped: DroppedField[] } {
  const { values, dropped } = applyFieldMap(patient, mapping, kipuFields)
  const data: Record<string, unknown> = {}
  for (const [path, value] of values) data[path] = formatForKipu(path, value)
  data.sending_app_patient_id = patient.id
  return { data, dropped }
}

function formatForKipu(path: string, value: unknown): unknown {
  const spec = SPECS.get(path)
  if (path === 'phone' || path === 'alternate_phone') return toE164(String(value))
  if (path === 'address_state') return String(value).trim().length === 2 ? String(value).trim().toUpperCase() : value
  // The KIPU integration article sends "2025-04-16 00:00:00": a CRM date is the start of that day, facility-local.
  if (spec?.type === 'datetime') return /^\d{4}-\d{2}-\d{2}$/.test(String(value)) ? `${String(value)} 00:00:00` : String(value).replace('T', ' ').slice(0, 19)
  return value
}

/** KIPU shows phones as E.164 ("+15133206417"); a 10-digit number is taken as North American. */
export function toE164(phone: string): string {
  const digits = phone.replace(/\D/g, '')
  if (phone.trim().startsWith('+')) return `+${digits}`
  if (digits.length === 10) return `+1${digits}`
  if (digits.length === 11 && digits.startsWith('1')) return `+${digits}`
  return phone.trim()
}

// ---------------------------------------------------------------------------------------------
// Insurance (F13) and contacts, from the parent account

const PRIORITY = { primary: 0, secondary: 1, tertiary: 2 } as const

/**
 * Insurance gating (F13, as for Ritten): a policy goes only when the parent account has it and
 * its payer code is mapped to a KIPU payor (`valueMaps.payerCode`); otherwise it is left out and
 * the note says which condition failed.
 */
export function buildInsurances(account: Account | null, valueMaps: ResolvedMapping['valueMaps']): { items: Record<string, unknown>[]; note: string | null; dropped: DroppedField[] } {
  const leftOut = (reason: string) => ({ items: [], note: `insurance left out: ${reason}`, dropped: [{ field: 'insurances_attributes', reason }] })
  if (!account) return leftOut('the patient has no parent account')
  if (account.insurances.length === 0) return leftOut('the parent account has no insurance')
  const payors = valueMaps.payerCode ?? {}
  const relationships = valueMaps.subscriberRelationship ?? {}
  const items: Record<string, unknown>[] = []
  const unmapped: string[] = []
  const dropped: DroppedField[] = []
  for (const policy of [...account.insurances].sort((a, b) => PRIORITY[a.priority] - PRIORITY[b.priority])) {
    const company = payors[policy.payerCode]
    if (!company) {
      unmapped.push(policy.payerCode)
      continue
    }
    items.push(toKipuInsurance(policy, company, relationships, dropped))
  }
  const unmappedText = unmapped.length === 1 ? `payer code ${unmapped[0]} is not mapped` : `payer codes ${unmapped.join(', ')} are not mapped`
  if (items.length === 0) return leftOut(`${unmappedText} for this connection`)
  for (const code of unmapped) dropped.push({ field: 'insurances_attributes', reason: `payer code ${code} is not mapped for this connection` })
  return { items, note: unmapped.length > 0 ? `insurance partly sent: ${unmappedText} for this connection` : null, dropped }
}

function toKipuInsurance(policy: Insurance, company: string, relationships: Record<string, string>, dropped: DroppedField[]): Record<string, unknown> {
  const subscriber = policy.subscriber
  const relationship = subscriber?.relationship ?? 'self'
  const item: Record<string, unknown> = {
    insurance_company: company,
    policy_no: policy.memberId,
    group_ID: policy.groupNumber ?? undefined,
    insurance_type: KIPU_INSURANCE_TYPES[PRIORITY[policy.priority]],
    start_date: policy.startDate ?? undefined,
    end_date: policy.endDate ?? undefined,
  }
  const code = relationships[relationship]
  if (code) item.subscriber_relationship = code
  else dropped.push({ field: 'insurances_attributes[].subscriber_relationship', reason: `relationship "${relationship}" has no subscriberRelationship mapping for this connection` })
  if (relationship !== 'self' && subscriber) {
    Object.assign(item, {
      subscriber_first_name: subscriber.firstName ?? undefined,
      subscriber_last_name: subscriber.lastName ?? undefined,
      subscriber_dob: subscriber.dob ?? undefined,
      subscriber_phone: subscriber.phone ? toE164(subscriber.phone) : undefined,
      subscriber_address_street: subscriber.address?.line1 ?? undefined,
      subscriber_address_city: subscriber.address?.city ?? undefined,
      subscriber_address_state: subscriber.address?.state && subscriber.address.state.length === 2 ? subscriber.address.state.toUpperCase() : undefined,
      subscriber_address_zip: subscriber.address?.postalCode ?? undefined,
    })
  }
  return withoutUndefined(item)
}

/** The account's insurance subscribers other than the patient, as KIPU patient contacts (one per name). */
export function buildContacts(account: Account | null, valueMaps: ResolvedMapping['valueMaps']): Record<string, unknown>[] {
  if (!account) return []
  const relationships = valueMaps.contactRelationship ?? {}
  const contacts = new Map<string, Record<string, unknown>>()
  for (const policy of account.insurances) {
    const s = policy.subscriber
    if (!s || s.relationship === 'self') continue
    const fullName = [s.firstName, s.lastName].filter(Boolean).join(' ').trim()
    if (!fullName || contacts.has(fullName)) continue
    contacts.set(
      fullName,
      withoutUndefined({
        full_name: fullName,
        phone: s.phone ? toE164(s.phone) : undefined,
        relationship: relationships[s.relationship] ?? undefined,
        contact_type: 'Insurance subscriber',
      }),
    )
  }
  return [...contacts.values()]
}

function withoutUndefined(item: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(item).filter(([, v]) => v !== undefined && v !== null && v !== ''))
}

// ---------------------------------------------------------------------------------------------
// Reads: the KIPU integration article's pull payload in CRM terms

export interface KipuRead {
  /** CRM field → value (null when KIPU holds the field empty); fields KIPU did not return are absent. */
  fields: Record<string, unknown>
  /** Values no value map translates: left out of the CRM, kept in the unmapped-values list. */
  unmapped: DroppedField[]
  /** The fields that still keep the patient from being pulled (F15); empty once admitted. */
  missing: string[]
  crmId: string | null
  mrn: string | null
  updatedAt: string | null
}

/**
 * A KIPU patient (as reads return it) in CRM terms, field by field through the connection's field
 * map: names KIPU reads back differently (`state`), country names ("United States" → "US"),
 * facility-local admission times (→ the local date), and coded values through the INVERSE of
 * their value map — a code no CRM value maps to is reported, never written raw.
 */
export function readKipuPatient(view: Record<string, unknown>, mapping: ResolvedMapping, timeZone: string): KipuRead {
  const fields: Record<string, unknown> = {}
  const unmapped: DroppedField[] = []
  for (const { crm, emr } of mapping.fieldMap) {
    if (crm === 'id' || crm in fields) continue
    const spec = SPECS.get(emr)
    if (!spec || spec.direction === 'push' || spec.managedBy) continue
    const key = spec.pullPath ?? spec.path
    if (!(key in view)) continue
    const raw = view[key]
    if (raw === null || raw === undefined || raw === '') {
      fields[crm] = null
      continue
    }
    let value = typeof raw === 'string' ? raw.trim() : String(raw)
    if (emr === 'address_country') value = countryCode(value)
    if (spec.type === 'datetime' && crmFieldKind(crm).kind === 'date') {
      const date = localDate(value, timeZone)
      if (!date) {
        unmapped.push({ field: crm, reason: `KIPU ${key} "${value}" is not a date and time`, value })
        continue
      }
      value = date
    }
    if (spec.type === 'date' && !/^\d{4}-\d{2}-\d{2}$/.test(value)) {
      unmapped.push({ field: crm, reason: `KIPU ${key} "${value}" is not a date (YYYY-MM-DD)`, value })
      continue
    }
    if (spec.valueMap) {
      const crmValue = inverse(mapping.valueMaps[spec.valueMap] ?? {}, value)
      if (crmValue === undefined) {
        unmapped.push({ field: crm, reason: `KIPU ${key} "${value}" has no ${spec.valueMap} mapping for this connection`, value, valueMap: spec.valueMap })
        continue
      }
      fields[crm] = crmValue
      continue
    }
    fields[crm] = value
  }
  const text = (key: string) => (typeof view[key] === 'string' && (view[key] as string).trim() !== '' ? (view[key] as string).trim() : null)
  return {
    fields,
    unmapped,
    missing: KIPU_PULL_REQUIRED.filter((r) => text(r.field) === null).map((r) => r.label),
    crmId: text('sending_app_patient_id'),
    mrn: text('mr_number'),
    updatedAt: text('last_updated_at'),
  }
}

/**
 * The CRM patient's mapped fields as KIPU holds them once sent (phones in E.164, codes through the
 * value maps and back), to compare like with like with what a read returns.
 */
export function crmFieldsAsKipuHolds(patient: Patient, mapping: ResolvedMapping, timeZone: string): Record<string, unknown> {
  const { data } = buildPatientData(patient, mapping)
  const view: Record<string, unknown> = {}
  for (const [path, value] of Object.entries(data)) view[SPECS.get(path)?.pullPath ?? path] = value
  return readKipuPatient(view, mapping, timeZone).fields
}

/** First CRM value whose code is `code` (codes compare without case: KIPU's picklists are words). */
function inverse(map: Record<string, string>, code: string): string | undefined {
  const wanted = code.toLowerCase()
  return Object.entries(map).find(([, mapped]) => mapped.toLowerCase() === wanted)?.[0]
}

/** KIPU spells the United States out on reads (the KIPU integration article: sent "US", read "United States"). */
function countryCode(country: string): string {
  return /^(united states( of america)?|usa?|u\.s\.a?\.?)$/i.test(country.trim()) ? 'US' : country
}

const dayFormats = new Map<string, Intl.DateTimeFormat>()
function dayFormat(timeZone: string): Intl.DateTimeFormat {
  let format = dayFormats.get(timeZone)
  if (!format) dayFormats.set(timeZone, (format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })))
  return format
}

/**
 * The facility-local date of a KIPU time: "2025-04-28T07:00:00.000Z" read in the facility's zone
 * (midnight Pacific time is 07:00 UTC), or a zone-less "2025-04-16 00:00:00" as written.
 */
export function localDate(value: string, timeZone: string): string | null {
  if (/^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?$/.test(value)) return value.slice(0, 10)
  const at = Date.parse(value)
  if (Number.isNaN(at)) return null
  const parts = dayFormat(timeZone).formatToParts(new Date(at))
  const get = (type: string) => parts.find((p) => p.type === type)?.value
  return `${get('year')}-${get('month')}-${get('day')}`
}
