import { describe, expect, it } from 'vitest'
import { buildCrmsReferral, referralFieldValues, sha256 } from './payload.js'
import { SCAN_PNG, SUMMARY_PDF, referralInput } from './testdata.js'

describe('the CRMS referral body', () => {
  it('creates with the external id, nested CRMS fields, the note and every attachment as base64', () => {
    const write = buildCrmsReferral(referralInput(), 'create')
    expect(write.body).toMatchObject({
      external_id: expect.stringMatching(/^ref_/),
      registrant: { first_name: 'Amelia', date_of_birth: '1988-04-12', address: '12 King St W', postal_code: 'L8P 1A1' },
      requester: { organization: 'Hamilton Family Health Team' },
      appointment: { start: '2026-12-03T15:00:00Z', duration_minutes: 60 },
      referral_note: 'Reason for referral: low mood\nCurrent medications: none',
      attachments: [
        { filename: 'Referral summary.pdf', content_type: 'application/pdf', data_base64: SUMMARY_PDF.toString('base64') },
        { filename: 'scan.png', content_type: 'image/png', data_base64: SCAN_PNG.toString('base64') },
      ],
    })
    expect(write.missing).toEqual([])
    expect(write.logged.attachments).toEqual([
      { filename: 'Referral summary.pdf', content_type: 'application/pdf', data_base64: `[${SUMMARY_PDF.length} bytes, sha256 ${sha256(SUMMARY_PDF)}]` },
      { filename: 'scan.png', content_type: 'image/png', data_base64: `[${SCAN_PNG.length} bytes, sha256 ${sha256(SCAN_PNG)}]` },
    ])
  })

  it('updates with null for what the referral no longer holds, the appointment cleared whole, and no attachment CRMS holds', () => {
    const input = referralInput()
    delete (input.referral.fields.registrant as Record<string, unknown>).email
    delete input.referral.fields.appointment
    const held = input.attachments.map((a) => ({ filename: ` ${a.filename} `, sha256: sha256(a.data) }))
    const write = buildCrmsReferral(input, 'update', held)
    expect(write.body.external_id).toBeUndefined()
    expect(write.body).toMatchObject({ registrant: { first_name: 'Amelia', email: null, middle_name: 'Rose' }, appointment: null })
    expect(write.body.attachments).toBeUndefined()
    expect(write.alreadyHeld).toBe(2)
  })

  it('keeps a value CRMS cannot take in the note, and names what is required', () => {
    const input = referralInput()
    const registrant = input.referral.fields.registrant as Record<string, unknown>
    registrant.dateOfBirth = '12/04/1988'
    const write = buildCrmsReferral(input, 'create')
    expect(write.dropped).toEqual([{ field: 'registrant.date_of_birth', reason: 'registrant.dateOfBirth "12/04/1988" is not a date (YYYY-MM-DD)' }])
    expect(write.body.referral_note).toContain('Not carried by the CRMS field map:\nDate of birth: 12/04/1988')
    expect(write.missing).toEqual([{ field: 'registrant.date_of_birth', message: 'Date of birth is required' }])
  })

  it('reads CRM fields stored nested or under their dotted paths', () => {
    expect(referralFieldValues({ 'registrant.firstName': 'Noor', registrant: { lastName: 'Haddad' }, 'registrant.address.city': 'Guelph' })).toEqual({
      registrant: { firstName: 'Noor', lastName: 'Haddad', address: { city: 'Guelph' } },
    })
  })
})
