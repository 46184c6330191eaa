import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseCreate, parseReferral } from './payload.js'

const valid = {
  external_id: 'ref_1',
  registrant: { first_name: 'Amelia', last_name: 'Tremblay', date_of_birth: '1988-04-12' },
}

/** Bodies shaped like referrals, with any value anywhere: what a buggy or hostile client sends. */
const referralLike = fc.record(
  {
    external_id: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
    registrant: fc.oneof(fc.dictionary(fc.constantFrom('first_name', 'last_name', 'date_of_birth', 'email', 'ssn'), fc.jsonValue()), fc.jsonValue()),
    appointment: fc.oneof(fc.record({ start: fc.jsonValue(), duration_minutes: fc.jsonValue() }, { requiredKeys: [] }), fc.jsonValue()),
    attachments: fc.oneof(fc.array(fc.record({ filename: fc.jsonValue(), content_type: fc.jsonValue(), data_base64: fc.oneof(fc.base64String(), fc.string()) }, { requiredKeys: [] })), fc.jsonValue()),
    referral_note: fc.jsonValue(),
  },
  { requiredKeys: [] },
)

describe('CRMS referral bodies', () => {
  it('any JSON is either accepted or refused with one non-empty sentence, never a throw', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), referralLike), (body) => {
        for (const result of [parseCreate(body), parseReferral(body)]) {
          if (!result.ok) expect(result.message).toMatch(/^\S.*\S$/)
        }
      }),
      { numRuns: 500 },
    )
  })

  it('accepts the minimal referral and names the first missing required field', () => {
    expect(parseCreate(valid)).toMatchObject({ ok: true })
    expect(parseCreate({ ...valid, registrant: { first_name: 'A', last_name: 'B' } })).toEqual({ ok: false, message: 'Date of birth is required' })
    expect(parseCreate({ ...valid, registrant: { date_of_birth: '1988-04-12' } })).toEqual({ ok: false, message: 'First name is required' })
    // A PATCH may leave required fields out; the merged referral is checked by the inbox.
    expect(parseReferral({ registrant: { phone_home: '905-555-0100' } })).toMatchObject({ ok: true })
  })

  it('refuses real-looking but wrong dates and base64', () => {
    expect(parseCreate({ ...valid, registrant: { ...valid.registrant, date_of_birth: '1988-02-30' } })).toEqual({ ok: false, message: 'registrant.date_of_birth must be a date in YYYY-MM-DD format' })
    expect(parseCreate({ ...valid, attachments: [{ filename: 'a.pdf', content_type: 'application/pdf', data_base64: 'QUJD=' }] })).toEqual({ ok: false, message: 'Attachment "a.pdf" data_base64 is not valid base64' })
    expect(parseCreate({ ...valid, attachments: [{ filename: 'a.pdf', content_type: 'application/pdf', data_base64: 'QUJD' }] })).toMatchObject({ ok: true })
  })
})
