import { describe, expect, it } from 'vitest'
import { REDACTED, redactCredentials, redactPhi, redactPhiText, redactUrl } from './redact.js'

describe('redaction', () => {
  it('removes credentials at any depth and keeps the rest', () => {
    const body = { grant_type: 'client_credentials', client_id: 'abc', client_secret: 's3cret', nested: [{ access_token: 't' }] }
    expect(redactCredentials(body)).toEqual({
      grant_type: 'client_credentials',
      client_id: 'abc',
      client_secret: REDACTED,
      nested: [{ access_token: REDACTED }],
    })
  })

  it('removes PHI from a Ritten patch and keeps codes and ids', () => {
    const patch = { name: { first: 'Ann' }, dob: '1990-01-01', phones: ['+1555'], insurance: [{ payerId: 'p1', memberIdentifier: 'M1' }] }
    expect(redactPhi(patch)).toEqual({ name: REDACTED, dob: REDACTED, phones: REDACTED, insurance: [{ payerId: 'p1', memberIdentifier: REDACTED }] })
  })

  it('withholds non-JSON bodies whole for non-admins', () => {
    expect(redactPhiText('Ann Smith 1990-01-01')).toBe(REDACTED)
    expect(redactPhiText('{"id":"x","mrn":"M1"}')).toBe('{"id":"x","mrn":"[redacted]"}')
  })

  it('redacts credentials in URLs', () => {
    expect(redactUrl('http://u:p@h/x?access_token=abc&q=1')).toBe('http://u:%5Bredacted%5D@h/x?access_token=%5Bredacted%5D&q=1')
  })
})
