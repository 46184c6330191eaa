import { describe, expect, it } from 'vitest'
import type { HttpResponse } from '../http.js'
import { parseEcwResource, parseEcwResourceBySchema, SearchBundle } from './answers.js'
import { SEED_001_PATIENT } from './seed001.testdata.js'
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

describe('the hand-written check beside the schemas', () => {
  // Every element the schemas read, present, so each can be mutated.
  const samples = {
    Patient: {
      ...structuredClone(SEED_001_PATIENT),
      id: 'p1',
      meta: { lastUpdated: '2026-11-30T10:00:00Z', versionId: '3' },
      telecom: [{ system: 'phone', value: '9135550100', use: 'home' }],
      maritalStatus: { coding: [{ system: 's', code: 'M', display: 'Married' }], text: 'married' },
      communication: [{ language: { coding: [{ code: 'en' }] }, preferred: true }],
      photo: [{ url: 'kept as sent' }],
    },
    Coverage: {
      resourceType: 'Coverage',
      id: 'c1',
      status: 'active',
      identifier: [{ use: 'official', system: 's', value: 'M1', type: { coding: [{ code: 'MB' }], text: 'member' } }],
      subscriberId: 'S1',
      beneficiary: { reference: 'Patient/p1', display: 'Ann' },
      relationship: { coding: [{ code: 'self' }] },
      period: { start: '2026-01-01', end: '2026-12-31' },
      payor: [{ reference: 'Organization/o1', display: 'Aetna' }],
      class: [{ type: { coding: [{ code: 'group' }] }, value: 'G1' }],
    },
    Encounter: {
      resourceType: 'Encounter',
      id: 'e1',
      status: 'finished',
      class: { system: 's', code: 'AMB', display: 'ambulatory' },
      type: [{ text: 'visit', coding: [{ code: 'v' }] }],
      subject: { reference: 'Patient/p1' },
      participant: [{ individual: { reference: 'Practitioner/d1' } }],
      period: { start: '2026-01-01T10:00:00Z', end: '2026-01-01T11:00:00Z' },
      reasonCode: [{ text: 'check-up' }],
      location: [{ location: { reference: 'Location/l1' } }],
    },
    Practitioner: { resourceType: 'Practitioner', id: 'd1', active: true, identifier: [{ system: 'npi', value: '1' }], name: [{ given: ['Maria'], family: 'Alvarez', prefix: ['Dr'], suffix: ['MD'] }] },
    Location: { resourceType: 'Location', id: 'l1', status: 'active', name: 'Main', alias: ['HQ'], address: { line: ['1 Main St'], city: 'Kansas City' }, telecom: [{ system: 'phone', value: '1' }] },
  } as const

  const replacements: unknown[] = [undefined, null, 0, 'x', '', true, [], {}, [null], [{}]]

  /** The sample with the element at `path` replaced (undefined: removed), and with each array grown by one more element. */
  function* mutations(value: unknown, path: (string | number)[] = []): Generator<{ path: string; at: (root: unknown) => unknown }> {
    for (const replacement of replacements) yield { path: `${path.join('.')} = ${JSON.stringify(replacement)}`, at: (root) => replaceAt(root, path, () => replacement) }
    if (Array.isArray(value)) {
      for (const extra of replacements) yield { path: `${path.join('.')} + ${JSON.stringify(extra)}`, at: (root) => replaceAt(root, path, (a) => [...(a as unknown[]), extra]) }
      for (let i = 0; i < value.length; i++) yield* mutations(value[i], [...path, i])
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, inner] of Object.entries(value)) yield* mutations(inner, [...path, key])
    }
  }

  function replaceAt(root: unknown, path: (string | number)[], change: (old: unknown) => unknown): unknown {
    if (path.length === 0) return change(root)
    const copy = structuredClone(root) as Record<string | number, unknown>
    let node = copy
    for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>
    const last = path.at(-1)!
    const next = change(node[last])
    if (next === undefined && !Array.isArray(node)) delete node[last]
    else node[last] = next
    return copy
  }

  for (const [type, sample] of Object.entries(samples) as [keyof typeof samples, unknown][]) {
    it(`accepts and refuses exactly what the ${type} schema does, with its message, and passes an accepted ${type} on uncopied`, () => {
      const accepted = parseEcwResource(type, sample)
      expect(accepted.ok && accepted.value).toBe(sample)
      let refused = 0
      let checked = 0
      for (const mutation of mutations(sample)) {
        const value = mutation.at(sample)
        const bySchema = parseEcwResourceBySchema(type, value)
        const result = parseEcwResource(type, value)
        expect(result, mutation.path).toEqual(bySchema)
        // Accepted by the schema means accepted by the check: the value itself, not the schema's copy.
        if (bySchema.ok) expect(result.ok && result.value, mutation.path).toBe(value)
        else refused += 1
        checked += 1
      }
      expect(refused).toBeGreaterThan(20)
      expect(checked - refused).toBeGreaterThan(20)
    })
  }
})
