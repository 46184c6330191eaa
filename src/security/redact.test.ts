import { describe, expect, it } from 'vitest'
import { REDACTED, TOO_DEEP, phiKeysOf, phiValuesIn, redactCredentials, redactHeaders, redactPhi, redactPhiDeep, redactPhiInUrl, redactPhiText, redactPhiValues, redactUrl } from './redact.js'

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

  it('collects the values PHI keys hold, in Ritten and FHIR shapes, and no codes beside them', () => {
    const ritten = { name: { first: 'Dana', last: 'Rivers' }, phones: ['+19135552003'], addresses: [{ use: 'HOME', line: '2222 Home Street', region: 'KS' }] }
    const fhir = { resourceType: 'Patient', name: [{ use: 'official', family: 'Rivers', given: ['Dana', 'Q'] }], telecom: [{ system: 'phone', value: '913-555-2003' }], birthDate: '1990-02-23' }
    expect([...phiValuesIn(ritten, fhir)].sort()).toEqual(['+19135552003', '1990-02-23', '2222 Home Street', '913-555-2003', 'Dana', 'Rivers'])
  })

  it('removes PHI values from free text: whole words in any case, numbers in any punctuation', () => {
    const values = new Set(['Rivers', '+19135552003', 'W123456789', 'Dee'])
    expect(redactPhiValues('Ritten patch failed (400): phone (913) 555-2003 of RIVERS is not valid; member W123456789', values)).toBe(
      `Ritten patch failed (400): phone (${REDACTED} of ${REDACTED} is not valid; member ${REDACTED}`,
    )
    // Part of a longer word is not a match.
    expect(redactPhiValues('Deep river', values)).toBe('Deep river')
  })

  it('redacts keys, then values left in other strings (an EMR error echoing the data)', () => {
    const values = new Set(['Rivers'])
    const outcome = { resourceType: 'OperationOutcome', issue: [{ code: 'invalid', diagnostics: 'Patient Rivers already exists' }], name: 'x' }
    expect(redactPhiDeep(outcome, values)).toEqual({ resourceType: 'OperationOutcome', issue: [{ code: 'invalid', diagnostics: `Patient ${REDACTED} already exists` }], name: REDACTED })
  })

  it('withholds search values in a URL for non-admins and keeps its result controls', () => {
    const values = new Set(['Rivers'])
    const url = redactPhiInUrl('http://ecw.test/fhir/r4/FFBJCD/Patient?family=Rivers&birthdate=1990-02-23&_count=50&_getpagesoffset=100', values)
    expect(url).toBe('http://ecw.test/fhir/r4/FFBJCD/Patient?family=%5Bredacted%5D&birthdate=%5Bredacted%5D&_count=50&_getpagesoffset=100')
    expect(redactPhiInUrl('http://emr.test/patients/by-name/Rivers/x', values)).toBe('http://emr.test/patients/by-name/%5Bredacted%5D/x')
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

  it('leaves out what nests deeper than it walks, without overflowing the stack', () => {
    const deep = JSON.parse(`${'{"a":['.repeat(100_000)}{"password":"p"}${']}'.repeat(100_000)}`)
    const redacted = redactCredentials(deep) as Record<string, unknown>
    expect(JSON.stringify(redacted)).toContain(TOO_DEEP)
    expect(JSON.stringify(redacted)).not.toContain('"p"')
    expect(phiValuesIn(deep).size).toBe(0)
    expect(redactCredentials({ a: { password: 'p' } })).toEqual({ a: { password: REDACTED } })
  })
})
