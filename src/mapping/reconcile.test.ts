import { describe, expect, it } from 'vitest'
import { reconcile, type Ownership } from './reconcile.js'

const t0 = new Date('2026-01-01T00:00:00Z')
const later = new Date('2026-01-02T00:00:00Z')
const base = { phone: '111', city: 'Lawrence', email: 'a@x.org' }
const run = (crm: Record<string, unknown>, emr: Record<string, unknown>, ownership: Ownership, times = { crm: t0, emr: later }) =>
  reconcile({ fields: ['phone', 'city', 'email'], crm, emr, base, ownership, crmUpdatedAt: times.crm, emrUpdatedAt: times.emr })

describe('reconcile', () => {
  it('lets a change made on one side flow to the other, without a conflict', () => {
    const result = run({ ...base, phone: '222' }, { ...base, city: 'Topeka' }, { default: 'crm', fields: {} })
    expect(result.toEmr).toEqual({ phone: '222' })
    expect(result.toCrm).toEqual({ city: 'Topeka' })
    expect(result.conflicts).toEqual([])
    expect(result.merged).toEqual({ phone: '222', city: 'Topeka', email: 'a@x.org' })
  })

  it('settles a field changed on both sides by the CRM-wins rule and keeps the loser', () => {
    const result = run({ ...base, phone: '222' }, { ...base, phone: '333' }, { default: 'emr', fields: { phone: 'crm' } })
    expect(result.toEmr).toEqual({ phone: '222' })
    expect(result.conflicts).toEqual([{ field: 'phone', crm: '222', emr: '333', base: '111', rule: 'crm', winner: 'crm' }])
  })

  it('settles by the EMR-wins rule', () => {
    const result = run({ ...base, phone: '222' }, { ...base, phone: '333' }, { default: 'emr', fields: {} })
    expect(result.toCrm).toEqual({ phone: '333' })
    expect(result.conflicts[0]).toMatchObject({ winner: 'emr', rule: 'emr' })
  })

  it('settles by newest-wins using the EMR lastUpdated against the CRM update time', () => {
    const ownership: Ownership = { default: 'newest', fields: {} }
    expect(run({ ...base, phone: '222' }, { ...base, phone: '333' }, ownership, { crm: t0, emr: later }).conflicts[0]?.winner).toBe('emr')
    expect(run({ ...base, phone: '222' }, { ...base, phone: '333' }, ownership, { crm: later, emr: t0 }).conflicts[0]?.winner).toBe('crm')
  })

  it('does not call equal values or a first sync a conflict', () => {
    expect(run({ ...base, phone: '222' }, { ...base, phone: '222' }, { default: 'crm', fields: {} }).conflicts).toEqual([])
    const first = reconcile({ fields: ['phone'], crm: { phone: '1' }, emr: { phone: '2' }, base: null, ownership: { default: 'crm', fields: {} }, crmUpdatedAt: t0, emrUpdatedAt: later })
    expect(first.conflicts).toEqual([])
    expect(first.toEmr).toEqual({ phone: '1' })
  })
})
