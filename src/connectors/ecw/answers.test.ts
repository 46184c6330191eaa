import { describe, expect, it } from 'vitest'
import type { HttpResponse } from '../http.js'
import { parseEcwResource, SearchBundle } from './answers.js'
import { readWritebackError } from './writeback.js'

const answer = (status: number, json: unknown): HttpResponse => ({ status, json, text: JSON.stringify(json), headers: new Headers(), exchangeId: 'x' })

describe("ECW's writeback envelope", () => {
  it('is the error whatever the HTTP status: 202 in an HTTP 200, 117 in a 400', () => {
    expect(readWritebackError(answer(200, { status: 202, key: 'INVALID_PATIENT_ALREADY_EXIST' }))).toEqual({ code: 202, key: 'INVALID_PATIENT_ALREADY_EXIST', message: null })
    expect(readWritebackError(answer(201, { status: '201', key: 'INVALID_MULTIPLE_PATIENT_FOUND', message: 'two match' }))).toEqual({
      code: 201,
      key: 'INVALID_MULTIPLE_PATIENT_FOUND',
      message: 'two match',
    })
    expect(readWritebackError(answer(400, { status: 117, key: 'INVALID_PATIENT_GENDER' }))?.code).toBe(117)
  })

  it('is no error for SUCCESS, a FHIR resource (even one with a status element), or anything else', () => {
    expect(readWritebackError(answer(200, { status: 1, key: 'SUCCESS' }))).toBeNull()
    expect(readWritebackError(answer(200, { resourceType: 'Bundle', type: 'transaction-response', entry: [] }))).toBeNull()
    expect(readWritebackError(answer(200, { resourceType: 'Coverage', status: 'active' }))).toBeNull()
    expect(readWritebackError(answer(403, { resourceType: 'OperationOutcome', issue: [] }))).toBeNull()
    expect(readWritebackError(answer(400, { status: 'bad', key: 'X' }))).toBeNull()
    expect(readWritebackError(answer(500, undefined))).toBeNull()
  })

  it('reads no invented coding system or extension: an OperationOutcome with a numeric coding is not an envelope', () => {
    const invented = {
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'error', code: 'duplicate', details: { coding: [{ system: 'http://eclinicalworks.com/fhir/writeback-error-code', code: '202' }] } }],
    }
    expect(readWritebackError(answer(422, invented))).toBeNull()
  })
})

describe('ECW resources are parsed, not cast', () => {
  it('accepts a Patient and keeps what it does not check', () => {
    const parsed = parseEcwResource('Patient', { resourceType: 'Patient', id: 'p1', name: [{ family: 'Doe', given: ['Ann'] }], photo: [{ url: 'x' }] })
    expect(parsed).toMatchObject({ ok: true, value: { id: 'p1', photo: [{ url: 'x' }] } })
  })

  it('names the element at fault', () => {
    expect(parseEcwResource('Patient', { resourceType: 'Patient', id: 'p1', name: 'Doe' })).toEqual({ ok: false, message: expect.stringMatching(/^Patient\.name: /) })
    expect(parseEcwResource('Patient', { resourceType: 'Patient', id: 'p1', telecom: [{ value: 5 }] })).toEqual({ ok: false, message: expect.stringMatching(/^Patient\.telecom\[0\]\.value/) })
    expect(parseEcwResource('Coverage', { resourceType: 'Coverage', id: 'c1' })).toEqual({ ok: false, message: expect.stringMatching(/^Coverage\.beneficiary/) })
    expect(parseEcwResource('Patient', { resourceType: 'Practitioner', id: 'x' }).ok).toBe(false)
    expect(parseEcwResource('Patient', { resourceType: 'Patient' }).ok).toBe(false)
  })

  it('checks a search answer is a searchset Bundle', () => {
    expect(SearchBundle.safeParse({ resourceType: 'Bundle', type: 'searchset', total: 1, link: [{ relation: 'next', url: 'u' }], entry: [] }).success).toBe(true)
    expect(SearchBundle.safeParse({ resourceType: 'Bundle', type: 'searchset', total: -1 }).success).toBe(false)
    expect(SearchBundle.safeParse({ resourceType: 'OperationOutcome' }).success).toBe(false)
  })
})
