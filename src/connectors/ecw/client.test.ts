import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { HttpResponse } from '../http.js'
import { DEFAULT_ECW_SCOPES, ECW_TRANSIT_ALLOWANCE_SECONDS, LEGACY_DEFAULT_ECW_SCOPES, ecwPacing, failure, requestedScopes, requireUnderBase, tokenFailure, untilNextMinute } from './client.js'

const answer = (status: number, json: unknown, headers: Record<string, string> = {}): HttpResponse => ({ status, json, text: JSON.stringify(json), headers: new Headers(headers), exchangeId: 'x' })

/** ECW's SMART configuration as a practice serves it (the simulator keeps the published copy). */
const ADVERTISED: string[] = JSON.parse(readFileSync(new URL('../../../simulators/ecw/smart-configuration.json', import.meta.url), 'utf8')).scopes_supported

describe('ECW scopes', () => {
  it('asks by default only for scopes ECW advertises, and none of the v1 writes it does not', () => {
    const requested = DEFAULT_ECW_SCOPES.split(' ')
    expect(requested.filter((s) => !ADVERTISED.includes(s))).toEqual([])
    expect(requested).toEqual(expect.arrayContaining(['system/Patient.rs', 'system/Patient.c', 'system/Patient.u', 'system/Coverage.r']))
    expect(LEGACY_DEFAULT_ECW_SCOPES.split(' ').filter((s) => !ADVERTISED.includes(s))).toEqual(['system/Patient.write', 'system/Coverage.read'])
  })

  it('replaces the earlier default stored with older connections, and keeps any other choice', () => {
    expect(requestedScopes({ scopes: LEGACY_DEFAULT_ECW_SCOPES })).toBe(DEFAULT_ECW_SCOPES)
    expect(requestedScopes({ scopes: 'system/Patient.read' })).toBe('system/Patient.read')
  })

  it('names the refused scope on a token error (ECW answers invalid_grant; RFC 6749 says invalid_scope)', () => {
    const scopes = 'system/Patient.r system/Patient.rs system/Appointment.write'
    const ecw = tokenFailure(answer(400, { error: 'invalid_grant', error_description: 'The requested scope system/Patient.rs is not supported (not in scopes_supported)' }), 'c1', scopes)
    expect(ecw).toMatchObject({ code: 'invalid_scope', retryable: false, message: expect.stringContaining('ECW refused the scope system/Patient.rs (') })
    const rfc = tokenFailure(answer(400, { error: 'invalid_scope', error_description: 'system/Appointment.write' }), 'c1', scopes)
    expect(rfc).toMatchObject({ code: 'invalid_scope', message: expect.stringContaining('the scope system/Appointment.write') })
  })
})

describe('the bearer token stays on the connection’s base URL', () => {
  const base = 'https://fhir4.eclinicalworks.com/fhir/r4/FFBJCD/'
  it('accepts links under the base', () => {
    expect(() => requireUnderBase(base, 'https://fhir4.eclinicalworks.com/fhir/r4/FFBJCD/Patient?_count=100&page=2', 'pull')).not.toThrow()
  })
  it('refuses another host, another scheme or port, another practice, and relative links', () => {
    for (const url of [
      'https://evil.example/fhir/r4/FFBJCD/Patient?page=2',
      'http://fhir4.eclinicalworks.com/fhir/r4/FFBJCD/Patient',
      'https://fhir4.eclinicalworks.com:8443/fhir/r4/FFBJCD/Patient',
      'https://fhir4.eclinicalworks.com/fhir/r4/FFBJCDX/Patient',
      'https://fhir4.eclinicalworks.com.evil.example/fhir/r4/FFBJCD/Patient',
      '/fhir/r4/FFBJCD/Patient',
    ]) {
      expect(() => requireUnderBase(base, url, 'pull Patient'), url).toThrow(expect.objectContaining({ code: 'foreign_url', retryable: false }))
    }
  })
})

describe('ECW rate limit', () => {
  it('sends at most the limit in any minute plus the transit allowance, whatever the clocks', () => {
    expect(ecwPacing(250)).toEqual({ kind: 'rolling', limit: 250, windowSeconds: 60 + ECW_TRANSIT_ALLOWANCE_SECONDS })
    expect(ecwPacing(20)).toEqual({ kind: 'rolling', limit: 20, windowSeconds: 62 })
    expect(ecwPacing(1)).toEqual({ kind: 'rolling', limit: 1, windowSeconds: 62 })
  })

  it('after a 429 waits for the end of ECW’s minute by its Date header, else of ours', () => {
    const now = new Date('2030-01-01T10:00:10.000Z')
    // ECW's clock is 40 s ahead: its minute ends in 10 s (+1 s for the header's whole seconds).
    expect(untilNextMinute(answer(429, {}, { date: new Date('2030-01-01T10:00:50Z').toUTCString() }), now)).toBe(11_000)
    expect(untilNextMinute(answer(429, {}), now)).toBe(50_250)
    expect(failure(answer(429, {}, { date: new Date('2030-01-01T10:00:50Z').toUTCString() }), 'pull', now)).toMatchObject({ code: 'rate_limited', retryable: true, retryAfterMs: 11_000 })
  })
})
