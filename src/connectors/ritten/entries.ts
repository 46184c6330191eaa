import { z } from 'zod'

/**
 * Ritten's patient lists whose entries carry ids. Ritten's OpenAPI, PATCH /patients/{id}: "To
 * update an existing address, include the address ID" (the same for referrals and insurance): an
 * entry sent without its id is a NEW entry. So the hub keeps the id Ritten gave each entry it made
 * and sends it on every later PATCH; otherwise every push would add another address and another
 * insurance record. The hub sends addresses and insurance; it sends no referrals.
 *
 * The API publishes no way to remove an entry (no DELETE route, no flag in the PATCH): an entry
 * the CRM no longer has stays in Ritten, and the push says so.
 */
export const ENTRY_FIELDS = ['addresses', 'insurance'] as const
export type EntryField = (typeof ENTRY_FIELDS)[number]

/** What one entry is, in words a person recognises ("the home address", "insurance AET01 W123"). */
const NOUN: Record<EntryField, string> = { addresses: 'an address', insurance: 'an insurance record' }

/** One entry the hub sends: the CRM thing it stands for (`key`, stable across pushes) and its body. */
export interface SentEntry {
  field: EntryField
  /** Stable across pushes: the address's slot, the CRM insurance policy's id. */
  key: string
  label: string
  body: Record<string, unknown>
  /** Ritten's id for this entry, once known: sent with the body so that Ritten updates the entry. */
  id?: string
}

/** Ritten's ids of the entries the hub made, by field and key, kept with the link between pushes. */
export type EntryIds = Record<EntryField, Record<string, { id: string; label: string }>>

/** An entry as Ritten answers it (the spec's Address / Insurance, `id` included). */
export type HeldEntry = { id: string } & Record<string, unknown>
export type HeldEntries = Record<EntryField, HeldEntry[]>

/**
 * Where the ids live: under this key in the link's synced values, the state the engine keeps for
 * a link between pushes (a Ritten link has no other synced values: Ritten is push-only). A
 * CRM field never has this name.
 */
export const ENTRY_IDS_KEY = 'ritten:entryIds'

const IdRecord = z.record(z.string(), z.object({ id: z.string().min(1), label: z.string() }))
const StoredIds = z.object({ addresses: IdRecord.default({}), insurance: IdRecord.default({}) })

export function emptyEntryIds(): EntryIds {
  return { addresses: {}, insurance: {} }
}

export const NO_HELD_ENTRIES: HeldEntries = Object.freeze({ addresses: [], insurance: [] }) as HeldEntries

/** The ids kept with the link; none when there are none or they cannot be read (then they are found again). */
export function readEntryIds(synced: Record<string, unknown> | null | undefined): EntryIds {
  const parsed = StoredIds.safeParse(synced?.[ENTRY_IDS_KEY])
  return parsed.success ? parsed.data : emptyEntryIds()
}

/** The link's synced values with `ids` in place of the ids they held. */
export function withEntryIds(synced: Record<string, unknown> | null | undefined, ids: EntryIds): Record<string, unknown> {
  return { ...(synced ?? {}), [ENTRY_IDS_KEY]: ids }
}

/** Gives each entry the id kept for it. */
export function applyKnownIds(entries: SentEntry[], ids: EntryIds): void {
  for (const entry of entries) {
    const known = ids[entry.field][entry.key]
    if (known) entry.id = known.id
  }
}

/** The body to send for an entry: with its id when known, so that Ritten updates it instead of adding one. */
export function entryBody(entry: SentEntry): Record<string, unknown> {
  return entry.id ? { id: entry.id, ...entry.body } : entry.body
}

/** Entries the hub made that the CRM no longer has (`present`: the keys it has): Ritten keeps them. */
export function entriesLeftInRitten(ids: EntryIds, present: Record<EntryField, Set<string>>): { field: EntryField; key: string; label: string; id: string }[] {
  return ENTRY_FIELDS.flatMap((field) =>
    Object.entries(ids[field])
      .filter(([key]) => !present[field].has(key))
      .map(([key, { id, label }]) => ({ field, key, label, id })),
  )
}

/** Why an entry left in Ritten stays there, for the exchange and the preview. */
export function leftInRittenReason(entry: { field: EntryField; label: string }): string {
  return `${entry.label} is no longer in the CRM (or no longer mapped), but stays in Ritten: Ritten's API cannot remove ${NOUN[entry.field]}; remove it in Ritten if it should go`
}

/**
 * For entries whose id is unknown (a lost answer, a link set by hand), takes the id of the entry
 * Ritten already holds with the same content, so that the PATCH updates it rather than adding a
 * copy. Entries another key already claims are left alone, and so is anything that does not match.
 */
export function adoptHeldEntries(entries: SentEntry[], held: HeldEntries): void {
  for (const field of ENTRY_FIELDS) {
    const claimed = new Set(entries.filter((e) => e.field === field && e.id).map((e) => e.id))
    for (const entry of entries.filter((e) => e.field === field && !e.id)) {
      const match = held[field].find((h) => !claimed.has(h.id) && sameEntry(field, entry.body, h))
      if (!match) continue
      entry.id = match.id
      claimed.add(match.id)
    }
  }
}

/**
 * After the PATCH: the ids of the entries sent without one are among those Ritten answers and did
 * not hold before. The same content first; then, in order, whatever is left (Ritten normalises
 * some fields, e.g. a state name to its code).
 */
export function takeNewEntryIds(entries: SentEntry[], returned: HeldEntries, before: HeldEntries): void {
  for (const field of ENTRY_FIELDS) {
    const known = new Set([...before[field].map((h) => h.id), ...entries.filter((e) => e.field === field && e.id).map((e) => e.id)])
    const fresh = returned[field].filter((h) => !known.has(h.id))
    const waiting = entries.filter((e) => e.field === field && !e.id)
    for (const entry of waiting) {
      const match = fresh.find((h) => sameEntry(field, entry.body, h))
      if (!match) continue
      entry.id = match.id
      fresh.splice(fresh.indexOf(match), 1)
    }
    for (const entry of waiting.filter((e) => !e.id)) {
      const next = fresh.shift()
      if (next) entry.id = next.id
    }
  }
}

/**
 * The ids to keep after a successful PATCH: those of the entries sent, plus the kept ids of CRM
 * entries present but not sent this time (e.g. a policy whose payer code is no longer mapped).
 * Ids of entries left in Ritten (reported on this push) are forgotten.
 */
export function nextEntryIds(previous: EntryIds, entries: SentEntry[], present: Record<EntryField, Set<string>>): EntryIds {
  const next = emptyEntryIds()
  for (const field of ENTRY_FIELDS) {
    for (const [key, value] of Object.entries(previous[field])) if (present[field].has(key)) next[field][key] = value
  }
  for (const entry of entries) if (entry.id) next[entry.field][entry.key] = { id: entry.id, label: entry.label }
  return next
}

const ADDRESS_IDENTITY = ['use', 'line', 'line2', 'city', 'postalCode'] as const

/**
 * Whether an entry Ritten holds is the one the hub sends. Addresses: the same lines, city, postal
 * code and use (not region and country, which Ritten normalises). Insurance: the same payer and
 * member id, which name a policy.
 */
export function sameEntry(field: EntryField, sent: Record<string, unknown>, held: Record<string, unknown>): boolean {
  if (field === 'insurance') return sent.payerId === held.payerId && comparable(sent.memberIdentifier) === comparable(held.memberIdentifier)
  return ADDRESS_IDENTITY.every((name) => comparable(sent[name]) === comparable(held[name]))
}

function comparable(value: unknown): unknown {
  if (typeof value === 'string') return value.trim().toLowerCase() || null
  return value ?? null
}
