import type { Account, Insurance } from '../../crm/accounts.js'
import type { DroppedField, PatientPushInput } from '../connector.js'
import { applyFieldMap } from '../../mapping/mapping.js'
import { compactArrays, setPath } from '../../mapping/paths.js'
import { entryBody, type EntryField, type SentEntry } from './entries.js'
import { rittenFields } from './fields.js'

/**
 * The two bodies of Ritten's two-step push (the help-center article "Ritten EMR Integration Data
 * Flow and Insurance Mapping (CRM)": create with the mandatory fields, then a PATCH with the bulk),
 * built from the CRM record and the mapping.
 */
export interface RittenCreateBody {
  name: Record<string, string>
  dob?: string
  externalId: string
}

export interface RittenPatchBody {
  [field: string]: unknown
}

export interface RittenPayloads {
  create: RittenCreateBody
  /** The PATCH without its `addresses` and `insurance`: those are `entries`, sent with their ids. */
  patch: RittenPatchBody
  /** The address and insurance entries, each with the CRM thing it stands for. */
  entries: SentEntry[]
  /** The keys of the entries the CRM has, sent or not (a policy left out by the gating is still there). */
  present: Record<EntryField, Set<string>>
  dropped: DroppedField[]
  /** Why the insurance segment was left out, when it was (F13). */
  insuranceNote: string | null
}

/** The fields Ritten's create takes (the rest go in the PATCH): fixed by the catalog. */
const CREATE_PATHS: ReadonlySet<string> = new Set(rittenFields.filter((f) => f.step === 'create').map((f) => f.path))

export function buildRittenPayloads(input: PatientPushInput): RittenPayloads {
  const { values, dropped } = applyFieldMap(input.patient, input.mapping, rittenFields)

  const create: Record<string, unknown> = { name: {}, externalId: input.patient.id }
  const patch: Record<string, unknown> = {}
  for (const [path, value] of values) {
    const formatted = path.startsWith('phones[') ? toE164(String(value)) : value
    if (CREATE_PATHS.has(path)) setPath(create, path, formatted)
    setPath(patch, path, formatted)
  }
  if (Array.isArray(patch.addresses)) {
    for (const address of patch.addresses as Record<string, unknown>[]) if (address) address.use = 'HOME'
  }

  const { addresses, ...rest } = compactArrays(patch)
  const entries: SentEntry[] = Array.isArray(addresses)
    ? (addresses as Record<string, unknown>[]).map((body, index) => ({
        field: 'addresses' as const,
        key: `address ${index}`,
        label: index === 0 ? 'the home address' : `address ${index + 1}`,
        body,
      }))
    : []
  const insurance = buildInsuranceSegment(input.account, input.mapping.valueMaps)
  if (insurance.segment) entries.push(...insurance.segment)
  return {
    create: compactArrays(create) as unknown as RittenCreateBody,
    patch: rest,
    entries,
    present: {
      addresses: new Set(entries.filter((e) => e.field === 'addresses').map((e) => e.key)),
      insurance: new Set((input.account?.insurances ?? []).map((policy) => policy.id)),
    },
    dropped: [...dropped, ...insurance.dropped],
    insuranceNote: insurance.note,
  }
}

/** The PATCH body: the fields, then the entries, each with its Ritten id when known. */
export function patchBody(payloads: Pick<RittenPayloads, 'patch' | 'entries'>): RittenPatchBody {
  const body: RittenPatchBody = { ...payloads.patch }
  for (const field of ['addresses', 'insurance'] as const) {
    const entries = payloads.entries.filter((e) => e.field === field)
    if (entries.length > 0) body[field] = entries.map(entryBody)
  }
  return body
}

/**
 * Ritten's create needs a patient with a name: its simulator, like common sense, refuses a name
 * without a first or a last name. Null when the create can go, else what to fix.
 */
export function createProblem(create: RittenCreateBody): string | null {
  const named = [create.name.first, create.name.last].some((part) => typeof part === 'string' && part.trim() !== '')
  return named ? null : 'Ritten needs a first or a last name to create a patient, and this patient\'s mapping sends neither: map firstName to name.first or lastName to name.last'
}

/**
 * Insurance gating (F13; the help-center article "Ritten EMR Integration Data Flow and Insurance
 * Mapping (CRM)"): the segment goes only when the parent account has insurance AND its payer code
 * is mapped to a Ritten payer id; otherwise it is left out and the note says which condition
 * failed. Policies with a mapped payer go even when a sibling's payer is not.
 */
export function buildInsuranceSegment(
  account: Account | null,
  valueMaps: Record<string, Record<string, string>>,
): { segment: SentEntry[] | null; note: string | null; dropped: DroppedField[] } {
  if (!account) return leftOut('the patient has no parent account')
  if (account.insurances.length === 0) return leftOut('the parent account has no insurance')
  const payers = valueMaps.payerCode ?? {}
  const sent: SentEntry[] = []
  const unmapped: string[] = []
  for (const policy of orderByPriority(account.insurances)) {
    const payerId = payers[policy.payerCode]
    if (!payerId) {
      unmapped.push(policy.payerCode)
      continue
    }
    sent.push({
      field: 'insurance',
      key: policy.id,
      label: `insurance ${policy.payerCode} ${policy.memberId}`,
      body: toRittenInsurance(policy, payerId, sent.length + 1, valueMaps.relationship ?? {}),
    })
  }
  const unmappedText = unmapped.length === 1 ? `payer code ${unmapped[0]} is not mapped` : `payer codes ${unmapped.join(', ')} are not mapped`
  if (sent.length === 0) return leftOut(`${unmappedText} for this connection`)
  if (unmapped.length > 0) {
    const note = `insurance partly sent: ${unmappedText} for this connection`
    return { segment: sent, note, dropped: unmapped.map((code) => ({ field: 'insurance', reason: `payer code ${code} is not mapped for this connection` })) }
  }
  return { segment: sent, note: null, dropped: [] }

  function leftOut(reason: string) {
    return { segment: null, note: `insurance left out: ${reason}`, dropped: [{ field: 'insurance', reason }] }
  }
}

const PRIORITY_ORDER = { primary: 1, secondary: 2, tertiary: 3 } as const

function orderByPriority(insurances: Insurance[]): Insurance[] {
  return [...insurances].sort((a, b) => PRIORITY_ORDER[a.priority] - PRIORITY_ORDER[b.priority])
}

function toRittenInsurance(policy: Insurance, payerId: string, orderNumber: number, relationships: Record<string, string>): Record<string, unknown> {
  const subscriber = policy.subscriber
  const relationship = subscriber?.relationship ?? 'self'
  const item: Record<string, unknown> = {
    payerId,
    orderNumber,
    memberIdentifier: policy.memberId,
    groupNumber: policy.groupNumber ?? undefined,
    startDate: policy.startDate ?? undefined,
    expirationDate: policy.endDate ?? undefined,
    notSubscriber: relationship !== 'self',
    relationship: relationships[relationship],
  }
  if (relationship !== 'self' && subscriber) {
    Object.assign(item, {
      firstName: subscriber.firstName ?? undefined,
      lastName: subscriber.lastName ?? undefined,
      birthDate: subscriber.dob ?? undefined,
      subscriberPhoneNumber: subscriber.phone ? toE164(subscriber.phone) : undefined,
      address: subscriber.address?.line1 ?? undefined,
      city: subscriber.address?.city ?? undefined,
      state: subscriber.address?.state ?? undefined,
      postalCode: subscriber.address?.postalCode ?? undefined,
    })
  }
  return Object.fromEntries(Object.entries(item).filter(([, v]) => v !== undefined))
}

/** Ritten shows phones as E.164 ("+15555555555"); a 10-digit number is taken as North American. */
export function toE164(phone: string): string {
  const digits = phone.replace(/\D/g, '')
  if (phone.trim().startsWith('+')) return `+${digits}`
  if (digits.length === 10) return `+1${digits}`
  if (digits.length === 11 && digits.startsWith('1')) return `+${digits}`
  return phone.trim()
}
