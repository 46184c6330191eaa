import type { Account, Insurance } from '../../crm/accounts.js'
import type { DroppedField, PatientPushInput } from '../connector.js'
import { applyFieldMap } from '../../mapping/mapping.js'
import { compactArrays, setPath } from '../../mapping/paths.js'
import { rittenFields } from './fields.js'

/** The two bodies of Ritten's two-step push (seed 000), built from the CRM record and the mapping. */
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
  patch: RittenPatchBody
  dropped: DroppedField[]
  /** Why the insurance segment was left out, when it was (F13). */
  insuranceNote: string | null
}

export function buildRittenPayloads(input: PatientPushInput): RittenPayloads {
  const { values, dropped } = applyFieldMap(input.patient, input.mapping, rittenFields)

  const create: Record<string, unknown> = { name: {}, externalId: input.patient.id }
  const patch: Record<string, unknown> = {}
  const createPaths = new Set(rittenFields.filter((f) => f.step === 'create').map((f) => f.path))
  for (const [path, value] of values) {
    const formatted = path.startsWith('phones[') ? toE164(String(value)) : value
    if (createPaths.has(path)) setPath(create, path, formatted)
    setPath(patch, path, formatted)
  }
  if (Array.isArray(patch.addresses)) {
    for (const address of patch.addresses as Record<string, unknown>[]) if (address) address.use = 'HOME'
  }

  const insurance = buildInsuranceSegment(input.account, input.mapping.valueMaps)
  if (insurance.segment) patch.insurance = insurance.segment
  return {
    create: compactArrays(create) as unknown as RittenCreateBody,
    patch: compactArrays(patch),
    dropped: [...dropped, ...insurance.dropped],
    insuranceNote: insurance.note,
  }
}

/**
 * Insurance gating (F13, seed 000): the segment goes only when the parent account has insurance
 * AND its payer code is mapped to a Ritten payer id; otherwise it is left out and the note says
 * which condition failed. Policies with a mapped payer go even when a sibling's payer is not.
 */
export function buildInsuranceSegment(
  account: Account | null,
  valueMaps: Record<string, Record<string, string>>,
): { segment: Record<string, unknown>[] | null; note: string | null; dropped: DroppedField[] } {
  if (!account) return leftOut('the patient has no parent account')
  if (account.insurances.length === 0) return leftOut('the parent account has no insurance')
  const payers = valueMaps.payerCode ?? {}
  const sent: Record<string, unknown>[] = []
  const unmapped: string[] = []
  for (const policy of orderByPriority(account.insurances)) {
    const payerId = payers[policy.payerCode]
    if (!payerId) {
      unmapped.push(policy.payerCode)
      continue
    }
    sent.push(toRittenInsurance(policy, payerId, sent.length + 1, valueMaps.relationship ?? {}))
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
