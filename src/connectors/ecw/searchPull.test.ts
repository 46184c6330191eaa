import { describe, expect, it } from 'vitest'
import type { HttpRequest, HttpResponse } from '../http.js'
import { resolveMapping } from '../../mapping/mapping.js'
import { EcwSettings, type EcwContext } from './client.js'
import { ecwDefaults } from './fields.js'
import { fetchSearchPage } from './searchPull.js'

const BASE = 'https://fhir4.eclinicalworks.com/fhir/r4/FFBJCD'
const mapping = resolveMapping(ecwDefaults, { fieldMap: null, valueMaps: {} })

/** A connector context whose HTTP door answers from `answer(url)` and remembers every call. */
function stub(answer: (request: HttpRequest) => { status: number; json: unknown }) {
  const calls: HttpRequest[] = []
  const ctx: EcwContext = {
    connection: { id: 'c1', name: 'ECW', baseUrl: BASE, settings: EcwSettings.parse({ clientId: 'hub', pageSize: 10 }), secrets: { privateKeyJwk: {}, kid: 'k' } },
    http: {
      async request(request) {
        calls.push(request)
        const { status, json } = answer(request)
        return { status, json, text: JSON.stringify(json), headers: new Headers(), exchangeId: `ex${calls.length}` } satisfies HttpResponse
      },
      async recordRefusal() {
        return 'refusal'
      },
    },
    tokens: { get: async () => 'token', clear: async () => undefined },
    now: () => new Date(),
  }
  return { ctx, calls }
}

const patients = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => ({ resource: { resourceType: 'Patient', id: `p${from + i}`, name: [{ family: `F${from + i}`, given: ['G'] }], birthDate: '1990-01-01' }, search: { mode: 'match' } }))
const page = (entries: unknown[], next?: string) => ({ resourceType: 'Bundle', type: 'searchset', total: 35, entry: entries, link: next ? [{ relation: 'next', url: next }] : [] })

describe('the ECW pull by search', () => {
  it('saves the next link with its high-water mark, and reads only parsed resources', async () => {
    const { ctx, calls } = stub(() => ({ status: 200, json: page([...patients(0, 9), { resource: { resourceType: 'Patient', id: 'bad', name: 'x' } }], `${BASE}/Patient?_count=10&page=2`) }))
    const result = await fetchSearchPage(ctx, 'patient', null, mapping)
    expect(calls[0]?.url).toBe(`${BASE}/Patient?_count=10`)
    expect(result.items.map((i) => i.externalId)).toEqual(patients(0, 9).map((p) => p.resource.id))
    expect(result.problems).toEqual([{ externalId: 'bad', message: expect.stringMatching(/^not read: Patient\.name/) }])
    expect(result.next).toBe(`${BASE}/Patient?_count=10&page=2#resume-offset=10`)
  })

  it('resumes from the high-water mark when ECW answers 410 or 400 to a saved link, skipping what was handled', async () => {
    for (const status of [410, 400]) {
      const { ctx, calls } = stub((request) =>
        request.url.includes('token=expired') ? { status, json: { resourceType: 'OperationOutcome', issue: [{ code: 'expired' }] } } : { status: 200, json: page(patients(20, 10), `${BASE}/Patient?_count=10&page=4`) },
      )
      const result = await fetchSearchPage(ctx, 'patient', `${BASE}/Patient?token=expired#resume-offset=23`, mapping)
      expect(calls.map((c) => c.url)).toEqual([`${BASE}/Patient?token=expired`, `${BASE}/Patient?_count=10&page=3`])
      expect(calls[1]?.note).toMatch(new RegExp(`answered ${status} .* resumed at record 24`))
      // Records 21–23 were handled before the link expired: 24–30 remain on page 3.
      expect(result.items.map((i) => i.externalId)).toEqual(['p23', 'p24', 'p25', 'p26', 'p27', 'p28', 'p29'])
      expect(result.next).toBe(`${BASE}/Patient?_count=10&page=4#resume-offset=30`)
    }
  })

  it('fails a 410 on the first page (nothing to resume from), and a 410 after resuming', async () => {
    const { ctx } = stub(() => ({ status: 410, json: { resourceType: 'OperationOutcome', issue: [{ code: 'expired', diagnostics: 'gone' }] } }))
    await expect(fetchSearchPage(ctx, 'patient', null, mapping)).rejects.toMatchObject({ httpStatus: 410 })
    await expect(fetchSearchPage(ctx, 'patient', `${BASE}/Patient?page=2#resume-offset=10`, mapping)).rejects.toMatchObject({ httpStatus: 410 })
  })

  it('refuses a next link to another host, and never sends the token to one it was given', async () => {
    const { ctx, calls } = stub(() => ({ status: 200, json: page(patients(0, 10), 'https://evil.example/fhir/r4/FFBJCD/Patient?page=2') }))
    await expect(fetchSearchPage(ctx, 'patient', null, mapping)).rejects.toMatchObject({ code: 'foreign_url', message: expect.stringContaining('evil.example') })
    await expect(fetchSearchPage(ctx, 'patient', 'https://evil.example/fhir/r4/FFBJCD/Patient?page=2', mapping)).rejects.toMatchObject({ code: 'foreign_url' })
    expect(calls.map((c) => new URL(c.url).host)).toEqual(['fhir4.eclinicalworks.com'])
  })

  it('notes that Coverage cannot be searched under ECW’s scopes instead of failing the pull; another 403 names the scope', async () => {
    const { ctx } = stub(() => ({ status: 403, json: { resourceType: 'OperationOutcome', issue: [{ code: 'forbidden', diagnostics: 'no search on Coverage' }] } }))
    expect(await fetchSearchPage(ctx, 'insurance', null, mapping)).toEqual({ items: [], next: null, problems: [{ externalId: 'Coverage', message: expect.stringContaining('system/Coverage.r') }] })
    await expect(fetchSearchPage(ctx, 'encounter', null, mapping)).rejects.toMatchObject({ code: 'scope_refused', message: expect.stringContaining('system/Encounter.rs') })
  })

  it('refuses an answer that is not a searchset Bundle', async () => {
    const { ctx } = stub(() => ({ status: 200, json: { resourceType: 'Patient', id: 'x' } }))
    await expect(fetchSearchPage(ctx, 'patient', null, mapping)).rejects.toMatchObject({ code: 'invalid_answer' })
  })
})
