import { describe, expect, it } from 'vitest'
import { leakError, noteApiTraffic, registeredSecrets, registerPhi, registerSecret, scanOutput } from './secretScan.js'

const banner = 'carebridge is running\n'

describe('the secret scan of a process output', () => {
  it('finds a registered secret and a patient name, and says where without the value', () => {
    registerSecret('a Ritten access token', 'tok-3f9a8b7c6d5e4f3a2b1c')
    registerPhi('patient last name', 'Quarrington')
    const findings = scanOutput(`${banner}{"level":30,"msg":"ok"}\n{"level":40,"auth":"tok-3f9a8b7c6d5e4f3a2b1c"}\n{"name":"Quarrington"}\n`, 'the output of hub pid 1')
    expect(findings).toEqual([
      { what: 'a Ritten access token', where: 'the output of hub pid 1, line 3' },
      { what: 'PHI (patient last name)', where: 'the output of hub pid 1, line 4' },
    ])
    expect(leakError(findings).message).not.toContain('tok-3f9a8b7c6d5e4f3a2b1c')
  })

  it('finds what looks like a credential whatever its value: a JWT, a PEM private key, a bearer token', () => {
    const jwt = 'eyJhbGciOiJSUzM4NCJ9.eyJpc3MiOiJodWIiLCJzdWIiOiJjbGllbnQifQ.c2lnbmF0dXJlLW9mLXRoZS1hc3NlcnRpb24'
    expect(scanOutput(`${banner}assertion ${jwt}`, 'o').map((f) => f.what)).toEqual(['a JSON Web Token'])
    expect(scanOutput(`${banner}-----BEGIN PRIVATE KEY-----\nMIIE`, 'o').map((f) => f.what)).toEqual(['a PEM private key'])
    expect(scanOutput(`${banner}authorization: Bearer abcdefghijklmnop1234`, 'o').map((f) => f.what)).toEqual(['a bearer token'])
    // What the hub writes in their place is no leak.
    expect(scanOutput(`${banner}authorization: Bearer [redacted]`, 'o')).toEqual([])
  })

  it('registers the credentials and PHI of API traffic, and not what merely resembles them', () => {
    noteApiTraffic(
      { firstName: 'Wilhelmina', dob: '1961-04-22', baseUrl: 'http://127.0.0.1:1/', credentials: { clientSecret: 'cs-0a1b2c3d4e5f', secret_key: 'kipu-secret-0987' } },
      { key: 'cbk_abcdefghijklmnop', tokenUrl: 'http://127.0.0.1:1/token', privateKeyJwk: { kty: 'RSA', n: 'public-modulus-value', d: 'private-exponent-value' } },
    )
    const values = registeredSecrets()
    expect(values).toEqual(expect.arrayContaining(['cs-0a1b2c3d4e5f', 'kipu-secret-0987', 'cbk_abcdefghijklmnop', 'private-exponent-value']))
    expect(values).not.toContain('http://127.0.0.1:1/token')
    expect(values).not.toContain('public-modulus-value')
    expect(scanOutput(`${banner}patient Wilhelmina born 1961-04-22`, 'o').map((f) => f.what)).toEqual(['PHI (firstName sent to the API)', 'PHI (dob sent to the API)'])
  })

  it('takes an API key for a secret where the API takes or makes one, not an error key an exchange quotes', () => {
    noteApiTraffic({ key: 'staff-desk-key-42' }, { items: [{ response: { status: 119, key: 'INVALID_MULTIPLE_PATIENT_FOUND' } }] })
    expect(registeredSecrets()).toContain('staff-desk-key-42')
    expect(registeredSecrets()).not.toContain('INVALID_MULTIPLE_PATIENT_FOUND')
  })

  it('lets the start banner show the admin key, and finds it anywhere else', () => {
    registerSecret('the admin API key', 'admin-key-0123456789')
    expect(scanOutput(`${banner}  Admin key:   admin-key-0123456789\n`, 'o')).toEqual([])
    expect(scanOutput(`${banner}  Admin key:   admin-key-0123456789\n{"auth":"admin-key-0123456789"}\n`, 'o')).toEqual([{ what: 'the admin API key', where: 'o, line 3' }])
  })

  it('refuses to scan an output that was not kept', () => {
    expect(() => scanOutput('', 'the output of hub pid 2')).toThrow(/was not kept/)
  })
})
