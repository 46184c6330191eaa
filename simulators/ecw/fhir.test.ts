import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Bundle, OperationOutcome, Patient } from '@medplum/fhirtypes'
import { createEcwSimulator, type EcwSimulator } from './server.js'
import { createTestKey, requestToken, serveJwks, signClientAssertion, type JwksServer } from './testing.js'

const PRACTICE = 'FFBJCD'
/** Scopes ECW advertises (its SMART configuration): no system/*.write, Coverage read by id only. */
const SCOPES = [
  'system/Patient.rs',
  'system/Patient.c',
  'system/Patient.u',
  'system/Coverage.r',
  'system/Encounter.rs',
  'system/Encounter.c',
  'system/Location.read',
  'system/Practitioner.read',
  'system/Organization.read',
]

/** ECW's writeback envelope: a numeric code in `status` plus the error key. */
interface Envelope {
  status: number
  key: string
  message: string
}

/** The CRM–eClinicalWorks integration guide's Patient, verbatim (the CRM → ECW push example). */
const SEED_001_PATIENT: Patient = {
  resourceType: 'Patient',
  meta: { profile: ['http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient'] },
  active: true,
  name: [{ text: 'DazEcccw', family: 'LaliTest', given: ['DazEcccw'] }],
  maritalStatus: {
    coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', code: 'M', display: 'Married' }],
    text: 'Married',
  },
  telecom: [
    { system: 'phone', value: '9135552003', use: 'home' },
    { system: 'email', value: '[email protected]', use: 'home' },
  ],
  address: [{ use: 'home', line: ['2222 HOME STREET', 'Gordon Street'], city: 'LAWRENCE', state: 'open', postalCode: 'KS' }],
  deceasedBoolean: false,
  identifier: [{ use: 'usual', system: 'urn:oid:2.16.840.1.113883.4.391.326070', value: 'Lt2IFR5Ah76n4d8TFP5g' }],
  communication: [
    {
      language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'ENG', display: 'English' }], text: 'English' },
      preferred: true,
    },
  ],
  gender: 'male',
  birthDate: '2001-05-27',
  extension: [
    {
      url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity',
      extension: [
        { url: 'detailed', valueCoding: { system: 'urn:oid:2.16.840.1.113883.6.238', code: '2184-0', display: 'Dominican' } },
        { url: 'ombCategory', valueCoding: { system: 'urn:oid:2.16.840.1.113883.6.238', code: '2135-2', display: 'Hispanic or Latino' } },
        { url: 'text', valueString: 'Hispanic or Latino' },
      ],
    },
    {
      url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-race',
      extension: [
        { url: 'ombCategory', valueCoding: { system: 'http://terminology.hl7.org/CodeSystem/v3-NullFlavor', code: 'ASKU', display: 'Declined to Specify' } },
        { url: 'text', valueString: 'Declined to Specify' },
      ],
    },
    { url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex', valueCode: 'M' },
    {
      url: 'http://eclinicalworks.com/supportingInfo/defaultFacility',
      valueReference: { reference: 'Location/Lt2IFR5Ah76n4d8TFP5gBCYrEVzcfmSY9rj1Q7MpBZg' },
    },
  ],
}

const transaction = (...patients: Patient[]): Bundle => ({
  resourceType: 'Bundle',
  type: 'transaction',
  entry: patients.map((resource) => ({ resource, request: { method: 'POST', url: 'Patient' } })),
})

const newPatient = (family: string, given: string, birthDate: string, extra: Partial<Patient> = {}): Patient => ({
  resourceType: 'Patient',
  name: [{ family, given: [given] }],
  gender: 'female',
  birthDate,
  identifier: [{ system: 'urn:oid:2.16.840.1.113883.4.391.326070', value: `${family}-${given}-${birthDate}` }],
  ...extra,
})

describe('ECW simulator: FHIR reads, searches and writeback', () => {
  let sim: EcwSimulator
  let jwks: JwksServer
  let origin: string
  let base: string
  let headers: Record<string, string>

  const fhir = async <T = unknown>(method: string, path: string, body?: unknown) => {
    const response = await fetch(path.startsWith('http') ? path : `${base}${path}`, {
      method,
      headers: { ...headers, ...(body ? { 'content-type': 'application/fhir+json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    })
    return { status: response.status, headers: response.headers, body: (await response.json()) as T }
  }

  beforeAll(async () => {
    const key = await createTestKey()
    jwks = await serveJwks([key.publicJwk])
    sim = createEcwSimulator({ practices: [{ code: PRACTICE, clients: [{ clientId: 'hub', jwksUrl: jwks.url, scopes: SCOPES }] }] })
    origin = await sim.listen()
    base = sim.baseUrl(PRACTICE)
    const tokenUrl = `${base}/oauth/oauth2/token`
    const token = await requestToken(tokenUrl, await signClientAssertion({ key, clientId: 'hub', aud: tokenUrl }), SCOPES.join(' '))
    expect(token.status).toBe(200)
    headers = { authorization: `Bearer ${String(token.body.access_token)}` }
  })
  afterAll(async () => {
    await sim.close()
    await jwks.close()
  })

  describe('writeback', () => {
    let createdId: string

    it('creates the CRM–eClinicalWorks integration guide’s patient from a transaction Bundle and reads it back', async () => {
      const response = await fhir<Bundle>('POST', '', transaction(SEED_001_PATIENT))
      expect(response.status).toBe(200)
      expect(response.body.type).toBe('transaction-response')
      const entry = response.body.entry?.[0]
      expect(entry?.response?.status).toBe('201 Created')
      const match = /^Patient\/([^/]+)\/_history\/([^/]+)$/.exec(entry?.response?.location ?? '')
      expect(match).not.toBeNull()
      createdId = match?.[1] ?? ''

      const read = await fhir<Patient>('GET', `/Patient/${createdId}`)
      expect(read.status).toBe(200)
      expect(read.body.name?.[0]?.family).toBe('LaliTest')
      expect(read.body.meta?.versionId).toBe(match?.[2])
      expect(read.body.identifier?.map((i) => i.value)).toContain('Lt2IFR5Ah76n4d8TFP5g')
      expect(read.headers.get('etag')).toBe(`W/"${match?.[2]}"`)
    })

    it('refuses the same patient again with 202 INVALID_PATIENT_ALREADY_EXIST in the body of an HTTP 200, naming no patient', async () => {
      const byIdentifier = await fhir<Envelope>('POST', '', transaction(SEED_001_PATIENT))
      expect(byIdentifier.status).toBe(200)
      expect(byIdentifier.headers.get('content-type')).toContain('application/json')
      expect(byIdentifier.body).toEqual({ status: 202, key: 'INVALID_PATIENT_ALREADY_EXIST', message: expect.stringContaining('Do not retry as create') })
      // Nothing beyond the guide's envelope: no ids, no invented coding system or extension.
      expect(JSON.stringify(byIdentifier.body)).not.toContain(createdId)
      expect(Object.keys(byIdentifier.body).sort()).toEqual(['key', 'message', 'status'])

      const byDemographics = await fhir<Envelope>(
        'POST',
        '',
        transaction({ ...SEED_001_PATIENT, identifier: [{ system: 'urn:other', value: 'x1' }], name: [{ family: 'laliTEST', given: ['dazecccw'] }] }),
      )
      expect(byDemographics.status).toBe(200)
      expect(byDemographics.body).toMatchObject({ status: 202, key: 'INVALID_PATIENT_ALREADY_EXIST' })
    })

    it('refuses a patient matching two existing ones with 201 INVALID_MULTIPLE_PATIENT_FOUND', async () => {
      await sim.seed(PRACTICE, {
        patients: [
          { ...newPatient('Twin', 'Alex', '1985-03-03'), id: 'twin-a' },
          { ...newPatient('Twin', 'Alex', '1985-03-03'), id: 'twin-b', identifier: [{ system: 'urn:other', value: 'twin-b' }] },
        ],
      })
      const response = await fhir<Envelope>('POST', '', transaction(newPatient('Twin', 'Alex', '1985-03-03', { identifier: [] })))
      expect(response.status).toBe(200)
      expect(response.body).toMatchObject({ status: 201, key: 'INVALID_MULTIPLE_PATIENT_FOUND' })
      expect(JSON.stringify(response.body)).not.toMatch(/twin-a|twin-b/)
    })

    it('lets look-alikes that already coexist be updated, and refuses an update that makes a new duplicate', async () => {
      const twinA = (await fhir<Patient>('GET', '/Patient/twin-a')).body
      const kept = await fhir<Patient>('PUT', '/Patient/twin-a', { ...twinA, telecom: [{ system: 'phone', value: '9135550100' }] })
      expect(kept.status).toBe(200)
      const { body: other } = await fhir<Patient>('POST', '/Patient', newPatient('Solo', 'Sam', '1991-04-04', { identifier: [] }))
      const renamed = await fhir<Envelope>('PUT', `/Patient/${other.id}`, { ...other, name: [{ family: 'Twin', given: ['Alex'] }], birthDate: '1985-03-03' })
      expect(renamed.status).toBe(200)
      expect(renamed.body.status).toBe(201)
    })

    it('refuses invalid gender (117), name (118) and DOB (119) at the offending element', async () => {
      const gender = await fhir<Envelope>('POST', '', transaction(newPatient('Gender', 'Bad', '1990-01-01', { gender: 'M' as Patient['gender'] })))
      expect(gender.status).toBe(400)
      expect(gender.body).toMatchObject({ status: 117, key: 'INVALID_PATIENT_GENDER', message: expect.stringContaining('Bundle.entry[0].resource.gender') })

      const name = await fhir<Envelope>('POST', '', transaction(newPatient('', 'NoFamily', '1990-01-01')))
      expect(name.status).toBe(400)
      expect(name.body).toMatchObject({ status: 118, key: 'INVALID_PATIENT_NAME' })

      const dob = await fhir<Envelope>('POST', '', transaction(newPatient('Dob', 'Bad', '2001-02-30')))
      expect(dob.status).toBe(400)
      expect(dob.body).toMatchObject({ status: 119, key: 'INVALID_PATIENT_DOB' })

      // Request composition: 2 FAILURE.
      const notBundle = await fhir<Envelope>('POST', '', { resourceType: 'Patient' })
      expect(notBundle.body).toMatchObject({ status: 2, key: 'FAILURE' })
    })

    it('refuses a bad Patient extension (132) and a defaultFacility that is not a Location of the practice (107)', async () => {
      const extension = await fhir<Envelope>(
        'POST',
        '',
        transaction(newPatient('Ext', 'Bad', '1990-01-01', { extension: [{ url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex', valueCode: 'X' }] })),
      )
      expect(extension.status).toBe(400)
      expect(extension.body).toMatchObject({ status: 132, key: 'NOT_FOUND_OR_INVALID_EXTENSION_IN_PATIENT_RESOURCE' })

      const facility = await fhir<Envelope>(
        'POST',
        '',
        transaction(
          newPatient('Facility', 'Bad', '1990-01-01', {
            extension: [{ url: 'http://eclinicalworks.com/supportingInfo/defaultFacility', valueReference: { reference: 'Location/nowhere' } }],
          }),
        ),
      )
      expect(facility.status).toBe(400)
      expect(facility.body).toMatchObject({ status: 107, key: 'INVALID_FACILITY' })
    })

    it('refuses a structurally invalid FHIR Patient with 203 and medplum’s validation issues', async () => {
      const response = await fhir<Envelope>('POST', '', transaction({ ...newPatient('Struct', 'Bad', '1990-01-01'), favouriteColour: 'blue' } as Patient))
      expect(response.status).toBe(400)
      expect(response.body).toMatchObject({ status: 203, key: 'UNSUPPORTED_PATIENT_DATA', message: expect.stringContaining('favouriteColour') })
    })

    it('updates a patient with PUT and answers 207 PATIENT_NOT_FOUND for an unknown id', async () => {
      const read = await fhir<Patient>('GET', `/Patient/${createdId}`)
      const updated = await fhir<Patient>('PUT', `/Patient/${createdId}`, { ...read.body, telecom: [{ system: 'phone', value: '7855550000' }] })
      expect(updated.status).toBe(200)
      expect(updated.body.meta?.versionId).not.toBe(read.body.meta?.versionId)
      expect((await fhir<Patient>('GET', `/Patient/${createdId}`)).body.telecom?.[0]?.value).toBe('7855550000')

      const missing = await fhir<Envelope>('PUT', '/Patient/does-not-exist', { ...newPatient('Ghost', 'G', '1990-01-01'), id: 'does-not-exist' })
      expect(missing.status).toBe(404)
      expect(missing.body).toMatchObject({ status: 207, key: 'PATIENT_NOT_FOUND' })
    })

    it('refuses Coverage and Encounter writes with 405, even with a create scope', async () => {
      const encounter = await fhir<OperationOutcome>('POST', '/Encounter', { resourceType: 'Encounter', status: 'planned' })
      expect(encounter.status).toBe(405)
      expect(encounter.body.issue?.[0]?.code).toBe('not-supported')
      expect((await fhir('POST', '/Coverage', { resourceType: 'Coverage' })).status).toBe(405)
      const inBundle = await fhir<OperationOutcome>('POST', '', {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [{ resource: { resourceType: 'Coverage', status: 'active' }, request: { method: 'POST', url: 'Coverage' } }],
      })
      expect(inBundle.status).toBe(405)
      expect((await fhir('DELETE', `/Patient/${createdId}`)).status).toBe(405)
    })

    it('lists writes and refused writes in /_sim/records', async () => {
      const records = (await (await fetch(`${origin}/_sim/records`)).json()) as {
        practices: Record<string, { writes: Array<{ resource: Patient }>; writeErrors: Array<{ status: number }>; counts: Record<string, number> }>
        tokens: unknown[]
        jtiSeen: unknown[]
      }
      const practice = records.practices[PRACTICE]
      expect(practice?.writes.some((w) => w.resource.id === createdId)).toBe(true)
      expect(practice?.writeErrors.map((e) => e.status)).toEqual(expect.arrayContaining([202, 201, 117, 107]))
      expect(records.tokens.length).toBeGreaterThan(0)
      expect(records.jtiSeen.length).toBeGreaterThan(0)
    })
  })

  describe('searches', () => {
    it('pages 1,000 patients through absolute next links, consistently', async () => {
      const seeded = (await (
        await fetch(`${origin}/_sim/seed`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ practice: PRACTICE, patients: 1000, replace: true }),
        })
      ).json()) as { counts: Record<string, number> }
      expect(seeded.counts.Patient).toBe(1000)
      expect(seeded.counts.Coverage).toBe(1000)

      const ids = new Set<string>()
      let url: string | undefined = `${base}/Patient?_count=100`
      let pages = 0
      while (url) {
        expect(url.startsWith(`${base}/Patient?`)).toBe(true)
        const page: { status: number; body: Bundle } = await fhir<Bundle>('GET', url)
        expect(page.status).toBe(200)
        expect(page.body.type).toBe('searchset')
        expect(page.body.total).toBe(1000)
        for (const entry of page.body.entry ?? []) ids.add(entry.resource?.id ?? '')
        url = page.body.link?.find((l) => l.relation === 'next')?.url
        pages += 1
      }
      expect(pages).toBe(10)
      expect(ids.size).toBe(1000)
    })

    it('clamps _count to 100 and defaults to 50', async () => {
      const big = await fhir<Bundle>('GET', '/Patient?_count=500')
      expect(big.body.entry?.length).toBe(100)
      expect(big.body.link?.find((l) => l.relation === 'next')?.url).toContain('_count=100')
      expect((await fhir<Bundle>('GET', '/Patient')).body.entry?.length).toBe(50)
    })

    it('searches by ECW’s declared parameters and _lastUpdated', async () => {
      const first = (await fhir<Bundle>('GET', '/Patient?_count=1')).body.entry?.[0]?.resource as Patient
      const family = first.name?.[0]?.family ?? ''
      const byFamily = await fhir<Bundle>('GET', `/Patient?family=${family}&birthdate=${first.birthDate}`)
      expect(byFamily.body.entry?.map((e) => e.resource?.id)).toContain(first.id)
      const identifier = first.identifier?.[0]
      const byIdentifier = await fhir<Bundle>('GET', `/Patient?identifier=${encodeURIComponent(`${identifier?.system}|${identifier?.value}`)}`)
      expect(byIdentifier.body.total).toBe(1)
      const recent = await fhir<Bundle>('GET', `/Patient?_lastUpdated=gt2000-01-01&_count=0`)
      expect(recent.body.total).toBe(1000)
      expect(recent.body.entry).toBeUndefined()
      const later = await fhir<Bundle>('GET', `/Patient?_lastUpdated=gt2999-01-01`)
      expect(later.body.total).toBe(0)
    })

    it('answers 400 with an OperationOutcome for an undeclared search parameter or _include', async () => {
      const response = await fhir<OperationOutcome>('GET', '/Patient?address-city=Lawrence')
      expect(response.status).toBe(400)
      expect(response.body.resourceType).toBe('OperationOutcome')
      expect((await fhir('GET', '/Patient?_sort=family')).status).toBe(400)
      expect((await fhir('GET', '/Encounter?_include=Encounter:service-provider')).status).toBe(400)
    })

    it('reads Coverage by id under system/Coverage.r, and refuses to search it (ECW advertises no Coverage search scope)', async () => {
      const patient = (await fhir<Bundle>('GET', '/Patient?_count=1')).body.entry?.[0]?.resource as Patient
      const search = await fhir<OperationOutcome>('GET', `/Coverage?patient=${patient.id}&_include=Coverage:patient`)
      expect(search.status).toBe(403)
      expect(search.body.issue?.[0]?.diagnostics).toMatch(/search on Coverage/)
      await sim.seed(PRACTICE, {
        coverages: [{ resourceType: 'Coverage', id: 'cov-read-1', status: 'active', beneficiary: { reference: `Patient/${patient.id}` }, payor: [{ display: 'Aetna' }] }],
      })
      const read = await fhir<{ resourceType: string; id: string }>('GET', '/Coverage/cov-read-1')
      expect(read.status).toBe(200)
      expect(read.body).toMatchObject({ resourceType: 'Coverage', id: 'cov-read-1' })
    })

    it('includes a referenced resource only with read on its type (_include=Encounter:patient)', async () => {
      const patient = (await fhir<Bundle>('GET', '/Patient?_count=1')).body.entry?.[0]?.resource as Patient
      const response = await fhir<Bundle>('GET', `/Encounter?patient=${patient.id}&_include=Encounter:patient`)
      expect(response.status).toBe(200)
      const kinds = new Set(response.body.entry?.map((e) => `${e.resource?.resourceType}:${e.search?.mode}`))
      expect(kinds).toEqual(new Set(['Encounter:match', 'Patient:include']))
      expect(response.body.entry?.find((e) => e.search?.mode === 'include')?.fullUrl).toBe(`${base}/Patient/${patient.id}`)
      // Organization is readable, Coverage is not searchable: an include of an unreadable type is refused.
      expect((await fhir('GET', `/Location?_include=Location:organization`)).status).toBe(200)
    })

    it('finds Encounters by patient, and reads Practitioner, Location and Organization', async () => {
      const patient = (await fhir<Bundle>('GET', '/Patient?_count=1')).body.entry?.[0]?.resource as Patient
      const encounters = await fhir<Bundle>('GET', `/Encounter?patient=Patient/${patient.id}`)
      expect(encounters.body.total).toBeGreaterThanOrEqual(1)
      for (const type of ['Practitioner', 'Location', 'Organization']) {
        const bundle = await fhir<Bundle>('GET', `/${type}`)
        expect(bundle.status).toBe(200)
        expect(bundle.body.total).toBeGreaterThan(0)
      }
      expect((await fhir('GET', '/Location/Lt2IFR5Ah76n4d8TFP5gBCYrEVzcfmSY9rj1Q7MpBZg')).status).toBe(200)
      expect((await fhir('GET', '/Observation')).status).toBe(404)
    })

    it('applies injected faults from /_sim/faults to the FHIR routes', async () => {
      const set = await fetch(`${origin}/_sim/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ errorRate: 1, status: 503, count: 1, match: '^GET /fhir/r4/FFBJCD/Patient$' }),
      })
      expect(set.status).toBe(200)
      expect((await fhir('GET', '/Patient?_count=1')).status).toBe(503)
      expect((await fhir('GET', '/Patient?_count=1')).status).toBe(200)
    })

    it('restores the demo data on /_sim/reset and keeps registered clients', async () => {
      expect((await fetch(`${origin}/_sim/reset`, { method: 'POST' })).status).toBe(200)
      const records = (await (await fetch(`${origin}/_sim/records`)).json()) as {
        practices: Record<string, { counts: Record<string, number>; clients: unknown[] }>
        tokens: unknown[]
      }
      expect(records.practices[PRACTICE]?.counts.Patient).toBe(20)
      expect(records.practices[PRACTICE]?.clients.length).toBe(1)
      expect(records.tokens).toEqual([])
    })
  })
})

describe('ECW simulator: bulk seeding', () => {
  // How long seeding takes is a benchmark figure (npm run bench), not something a test asserts.
  it('seeds 10,000 patients with coverage and encounters', async () => {
    const sim = createEcwSimulator({ demo: false })
    const summary = await sim.seedPatients(PRACTICE, 10_000)
    expect(summary.counts.Patient).toBe(10_000)
    expect(summary.counts.Coverage).toBe(10_000)
    expect(summary.counts.Encounter).toBeGreaterThanOrEqual(10_000)
    await sim.close()
  }, 120_000)

  it('registers clients at runtime through /_sim/clients', async () => {
    const sim = createEcwSimulator({ demo: false })
    const origin = await sim.listen()
    const response = await fetch(`${origin}/_sim/clients`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ practice: 'NEWPRC', clientId: 'c1', jwksUrl: 'http://127.0.0.1:1/jwks.json', scopes: ['system/Patient.rs'] }),
    })
    expect(response.status).toBe(201)
    expect((await fetch(`${origin}/fhir/r4/NEWPRC/metadata`)).status).toBe(200)
    await sim.close()
  })
})
