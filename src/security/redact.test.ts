import { describe, expect, it } from 'vitest'
import { REDACTED, phiKeysOf, redactCredentials, redactHeaders, redactPhi, redactPhiText, redactUrl } from './redact.js'

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

describe('staff view by connector catalog', () => {
  it('masks every PHI field of every connector\u2019s catalog, wherever it sits in a body', async () => {
    const { listConnectors } = await import('../connectors/registry.js')
    const { setPath } = await import('../mapping/paths.js')
    for (const connector of listConnectors()) {
      const body: Record<string, unknown> = {}
      const phi = connector.fields.filter((f) => f.phi)
      phi.forEach((field, i) => {
        setPath(body, field.path, `PHI-${i}`)
        if (field.pullPath) setPath(body, `read.${field.pullPath}`, `PHI-read-${i}`)
      })
      const shown = JSON.stringify(redactPhi(body, phiKeysOf(connector.fields)))
      expect(shown, connector.kind).not.toMatch(/PHI-/)
    }
    // KIPU's own names, which the common list does not know.
    const kipu = listConnectors().find((c) => c.kind === 'kipu')!
    for (const key of ['alternate_phone', 'address_street', 'address_zip', 'preferred_name', 'state', 'policy_no']) expect(phiKeysOf(kipu.fields).has(key), key).toBe(true)
    expect(redactPhi({ alternate_phone: '+1555', marital_status: 'Single' }, phiKeysOf(kipu.fields))).toEqual({ alternate_phone: REDACTED, marital_status: 'Single' })
  })

  it('keeps request headers but masks credentials (an APIAuth keeps its access id)', () => {
    expect(redactHeaders({ Authorization: 'APIAuth abc:c2lnbmF0dXJl', date: 'Wed, 06 Nov 2019 15:38:34 GMT', 'x-api-key': 'k', 'content-md5': 'x==' })).toEqual({
      authorization: `APIAuth abc:${REDACTED}`,
      date: 'Wed, 06 Nov 2019 15:38:34 GMT',
      'x-api-key': REDACTED,
      'content-md5': 'x==',
    })
    expect(redactHeaders({ authorization: 'Bearer tok' }).authorization).toBe(`Bearer ${REDACTED}`)
    expect(redactHeaders({ authorization: 'rawtokenwithoutscheme' }).authorization).toBe(REDACTED)
  })
})
