import type { Patient } from '@medplum/fhirtypes'
import { ConnectorError } from '../errors.js'
import { SearchBundle, parseEcwResource } from './answers.js'
import { ecwCall, failure, type EcwContext } from './client.js'

/**
 * Finding a patient ECW already holds, with the search parameters its CapabilityStatement
 * declares (`identifier`, `family`, `given`, `birthdate`). ECW's writeback answers name no
 * existing patient (its guide publishes no such field), and ECW may not keep our identifier, so
 * these searches are how the hub finds the record behind a 202, a 201 or a lost create answer.
 */

/** At most this many candidates are read: more than a handful is for a person anyway. */
const CANDIDATE_PAGE = 20

export type Found = { kind: 'none' } | { kind: 'one'; id: string; how: string } | { kind: 'uncertain'; candidates: string[]; why: string }

/** Patients carrying our identifier (`system|value`). */
export async function searchByIdentifier(ctx: EcwContext, system: string, value: string): Promise<Patient[]> {
  return searchPatients(ctx, `identifier=${encodeURIComponent(`${system}|${value}`)}`)
}

/** Patients with the resource's family name, first given name and birth date ([] when it lacks one). */
export async function searchByNameAndBirthDate(ctx: EcwContext, resource: Patient): Promise<Patient[]> {
  const name = resource.name?.find((n) => n.family && n.given?.[0])
  if (!name?.family || !name.given?.[0] || !resource.birthDate) return []
  const query = [`family=${encodeURIComponent(name.family)}`, `given=${encodeURIComponent(name.given[0])}`, `birthdate=${encodeURIComponent(resource.birthDate)}`]
  // ECW's family/given match by prefix: keep exact (case-insensitive) names only.
  const same = (a: string | undefined, b: string) => a?.trim().toLowerCase() === b.trim().toLowerCase()
  return (await searchPatients(ctx, query.join('&'))).filter((p) =>
    p.birthDate === resource.birthDate && (p.name ?? []).some((n) => same(n.family, name.family!) && same(n.given?.[0], name.given![0]!)),
  )
}

/**
 * Looks for a record a lost create may have made: our identifier first; else the same name and
 * birth date AND the same phone or email. Anything less certain goes to a person.
 */
export async function findEarlierCreate(ctx: EcwContext, resource: Patient, system: string, crmId: string): Promise<Found> {
  const byIdentifier = await searchByIdentifier(ctx, system, crmId)
  if (byIdentifier.length === 1) return { kind: 'one', id: byIdentifier[0]!.id!, how: 'our identifier' }
  if (byIdentifier.length > 1) return { kind: 'uncertain', candidates: ids(byIdentifier), why: `${byIdentifier.length} ECW patients carry our identifier` }
  const candidates = await searchByNameAndBirthDate(ctx, resource)
  if (candidates.length === 0) return { kind: 'none' }
  const sure = candidates.filter((c) => sharedContact(c, resource) !== null)
  if (sure.length === 1) return { kind: 'one', id: sure[0]!.id!, how: `same name, birth date and ${sharedContact(sure[0]!, resource)}` }
  return {
    kind: 'uncertain',
    candidates: ids(candidates),
    why: sure.length > 1 ? 'several ECW patients share its name, birth date and phone or email' : 'ECW patients share its name and birth date, but neither phone nor email',
  }
}

/**
 * The record behind ECW's 202 INVALID_PATIENT_ALREADY_EXIST: our identifier, else the one patient
 * with the same name and birth date (phone or email decide between several).
 */
export async function findExisting(ctx: EcwContext, resource: Patient, system: string, crmId: string): Promise<Found> {
  const byIdentifier = await searchByIdentifier(ctx, system, crmId)
  if (byIdentifier.length === 1) return { kind: 'one', id: byIdentifier[0]!.id!, how: 'our identifier' }
  const candidates = await searchByNameAndBirthDate(ctx, resource)
  if (candidates.length === 1) return { kind: 'one', id: candidates[0]!.id!, how: 'the same name and birth date' }
  if (candidates.length === 0) return { kind: 'uncertain', candidates: ids(byIdentifier), why: 'ECW says the patient exists, but no search by identifier or by name and birth date finds it' }
  const sure = candidates.filter((c) => sharedContact(c, resource) !== null)
  if (sure.length === 1) return { kind: 'one', id: sure[0]!.id!, how: `the same name, birth date and ${sharedContact(sure[0]!, resource)}` }
  return { kind: 'uncertain', candidates: ids(candidates), why: `${candidates.length} ECW patients share its name and birth date` }
}

/** "phone" or "email" when both resources hold the same one (phones by their last ten digits). */
export function sharedContact(a: Patient, b: Patient): 'phone' | 'email' | null {
  const values = (p: Patient, system: string) =>
    (p.telecom ?? [])
      .filter((t) => t.system === system && typeof t.value === 'string')
      .map((t) => (system === 'phone' ? t.value!.replace(/\D/g, '').slice(-10) : t.value!.trim().toLowerCase()))
      .filter((v) => v.length >= (system === 'phone' ? 7 : 3))
  const phones = values(b, 'phone')
  if (values(a, 'phone').some((p) => phones.includes(p))) return 'phone'
  const emails = values(b, 'email')
  if (values(a, 'email').some((e) => emails.includes(e))) return 'email'
  return null
}

async function searchPatients(ctx: EcwContext, query: string): Promise<Patient[]> {
  const response = await ecwCall(ctx, { operation: 'lookup', method: 'GET', path: `/Patient?${query}&_count=${CANDIDATE_PAGE}` })
  if (response.status !== 200) throw failure(response, 'lookup')
  const bundle = SearchBundle.safeParse(response.json)
  if (!bundle.success) throw malformed(response.exchangeId, `the search answer is not a FHIR searchset Bundle (${bundle.error.issues[0]?.message ?? 'invalid'})`)
  const patients: Patient[] = []
  for (const entry of bundle.data.entry ?? []) {
    if (entry.search?.mode && entry.search.mode !== 'match') continue
    const parsed = parseEcwResource('Patient', entry.resource)
    if (!parsed.ok) throw malformed(response.exchangeId, parsed.message)
    patients.push(parsed.value)
  }
  return patients
}

function ids(patients: Patient[]): string[] {
  return patients.map((p) => p.id!)
}

export function malformed(exchangeId: string, message: string): ConnectorError {
  return new ConnectorError({ code: 'invalid_answer', message: `ECW answered with something the hub cannot read: ${message}`, retryable: false, details: { exchangeId } })
}
