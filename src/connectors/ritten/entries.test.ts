import { describe, expect, it } from 'vitest'
import {
  adoptHeldEntries,
  applyKnownIds,
  ENTRY_IDS_KEY,
  entriesLeftInRitten,
  leftInRittenReason,
  NO_HELD_ENTRIES,
  nextEntryIds,
  readEntryIds,
  sameEntry,
  takeNewEntryIds,
  withEntryIds,
  type EntryIds,
  type SentEntry,
} from './entries.js'

const home = () => ({ line: '2222 Home Street', city: 'Lawrence', region: 'KS', postalCode: '66044', country: 'US', use: 'HOME' })
const aetna = () => ({ payerId: 'payer-aetna', orderNumber: 1, memberIdentifier: 'W123456789' })
const cigna = () => ({ payerId: 'payer-cigna', orderNumber: 2, memberIdentifier: 'C-2' })

function sent(): SentEntry[] {
  return [
    { field: 'addresses', key: 'address 0', label: 'the home address', body: home() },
    { field: 'insurance', key: 'crm-i1', label: 'insurance AET01 W123456789', body: aetna() },
    { field: 'insurance', key: 'crm-i2', label: 'insurance CIG01 C-2', body: cigna() },
  ]
}

describe('Ritten entry ids', () => {
  it('keeps the ids in the link\u2019s synced values beside what is there, and reads them back', () => {
    const ids: EntryIds = { addresses: { 'address 0': { id: 'a1', label: 'the home address' } }, insurance: {} }
    const synced = withEntryIds({ firstName: 'Dana' }, ids)
    expect(synced).toEqual({ firstName: 'Dana', [ENTRY_IDS_KEY]: ids })
    expect(readEntryIds(synced)).toEqual(ids)
    expect(readEntryIds(null)).toEqual({ addresses: {}, insurance: {} })
    // Unreadable ids are no ids: they are found again in Ritten rather than trusted.
    expect(readEntryIds({ [ENTRY_IDS_KEY]: { addresses: { 'address 0': 'a1' } } })).toEqual({ addresses: {}, insurance: {} })
  })

  it('sends the kept id with its entry, and adopts the entry Ritten already holds with the same content', () => {
    const entries = sent()
    applyKnownIds(entries, { addresses: {}, insurance: { 'crm-i2': { id: 'r-cigna', label: 'insurance CIG01 C-2' } } })
    expect(entries.map((e) => e.id)).toEqual([undefined, undefined, 'r-cigna'])

    adoptHeldEntries(entries, {
      // Ritten normalised the region and added its own entries; a staff-entered work address stays someone else's.
      addresses: [
        { id: 'r-work', ...home(), use: 'WORK' },
        { id: 'r-home', ...home(), region: 'ks', line: '2222 HOME STREET ' },
      ],
      insurance: [
        { id: 'r-cigna', ...cigna() },
        { id: 'r-aetna', ...aetna(), orderNumber: 3, groupNumber: 'G-1' },
        { id: 'r-aetna-copy', ...aetna() },
      ],
    })
    expect(entries.map((e) => e.id)).toEqual(['r-home', 'r-aetna', 'r-cigna'])
  })

  it('never adopts one Ritten entry for two of ours, nor an entry that differs', () => {
    const entries: SentEntry[] = [
      { field: 'insurance', key: 'p1', label: 'p1', body: aetna() },
      { field: 'insurance', key: 'p2', label: 'p2', body: aetna() },
      { field: 'addresses', key: 'address 0', label: 'home', body: home() },
    ]
    adoptHeldEntries(entries, { addresses: [{ id: 'r-old', ...home(), line: '1 Old Road' }], insurance: [{ id: 'r1', ...aetna() }] })
    expect(entries.map((e) => e.id)).toEqual(['r1', undefined, undefined])
    expect(sameEntry('insurance', aetna(), { ...aetna(), memberIdentifier: 'W999' })).toBe(false)
    expect(sameEntry('addresses', home(), { ...home(), line2: 'Apt 4' })).toBe(false)
  })

  it('takes the ids of new entries from the answer: those Ritten did not hold before, by content, then in order', () => {
    const entries = sent()
    entries[2]!.id = 'r-cigna'
    const before = { addresses: [{ id: 'r-staff', line: 'Staff St', use: 'WORK' }], insurance: [{ id: 'r-cigna', ...cigna() }] }
    takeNewEntryIds(
      entries,
      {
        addresses: [...before.addresses, { id: 'r-new-home', ...home(), line: '2222 Home St.' }],
        insurance: [{ id: 'r-cigna', ...cigna() }, { id: 'r-new-aetna', ...aetna() }],
      },
      before,
    )
    // The address Ritten rewrote still gets the one new id; the staff's is never taken.
    expect(entries.map((e) => e.id)).toEqual(['r-new-home', 'r-new-aetna', 'r-cigna'])

    const fresh = sent()
    takeNewEntryIds(fresh, { addresses: [], insurance: [{ id: 'x2', ...cigna() }, { id: 'x1', ...aetna() }] }, NO_HELD_ENTRIES)
    expect(fresh.map((e) => e.id)).toEqual([undefined, 'x1', 'x2'])
  })

  it('reports entries the CRM no longer has as left in Ritten, keeps ids of entries not sent this time, and forgets the reported ones', () => {
    const kept: EntryIds = {
      addresses: { 'address 0': { id: 'r-home', label: 'the home address' } },
      insurance: {
        'crm-i1': { id: 'r-aetna', label: 'insurance AET01 W123456789' },
        'crm-gone': { id: 'r-old', label: 'insurance HUM01 H-1' },
      },
    }
    const present = { addresses: new Set<string>(), insurance: new Set(['crm-i1']) }
    const left = entriesLeftInRitten(kept, present)
    expect(left).toEqual([
      { field: 'addresses', key: 'address 0', label: 'the home address', id: 'r-home' },
      { field: 'insurance', key: 'crm-gone', label: 'insurance HUM01 H-1', id: 'r-old' },
    ])
    expect(leftInRittenReason(left[1]!)).toBe(
      "insurance HUM01 H-1 is no longer in the CRM (or no longer mapped), but stays in Ritten: Ritten's API cannot remove an insurance record; remove it in Ritten if it should go",
    )
    // crm-i1 was not sent (its payer is no longer mapped) but is still in the CRM: its id stays.
    const newPolicy: SentEntry = { field: 'insurance', key: 'crm-i3', label: 'insurance CIG01 C-2', body: cigna(), id: 'r-cigna' }
    expect(nextEntryIds(kept, [newPolicy], present)).toEqual({
      addresses: {},
      insurance: { 'crm-i1': kept.insurance['crm-i1'], 'crm-i3': { id: 'r-cigna', label: 'insurance CIG01 C-2' } },
    })
  })
})
