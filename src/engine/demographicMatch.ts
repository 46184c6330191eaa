import { sql } from 'kysely'
import type { DbOrTx } from '../db/database.js'
import { getPatients, type Patient } from '../crm/patients.js'
import { ensureLink, updateLink } from './links.js'

/**
 * A pulled patient that neither a link nor our identifier ties to a CRM patient may still be one
 * the CRM holds: the EMR may keep only its own identifiers (ECW can drop ours), or the answer to
 * a create was lost before the link was saved. Making a new CRM patient then would hold the
 * person twice. So before creating, look by demographics:
 *
 * - `one`: exactly one CRM patient has the same first name, last name and birth date AND the same
 *   phone (by its digits) or email, and is not linked to another record of this system — it is
 *   the same person: link it.
 * - `uncertain`: a CRM patient not linked to another record shares the name and birth date but
 *   no phone or email; or several share them all; or one linked to another record shares them
 *   all (the EMR may hold the person twice) — a person decides; nothing is created.
 * - `none`: nobody shares the name and birth date, or only patients already linked to other
 *   records of this system without a shared phone or email (another person of the same name) —
 *   a new patient.
 */
export type DemographicMatch =
  | { kind: 'none' }
  | { kind: 'one'; patient: Patient }
  | { kind: 'uncertain'; candidates: { patientId: string; reason: string }[] }

/** What a pulled patient says about itself, in CRM field names (the connector's field map). */
export interface PulledDemographics {
  externalId: string
  fields: Record<string, unknown>
}

export async function matchByDemographics(db: DbOrTx, organizationId: string, connectionId: string, items: PulledDemographics[]): Promise<Map<string, DemographicMatch>> {
  const out = new Map<string, DemographicMatch>()
  const keyed = items.map((item) => ({ item, key: nameKey(item.fields) }))
  const dobs = [...new Set(keyed.flatMap((k) => (k.key ? [k.key.dob] : [])))]
  for (const { item, key } of keyed) if (!key) out.set(item.externalId, { kind: 'none' })
  if (dobs.length === 0) return out

  // Only patients that can share a pulled name and birth date, narrowed in the database: a page
  // asks once, and the answer stays the size of the namesakes, not of the CRM (which grows with
  // every page a large pull stores).
  const lastNames = [...new Set(keyed.flatMap((k) => (k.key ? [k.key.last] : [])))]
  const rows = await db
    .selectFrom('patients')
    .select(['id', 'first_name', 'last_name', 'dob'])
    .where('organization_id', '=', organizationId)
    .where('dob', 'in', dobs)
    .where((eb) => eb.or([eb(ASCII_NAME_KEY, 'in', lastNames), eb('last_name', '~', NOT_PRINTABLE_ASCII)]))
    .execute()
  const byKey = new Map<string, string[]>()
  for (const row of rows) {
    const key = nameKey({ firstName: row.first_name, lastName: row.last_name, dob: row.dob })
    if (!key) continue
    const ids = byKey.get(keyText(key)) ?? []
    ids.push(row.id)
    byKey.set(keyText(key), ids)
  }
  const wanted = new Set(keyed.flatMap((k) => (k.key ? [keyText(k.key)] : [])))
  const candidateIds = [...byKey].flatMap(([key, ids]) => (wanted.has(key) ? ids : []))
  const sameName = new Map((await getPatients(db, organizationId, candidateIds)).map((p) => [p.id, p]))
  const links = candidateIds.length
    ? await db
        .selectFrom('links')
        .select(['record_id', 'external_id'])
        .where('connection_id', '=', connectionId)
        .where('record_type', '=', 'patient')
        .where('record_id', 'in', candidateIds)
        .execute()
    : []
  const linkedTo = new Map(links.map((l) => [l.record_id, l.external_id]))

  for (const { item, key } of keyed) {
    if (!key) continue
    const candidates = (byKey.get(keyText(key)) ?? []).flatMap((id) => sameName.get(id) ?? [])
    if (candidates.length === 0) {
      out.set(item.externalId, { kind: 'none' })
      continue
    }
    const judged = candidates.map((p) => {
      const contact = sharedContact(item.fields, p)
      const elsewhere = linkedTo.get(p.id)
      const linkedElsewhere = elsewhere !== undefined && elsewhere !== null && elsewhere !== item.externalId
      return { patient: p, contact, linkedElsewhere }
    })
    const sure = judged.filter((j) => j.contact && !j.linkedElsewhere)
    const twiceInEmr = judged.some((j) => j.contact && j.linkedElsewhere)
    if (sure.length === 1 && !twiceInEmr) {
      out.set(item.externalId, { kind: 'one', patient: sure[0]!.patient })
      continue
    }
    const relevant = judged.filter((j) => j.contact || !j.linkedElsewhere)
    if (relevant.length === 0) {
      out.set(item.externalId, { kind: 'none' })
      continue
    }
    out.set(item.externalId, {
      kind: 'uncertain',
      candidates: relevant.map((j) => ({
        patientId: j.patient.id,
        reason: j.linkedElsewhere
          ? `same name, birth date and ${j.contact}, but already linked to record ${String(linkedTo.get(j.patient.id))}`
          : j.contact
            ? `same name, birth date and ${j.contact}, like another CRM patient`
            : 'same name and birth date, but neither phone nor email agrees',
      })),
    })
  }
  return out
}

/**
 * An uncertain match waits for a person on the candidates' links to this connection (those not
 * linked to another record): `needs_attention` names the EMR record and what to do. Returns the
 * patients whose link this put in `needs_attention` (not those already there).
 */
export async function flagUncertainMatch(
  db: DbOrTx,
  options: { organizationId: string; connectionId: string; connector: string; title: string; externalId: string; candidates: { patientId: string; reason: string }[] },
): Promise<string[]> {
  const flagged: string[] = []
  for (const candidate of options.candidates) {
    const link = await ensureLink(db, { organizationId: options.organizationId, recordType: 'patient', recordId: candidate.patientId, connectionId: options.connectionId, connector: options.connector })
    if (link.external_id !== null) continue
    if (link.state !== 'needs_attention') flagged.push(candidate.patientId)
    await updateLink(db, link.id, {
      state: 'needs_attention',
      message: `${options.title} patient ${options.externalId} may be this patient (${candidate.reason}); it was not imported. If it is the same person, link it (PUT /api/patients/{id}/links/{connectionId} with externalId ${options.externalId}); otherwise correct the phone or email on either side.`,
    })
  }
  return flagged
}

/**
 * A superset of the names whose key (normalizeName) can equal a pulled one, in SQL: on printable
 * ASCII, normalizeName is lower(trim(collapsed spaces)), which the database computes alike; any
 * other name (accents, other scripts, unusual spaces) is left for normalizeName to judge.
 */
const ASCII_NAME_KEY = sql<string>`lower(btrim(regexp_replace(last_name, '\\s+', ' ', 'g'), ' '))`
const NOT_PRINTABLE_ASCII = '[^ -~]'

function keyText(key: { first: string; last: string; dob: string }): string {
  return `${key.first}\u0000${key.last}\u0000${key.dob}`
}

function nameKey(fields: Record<string, unknown>): { first: string; last: string; dob: string } | null {
  const first = normalizeName(fields.firstName)
  const last = normalizeName(fields.lastName)
  const dob = typeof fields.dob === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(fields.dob) ? fields.dob : null
  return first && last && dob ? { first, last, dob } : null
}

function normalizeName(value: unknown): string | null {
  if (typeof value !== 'string') return null
  const normalized = value.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').trim().toLowerCase().replace(/\s+/g, ' ')
  return normalized === '' ? null : normalized
}

/** "phone" or "email" when the pulled record and the CRM patient share one, else null. */
function sharedContact(fields: Record<string, unknown>, patient: Patient): string | null {
  const pulledPhones = [fields.phone, fields.alternatePhone].map(phoneDigits).filter((p): p is string => p !== null)
  const crmPhones = [patient.phone, patient.alternatePhone].map(phoneDigits).filter((p): p is string => p !== null)
  if (pulledPhones.some((p) => crmPhones.includes(p))) return 'phone'
  const email = typeof fields.email === 'string' ? fields.email.trim().toLowerCase() : ''
  if (email !== '' && patient.email?.trim().toLowerCase() === email) return 'email'
  return null
}

/** The last ten digits (US numbers with or without the leading 1), or null when too short to compare. */
function phoneDigits(value: unknown): string | null {
  if (typeof value !== 'string') return null
  const digits = value.replace(/\D/g, '')
  return digits.length >= 7 ? digits.slice(-10) : null
}
