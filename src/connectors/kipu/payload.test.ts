import { describe, expect, it } from 'vitest'
import type { Account } from '../../crm/accounts.js'
import type { Patient } from '../../crm/patients.js'
import { checkFieldMap, checkValueMaps, resolveMapping } from '../../mapping/mapping.js'
import { toPulledItems } from './connector.js'
import { kipuDefaults, kipuFields } from './fields.js'
import { buildKipuWrite, crmFieldsAsKipuHolds, localDate, readKipuPatient } from './payload.js'

const mapping = resolveMapping(kipuDefaults, {
  fieldMap: null,
  valueMaps: { location: { middletown: '2' }, referrer: { 'Recovery in the Ocean': '11' }, payerCode: { AET01: 'Aetna' }, program: { residential: 'Substance Use' } },
})
const options = { appId: '42', sendingAppName: 'carebridge' }

/** The KIPU integration article's create payload, as the CRM holds the patient. */
const patient: Patient = {
  id: '6f1c1a43-9f4e-4a57-9f43-2d1f5b1d0a01',
  firstName: 'Test1',
  middleName: null,
  lastName: 'Test2',
  preferredName: 'TJ',
  dob: '2000-01-01',
  gender: 'male',
  maritalStatus: 'single',
  phone: '(513) 320-6417',
  alternatePhone: '513-123-4567',
  email: 'test1@example.com',
  address: { line1: '123 Oak St', line2: 'Unit B', city: 'Middletown', state: 'oh', postalCode: '45044', country: 'US' },
  language: null,
  race: null,
  ethnicity: null,
  birthSex: null,
  admissionDate: '2025-04-16',
  dischargeDate: null,
  programId: null,
  levelOfCare: null,
  locationId: 'middletown',
  referrerName: 'Recovery in the Ocean',
  firstContactName: 'Dazos Main Line',
  paymentMethod: 'insurance',
  accountId: null,
  customFields: { firstContactInformation: 'Phone Inquiry', firstContactRelationship: 'Self' },
  version: 1,
  createdAt: '2025-04-16T10:00:00.000Z',
  updatedAt: '2025-04-16T10:00:00.000Z',
}

/** The KIPU integration article's pull-back payload (plus the chart ids KIPU reads carry). */
const SEED_PULL = {
  casefile_id: '63:0f8fad5b-d9cb-469f-a165-70867728950e',
  sending_app_patient_id: patient.id,
  first_name: 'Test1',
  last_name: 'Test2',
  gender: 'Male',
  dob: '2000-01-01',
  address_street: '123 Oak St',
  address_street2: 'Unit B',
  address_city: 'Middletown',
  state: 'OH',
  address_zip: '45044',
  address_country: 'United States',
  email: 'test1@example.com',
  admission_date: '2025-04-28T07:00:00.000Z',
  discharge_date: '',
  discharge_or_transition_id: '4',
  discharge_or_transition_name: 'Outpatient Program',
  discharge_type: 'Planned',
  discharge_type_code: 'P01',
  first_contact_name: 'Dazos Main Line',
  referrer_name: 'Recovery in the Ocean',
  mr_number: 'DHR2025-63',
  payment_method: 'Insurance',
  payment_method_category: '2',
  created_at: '2025-04-23T18:56:17.866Z',
  last_updated_at: '2025-04-23T18:57:13.721Z',
  insurances: [{ member_id: 'A123456789', group_number: 'GR987654321' }],
  patient_contacts: [{ name: 'Jane Doe', relationship: 'Mother', phone: '555-123-4567' }],
  phone: '+15133206417',
  level_of_care: 'Residential',
  program: 'Substance Use',
  bed_name: 'A-101',
  room_name: '102',
  building_name: 'Main Building',
}

describe('KIPU catalog and defaults', () => {
  it('defaults pass the checks an admin\u2019s mapping must pass', () => {
    expect(checkFieldMap(kipuDefaults.fieldMap, kipuFields, 'KIPU')).toEqual([])
    expect(checkValueMaps(kipuDefaults.valueMaps, kipuDefaults, kipuFields)).toEqual([])
  })
})

describe('KIPU writes (the create payload of the KIPU integration article)', () => {
  it('builds every field of the article\u2019s create payload in KIPU\u2019s vocabulary, with our id as sending_app_patient_id', () => {
    const { body, dropped, insuranceNote } = buildKipuWrite({ patient, account: null, mapping }, options)
    expect(body.document).toEqual({
      recipient_id: '42',
      sending_app_name: 'carebridge',
      data: {
        first_name: 'Test1',
        last_name: 'Test2',
        preferred_name: 'TJ',
        dob: '2000-01-01',
        marital_status: 'Single',
        location_id: '2',
        phone: '+15133206417',
        alternate_phone: '+15131234567',
        address_street: '123 Oak St',
        address_street2: 'Unit B',
        address_city: 'Middletown',
        address_zip: '45044',
        address_state: 'OH',
        address_country: 'US',
        gender: 'Male',
        email: 'test1@example.com',
        first_contact_name: 'Dazos Main Line',
        first_contact_information: 'Phone Inquiry',
        first_contact_relationship: 'Self',
        referrer_id: '11',
        referrer_name: 'Recovery in the Ocean',
        admission_date: '2025-04-16 00:00:00',
        payment_method: 'Insurance',
        sending_app_patient_id: patient.id,
      },
    })
    expect(dropped).toEqual([{ field: 'insurances_attributes', reason: 'the patient has no parent account' }])
    expect(insuranceNote).toBe('insurance left out: the patient has no parent account')
  })

  it('gates insurance by mapped payer code (F13) and lists non-self subscribers as contacts', () => {
    const account: Account = {
      id: 'a1',
      name: 'Doe family',
      email: null,
      phone: null,
      version: 1,
      createdAt: '',
      updatedAt: '',
      insurances: [
        { id: 'i2', payerCode: 'ZZZ01', memberId: 'Z1', priority: 'secondary' },
        { id: 'i1', payerCode: 'AET01', memberId: 'A1', groupNumber: 'G1', priority: 'primary', subscriber: { relationship: 'parent', firstName: 'Jane', lastName: 'Doe', phone: '555-123-4567' } },
      ],
    }
    const { body, insuranceNote, dropped } = buildKipuWrite({ patient, account, mapping }, options)
    expect(body.document.data.insurances_attributes).toEqual([
      { insurance_company: 'Aetna', policy_no: 'A1', group_ID: 'G1', insurance_type: 'Primary', subscriber_relationship: 'Parent', subscriber_first_name: 'Jane', subscriber_last_name: 'Doe', subscriber_phone: '+15551234567' },
    ])
    expect(body.document.data.patient_contacts_attributes).toEqual([{ full_name: 'Jane Doe', phone: '+15551234567', relationship: 'Parent', contact_type: 'Insurance subscriber' }])
    expect(insuranceNote).toBe('insurance partly sent: payer code ZZZ01 is not mapped for this connection')
    expect(dropped).toContainEqual({ field: 'insurances_attributes', reason: 'payer code ZZZ01 is not mapped for this connection' })
    const none = buildKipuWrite({ patient, account: { ...account, insurances: [account.insurances[0]!] }, mapping }, options)
    expect(none.body.document.data).not.toHaveProperty('insurances_attributes')
    expect(none.insuranceNote).toBe('insurance left out: payer code ZZZ01 is not mapped for this connection')
  })

  it('leaves out a value with no mapping, saying why, instead of sending it raw', () => {
    const { body, dropped } = buildKipuWrite({ patient: { ...patient, locationId: 'elsewhere', referrerName: 'Someone new' }, account: null, mapping }, options)
    expect(body.document.data).not.toHaveProperty('location_id')
    expect(body.document.data).not.toHaveProperty('referrer_id')
    expect(body.document.data.referrer_name).toBe('Someone new')
    expect(dropped).toContainEqual({ field: 'location_id', reason: 'locationId "elsewhere" has no location mapping for this connection' })
  })
})

describe('KIPU reads (the pull-back payload of the KIPU integration article)', () => {
  it('reads the pull payload back in CRM terms, field for field', () => {
    const read = readKipuPatient(SEED_PULL, mapping, 'America/Los_Angeles')
    expect(read.missing).toEqual([])
    expect(read).toMatchObject({ crmId: patient.id, mrn: 'DHR2025-63', updatedAt: '2025-04-23T18:57:13.721Z', unmapped: [] })
    expect(read.fields).toEqual({
      firstName: 'Test1',
      lastName: 'Test2',
      dob: '2000-01-01',
      gender: 'male',
      phone: '+15133206417',
      email: 'test1@example.com',
      'address.line1': '123 Oak St',
      'address.line2': 'Unit B',
      'address.city': 'Middletown',
      'address.state': 'OH',
      'address.postalCode': '45044',
      'address.country': 'US',
      firstContactName: 'Dazos Main Line',
      referrerName: 'Recovery in the Ocean',
      admissionDate: '2025-04-28',
      dischargeDate: null,
      paymentMethod: 'insurance',
      levelOfCare: 'Residential',
      programId: 'residential',
      'customFields.kipuBed': 'A-101',
      'customFields.kipuRoom': '102',
      'customFields.kipuBuilding': 'Main Building',
      'customFields.kipuDischargeOrTransition': 'Outpatient Program',
      'customFields.kipuDischargeType': 'Planned',
      'customFields.kipuDischargeTypeCode': 'P01',
    })
  })

  it('keeps a value with no inverse mapping out of the CRM and reports it', () => {
    const read = readKipuPatient({ ...SEED_PULL, program: 'Mental Health', gender: 'Non-Binary' }, mapping, 'America/Los_Angeles')
    expect(read.fields).not.toHaveProperty('programId')
    expect(read.fields).not.toHaveProperty('gender')
    expect(read.unmapped).toEqual([
      { field: 'gender', reason: 'KIPU gender "Non-Binary" has no gender mapping for this connection', value: 'Non-Binary', valueMap: 'gender' },
      { field: 'programId', reason: 'KIPU program "Mental Health" has no program mapping for this connection', value: 'Mental Health', valueMap: 'program' },
    ])
  })

  it('gates on admission (F15): a patient missing any required field waits, with what it misses', () => {
    const { mr_number: _mr, admission_date: _admitted, ...preAdmission } = SEED_PULL
    expect(toPulledItems({ ...preAdmission, dob: '' }, mapping, 'America/Los_Angeles')).toEqual([
      { type: 'waiting', recordType: 'patient', externalId: SEED_PULL.casefile_id, label: 'Test1 Test2', missing: ['date of birth', 'admission date', 'MR number'] },
    ])
    const items = toPulledItems(SEED_PULL, mapping, 'America/Los_Angeles')
    expect(items.map((i) => i.type)).toEqual(['patient', 'insurance', 'contact'])
    expect(items[1]).toMatchObject({ patientExternalId: SEED_PULL.casefile_id, data: { memberId: 'A123456789', groupNumber: 'GR987654321' } })
    expect(items[2]).toMatchObject({ data: { name: 'Jane Doe', relationship: 'Mother', phone: '555-123-4567' } })
  })

  it('compares the CRM as KIPU holds it: a pushed patient reads back as sent', () => {
    const held = crmFieldsAsKipuHolds(patient, mapping, 'America/Los_Angeles')
    expect(held).toMatchObject({ phone: '+15133206417', 'address.state': 'OH', 'address.country': 'US', gender: 'male', admissionDate: '2025-04-16', paymentMethod: 'insurance' })
  })

  it('reads facility-local dates from KIPU times', () => {
    expect(localDate('2025-04-28T07:00:00.000Z', 'America/Los_Angeles')).toBe('2025-04-28')
    expect(localDate('2025-04-29T03:00:00.000Z', 'America/Los_Angeles')).toBe('2025-04-28')
    expect(localDate('2025-04-29T03:00:00.000Z', 'Europe/Paris')).toBe('2025-04-29')
    expect(localDate('2025-04-16 00:00:00', 'America/Los_Angeles')).toBe('2025-04-16')
    expect(localDate('soon', 'America/Los_Angeles')).toBeNull()
  })
})
