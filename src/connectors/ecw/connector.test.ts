import { describe, expect, it } from 'vitest'
import type { HttpResponse } from '../http.js'
import type { EcwContext } from './client.js'
import { created, patientIdIn, writebackFailure } from './connector.js'
import { readWritebackError } from './writeback.js'
import { sharedContact } from './lookup.js'

const answer = (json: unknown, headers: Record<string, string> = {}): HttpResponse => ({ status: 200, json, text: JSON.stringify(json), headers: new Headers(headers), exchangeId: 'ex1' })
const transactionResponse = (location: string) => ({
  resourceType: 'Bundle',
  type: 'transaction-response',
  entry: [{ response: { status: '201 Created', location, lastModified: '2030-01-01T00:00:00Z' } }],
})

describe('a created patient’s ECW id', () => {
  it('is read from a relative or an absolute location', () => {
    expect(created(answer(transactionResponse('Patient/abc-1/_history/7')))).toEqual({ id: 'abc-1', lastModified: '2030-01-01T00:00:00Z' })
    expect(created(answer(transactionResponse('https://fhir4.eclinicalworks.com/fhir/r4/FFBJCD/Patient/abc-2/_history/1'))).id).toBe('abc-2')
    expect(created(answer(transactionResponse('https://fhir4.eclinicalworks.com/fhir/r4/FFBJCD/Patient/abc-3'))).id).toBe('abc-3')
  })

  it('falls back to the Location header, and fails with a named error when nothing names it', () => {
    expect(created(answer({ resourceType: 'Patient', id: 'x' }, { location: 'https://ecw.example/fhir/r4/FFBJCD/Patient/abc-4/_history/2' })).id).toBe('abc-4')
    expect(() => created(answer({ resourceType: 'Bundle', type: 'transaction-response', entry: [{ response: { status: '201 Created' } }] }))).toThrow(
      expect.objectContaining({ code: 'invalid_answer', message: expect.stringContaining('names no Patient id') }),
    )
  })

  it('takes only Patient locations', () => {
    expect(patientIdIn('Practitioner/abc/_history/1')).toBeNull()
    expect(patientIdIn('Patient/')).toBeNull()
    expect(patientIdIn('Patient/abc/_history/1?x=1')).toBe('abc')
  })
})

describe('demographics that confirm a match', () => {
  it('is a shared phone (by its last ten digits) or email, never the name alone', () => {
    const a = { resourceType: 'Patient' as const, telecom: [{ system: 'phone' as const, value: '+1 (913) 555-2003' }, { system: 'email' as const, value: 'Ann@Example.com' }] }
    expect(sharedContact(a, { resourceType: 'Patient', telecom: [{ system: 'phone', value: '9135552003' }] })).toBe('phone')
    expect(sharedContact(a, { resourceType: 'Patient', telecom: [{ system: 'email', value: 'ann@example.com' }] })).toBe('email')
    expect(sharedContact(a, { resourceType: 'Patient', telecom: [{ system: 'phone', value: '7855550000' }] })).toBeNull()
    expect(sharedContact(a, { resourceType: 'Patient' })).toBeNull()
  })
})

describe('a writeback error ECW raises', () => {
  // These need no search: the context is never used. The hub acts on the code; the key is ECW's word, logged as sent.
  const noContext = {} as EcwContext
  const refusal = async (code: number, key: string) => {
    const response = { status: 400, json: { status: code, key, message: 'as ECW said it' }, text: '', headers: new Headers(), exchangeId: 'ex9' } as HttpResponse
    return writebackFailure(noContext, { resourceType: 'Patient' }, response, readWritebackError(response)!, 'create')
  }

  it('names what to fix for each code of the guide a person must act on, and is not retried', async () => {
    const expected: [number, string, string][] = [
      [101, 'INVALID_PROVIDER', 'the provider (practitioner mapping)'],
      [117, 'INVALID_PATIENT_GENDER', 'gender'],
      [118, 'INVALID_PATIENT_NAME', 'firstName/lastName — both are required'],
      [119, 'INVALID_PATIENT_DOB', 'dob'],
      [132, 'NOT_FOUND_OR_INVALID_EXTENSION_IN_PATIENT_RESOURCE', 'race/ethnicity/birthSex'],
    ]
    for (const [code, key, field] of expected) {
      const error = await refusal(code, key)
      expect(error, String(code)).toMatchObject({ code: `ecw_${code}`, retryable: false, httpStatus: 400, details: { exchangeId: 'ex9', code, key } })
      expect(error.message).toContain(`ECW create refused: ${code} ${key} — fix ${field}`)
      expect(error.message).toContain('(as ECW said it)')
    }
  })

  it('is retried when the guide says to retry once (e.g. 103), and says so without a field', async () => {
    const error = await refusal(103, 'SERVICE_UNAVAILABLE')
    expect(error).toMatchObject({ code: 'ecw_103', retryable: true })
    expect(error.message).not.toContain('fix')
  })
})
