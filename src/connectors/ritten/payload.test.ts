import { describe, expect, it } from 'vitest'
import type { Account } from '../../crm/accounts.js'
import type { Patient } from '../../crm/patients.js'
import { resolveMapping } from '../../mapping/mapping.js'
import { rittenDefaults } from './fields.js'
import { buildRittenPayloads, createProblem, patchBody, toE164 } from './payload.js'

const patient: Patient = {
  id: '7d0f0b9e-3f0e-4a51-9d2c-0a8f6b2d1c11',
  firstName: 'Dana',
  middleName: 'Q',
  lastName: 'Rivers',
  preferredName: 'Dee',
  dob: '1990-02-23',
  gender: 'female',
  maritalStatus: 'married',
  phone: '913-555-2003',
  alternatePhone: null,
  email: 'dana@example.com',
  address: { line1: '2222 Home Street', line2: 'Apt 4', city: 'Lawrence', state: 'KS', postalCode: '66044', country: 'US' },
  language: 'English',
  race: 'white',
  ethnicity: 'not_hispanic_or_latino',
  birthSex: 'female',
  admissionDate: null,
  dischargeDate: null,
  programId: null,
  locationId: null,
  levelOfCare: null,
  referrerName: null,
  firstContactName: null,
  paymentMethod: 'insurance',
  accountId: 'a1',
  customFields: { pronouns: 'she/her' },
  version: 1,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
}

const account: Account = {
  id: 'a1',
  name: 'Rivers family',
  email: null,
  phone: null,
  insurances: [
    {
      id: 'i2',
      payerCode: 'CIG01',
      payerName: 'Cigna',
      memberId: 'C-2',
      groupNumber: null,
      priority: 'secondary',
      startDate: null,
      endDate: null,
      subscriber: null,
    },
    {
      id: 'i1',
      payerCode: 'AET01',
      payerName: 'Aetna',
      memberId: 'W123456789',
      groupNumber: 'G-77',
      priority: 'primary',
      startDate: '2026-01-01',
      endDate: null,
      subscriber: { relationship: 'parent', firstName: 'Pat', lastName: 'Rivers', dob: '1965-04-01', phone: '9135550000', address: null },
    },
  ],
  version: 1,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
}

const mapped = (payerCode: Record<string, string>) => resolveMapping(rittenDefaults, { fieldMap: null, valueMaps: { payerCode } })

describe('Ritten payloads', () => {
  it('puts only the mandatory fields and our id in the create', () => {
    const { create } = buildRittenPayloads({ patient, account, mapping: mapped({}) })
    expect(create).toEqual({
      name: { first: 'Dana', middle: 'Q', last: 'Rivers', chosenName: 'Dee' },
      dob: '1990-02-23',
      externalId: patient.id,
    })
  })

  it('puts demographics, contacts, address and mapped insurance in the patch', () => {
    const payloads = buildRittenPayloads({ patient, account, mapping: mapped({ AET01: 'payer-aetna', CIG01: 'payer-cigna' }) })
    const { insuranceNote, dropped } = payloads
    expect(insuranceNote).toBeNull()
    expect(dropped).toEqual([])
    expect(patchBody(payloads)).toEqual({
      name: { first: 'Dana', middle: 'Q', last: 'Rivers', chosenName: 'Dee' },
      dob: '1990-02-23',
      demographics: {
        sex: 'Female',
        gender: ['Female'],
        maritalStatus: 'Married',
        race: ['White'],
        ethnicity: ['Not Hispanic or Latino'],
        preferredLanguage: 'English',
      },
      phones: ['+19135552003'],
      emails: ['dana@example.com'],
      addresses: [{ line: '2222 Home Street', line2: 'Apt 4', city: 'Lawrence', region: 'KS', postalCode: '66044', country: 'US', use: 'HOME' }],
      insurance: [
        {
          payerId: 'payer-aetna',
          orderNumber: 1,
          memberIdentifier: 'W123456789',
          groupNumber: 'G-77',
          startDate: '2026-01-01',
          notSubscriber: true,
          relationship: 'The Beneficiary is a child of the Subscriber',
          firstName: 'Pat',
          lastName: 'Rivers',
          birthDate: '1965-04-01',
          subscriberPhoneNumber: '+19135550000',
        },
        { payerId: 'payer-cigna', orderNumber: 2, memberIdentifier: 'C-2', notSubscriber: false, relationship: 'Self' },
      ],
    })
  })

  it('keys each address and insurance entry by what it stands for in the CRM, and sends the ids it knows', () => {
    const payloads = buildRittenPayloads({ patient, account, mapping: mapped({ AET01: 'payer-aetna' }) })
    expect(payloads.entries.map((e) => [e.field, e.key, e.label])).toEqual([
      ['addresses', 'address 0', 'the home address'],
      ['insurance', 'i1', 'insurance AET01 W123456789'],
    ])
    // The unmapped Cigna policy is not sent, but the CRM still has it.
    expect(payloads.present).toEqual({ addresses: new Set(['address 0']), insurance: new Set(['i2', 'i1']) })
    payloads.entries[1]!.id = 'ritten-insurance-1'
    const body = patchBody(payloads)
    expect(body.addresses).toEqual([expect.not.objectContaining({ id: expect.anything() })])
    expect(body.insurance).toEqual([{ id: 'ritten-insurance-1', ...payloads.entries[1]!.body }])
    expect(payloads.entries[1]!.body.payerId).toBe('payer-aetna')
    expect(Object.keys((body.insurance as object[])[0]!)[0]).toBe('id')
    expect(buildRittenPayloads({ patient: { ...patient, address: null }, account: null, mapping: mapped({}) }).entries).toEqual([])
  })

  it('names what to fix when the mapping sends no first or last name', () => {
    const { create } = buildRittenPayloads({ patient, account, mapping: mapped({}) })
    expect(createProblem(create)).toBeNull()
    expect(createProblem({ ...create, name: { last: 'Rivers' } })).toBeNull()
    expect(createProblem({ ...create, name: { middle: 'Q', chosenName: 'Dee', first: ' ' } })).toMatch(/first or a last name.*name\.first/)
  })

  it('leaves insurance out and says the payer code is not mapped', () => {
    const payloads = buildRittenPayloads({ patient, account: { ...account, insurances: [account.insurances[1]!] }, mapping: mapped({}) })
    const { insuranceNote } = payloads
    expect(patchBody(payloads).insurance).toBeUndefined()
    expect(insuranceNote).toBe('insurance left out: payer code AET01 is not mapped for this connection')
  })

  it('leaves insurance out when the account has none, or there is no account', () => {
    expect(buildRittenPayloads({ patient, account: { ...account, insurances: [] }, mapping: mapped({ AET01: 'x' }) }).insuranceNote).toBe(
      'insurance left out: the parent account has no insurance',
    )
    expect(buildRittenPayloads({ patient, account: null, mapping: mapped({ AET01: 'x' }) }).insuranceNote).toBe(
      'insurance left out: the patient has no parent account',
    )
  })

  it('sends the mapped policy and names the unmapped one', () => {
    const payloads = buildRittenPayloads({ patient, account, mapping: mapped({ AET01: 'payer-aetna' }) })
    const { insuranceNote } = payloads
    expect((patchBody(payloads).insurance as unknown[]).length).toBe(1)
    expect(insuranceNote).toBe('insurance partly sent: payer code CIG01 is not mapped for this connection')
  })

  it('reports a value without a mapping instead of sending it raw', () => {
    const { patch, dropped } = buildRittenPayloads({ patient: { ...patient, race: 'other' }, account: null, mapping: mapped({}) })
    expect((patch.demographics as Record<string, unknown>).race).toBeUndefined()
    expect(dropped).toContainEqual({ field: 'demographics.race[0]', reason: 'race "other" has no race mapping for this connection' })
  })

  it('formats phones as E.164', () => {
    expect(toE164('(913) 555-2003')).toBe('+19135552003')
    expect(toE164('+44 20 7946 0000')).toBe('+442079460000')
  })
})
