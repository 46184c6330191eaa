import { describe, expect, it } from 'vitest'
import { Webhook } from 'standardwebhooks'
import { createHmac } from 'node:crypto'
import { generateSigningSecret, webhookHeaders } from './signature.js'

describe('webhook signatures', () => {
  const body = JSON.stringify({ id: 'e1', type: 'patient.linked', data: { patientId: 'p' } })

  it('verifies with the standardwebhooks library a receiver uses', () => {
    const secret = generateSigningSecret()
    const headers = webhookHeaders(secret, 'e1', new Date(), body)
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body))
  })

  it('is the HMAC-SHA256 of id.timestamp.body under the decoded secret', () => {
    const secret = generateSigningSecret()
    const at = new Date('2026-11-30T12:00:00.900Z')
    const headers = webhookHeaders(secret, 'e1', at, body)
    expect(headers['webhook-id']).toBe('e1')
    expect(headers['webhook-timestamp']).toBe(String(Math.floor(at.getTime() / 1000)))
    const key = Buffer.from(secret.slice('whsec_'.length), 'base64')
    const expected = createHmac('sha256', key).update(`e1.${headers['webhook-timestamp']}.${body}`).digest('base64')
    expect(headers['webhook-signature']).toBe(`v1,${expected}`)
  })

  it('fails verification for another secret, a changed body or a stale timestamp', () => {
    const secret = generateSigningSecret()
    const headers = webhookHeaders(secret, 'e1', new Date(), body)
    expect(() => new Webhook(generateSigningSecret()).verify(body, headers)).toThrow()
    expect(() => new Webhook(secret).verify(body.replace('p', 'q'), headers)).toThrow()
    const old = webhookHeaders(secret, 'e1', new Date(Date.now() - 10 * 60_000), body)
    expect(() => new Webhook(secret).verify(body, old)).toThrow(/too old/)
  })

  it('makes a different 32-byte secret each time', () => {
    const a = generateSigningSecret()
    const b = generateSigningSecret()
    expect(a).not.toBe(b)
    expect(a).toMatch(/^whsec_/)
    expect(Buffer.from(a.slice(6), 'base64')).toHaveLength(32)
  })
})
