import { describe, expect, it } from 'vitest'
import { KipuSecrets, KipuSettings, signKipuRequest, verifyKipuSignature } from './client.js'

/** Expected signatures computed with openssl (`openssl dgst -sha1 -hmac … -binary | base64`), not with this code. */
const DATE = 'Wed, 06 Nov 2019 15:38:34 GMT'
const AT = new Date(Date.parse(DATE))
const credentials = { accessId: 'access-1', secretKey: 'test-secret-key' }

describe('APIAuth signing', () => {
  it('signs a GET over ",,request_uri,Date" with the query exactly as sent', () => {
    const signed = signKipuRequest({ method: 'GET', url: 'https://api.kipuapi.com/api/patients/census?phi_level=high&app_id=42', headers: {}, body: undefined }, credentials, new Date('2019-11-07T20:08:59Z'))
    expect(signed.details.signed).toBe(',,/api/patients/census?phi_level=high&app_id=42,Thu, 07 Nov 2019 20:08:59 GMT')
    expect(signed.headers).toEqual({ date: 'Thu, 07 Nov 2019 20:08:59 GMT', authorization: 'APIAuth access-1:vAlkw+pC3HUUghYdM0cphGlYOJw=' })
  })

  it('signs a body over Content-Type, Content-MD5 of the exact bytes, request_uri and Date (no method)', () => {
    const body = '{"document":{"recipient_id":"42","data":{"first_name":"Test1"}}}'
    const signed = signKipuRequest({ method: 'POST', url: 'https://api.kipuapi.com/api/patients', headers: { 'content-type': 'application/json' }, body }, credentials, AT)
    expect(signed.headers['content-md5']).toBe('Tbd9pnuneqjtkUNo2NWXyA==')
    expect(signed.details.signed).toBe(`application/json,Tbd9pnuneqjtkUNo2NWXyA==,/api/patients,${DATE}`)
    // The documented example's canonical string, signed with our test key.
    const example = signKipuRequest({ method: 'PATCH', url: 'https://x/api/patients', headers: { 'Content-Type': 'application/json' }, body }, credentials, AT)
    expect(example.headers.authorization).toMatch(/^APIAuth access-1:[A-Za-z0-9+/]{27}=$/)
  })

  it('verifies a webhook signed the same way, and refuses a changed body, another key, a stale Date', () => {
    const body = '{"event_id":"e1"}'
    const at = new Date()
    const signed = signKipuRequest({ method: 'POST', url: 'https://hub/api/inbound/kipu/c1?x=1', headers: { 'content-type': 'application/json' }, body }, credentials, at)
    const request = (changes: Partial<{ body: string; headers: Record<string, string>; url: string; receivedAt: Date }> = {}) => ({
      url: changes.url ?? '/api/inbound/kipu/c1?x=1',
      headers: changes.headers ?? { ...signed.headers, 'content-type': 'application/json' },
      rawBody: Buffer.from(changes.body ?? body),
      receivedAt: changes.receivedAt ?? at,
    })
    expect(verifyKipuSignature(request(), credentials)).toBeNull()
    expect(verifyKipuSignature(request({ body: '{"event_id":"e2"}' }), credentials)?.code).toBe('md5_mismatch')
    expect(verifyKipuSignature(request({ url: '/api/inbound/kipu/c1' }), credentials)?.code).toBe('bad_signature')
    expect(verifyKipuSignature(request(), { ...credentials, secretKey: 'another-key' })?.code).toBe('bad_signature')
    expect(verifyKipuSignature(request({ receivedAt: new Date(at.getTime() + 16 * 60_000) }), credentials)?.code).toBe('clock_skew')
    expect(verifyKipuSignature(request({ headers: { 'content-type': 'application/json' } }), credentials)?.code).toBe('missing_signature')
  })
})

describe('KIPU connection settings', () => {
  it('refuses a malformed secret or access id, naming what to fix', () => {
    expect(KipuSecrets.safeParse({ secretKey: 'c2ltdWxhdGVkLWtpcHUtc2VjcmV0' }).success).toBe(true)
    expect(KipuSecrets.safeParse({ secretKey: 'with a space in it, pasted' }).error?.issues[0]?.message).toMatch(/no spaces or line breaks/)
    expect(KipuSecrets.safeParse({ secretKey: 'short' }).success).toBe(false)
    expect(KipuSettings.safeParse({ accessId: 'a:b', appId: '1' }).error?.issues[0]?.message).toMatch(/no spaces or colons/)
    expect(KipuSettings.safeParse({ accessId: 'a', appId: '1', facilityTimeZone: 'Mars/Base' }).error?.issues[0]?.message).toMatch(/IANA time zone/)
    expect(KipuSettings.parse({ accessId: 'a', appId: '1' })).toMatchObject({ sendingAppName: 'carebridge', pageSize: 100, importNewPatients: true })
  })
})
