import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, startHub, WAIT, waitFor, type RunningHub } from './harness.js'
import { DEFAULT_ECW_SCOPES, LEGACY_DEFAULT_ECW_SCOPES } from '../src/connectors/ecw/client.js'
import { connectEcw, PRACTICE, startEcw, type EcwWorld } from './ecwHelpers.js'

/** eClinicalWorks end to end: SMART auth, US Core push, writeback errors, pull, conflicts, capabilities. */
let world: EcwWorld
let hub: RunningHub
let database: Awaited<ReturnType<typeof createTestDatabase>>
let connectionId: string
const LAWRENCE = 'Lt2IFR5Ah76n4d8TFP5gBCYrEVzcfmSY9rj1Q7MpBZg'

beforeAll(async () => {
  world = await startEcw()
  database = await createTestDatabase()
  hub = await startHub({ databaseUrl: database?.url })
  connectionId = (await connectEcw(hub, world, { clientId: 'carebridge-test' })).id
  const mapped = await hub.api('PUT', `/api/connections/${connectionId}/mappings`, { valueMaps: { location: { 'lawrence-main': LAWRENCE }, program: { residential: 'RES' } } })
  expect(mapped.status).toBe(200)
})

afterAll(async () => {
  await hub?.stop()
  await world?.close()
  await database?.drop()
})

/** The example patient of the eClinicalWorks integration guide, as the CRM holds it. */
const seedPatient = (extra: Record<string, unknown> = {}) => ({
  firstName: 'DazEcccw',
  lastName: `LaliTest${Math.random().toString(36).slice(2, 7)}`,
  dob: '2001-05-27',
  gender: 'male',
  maritalStatus: 'married',
  phone: '9135552003',
  email: 'dazecccw@example.com',
  address: { line1: '2222 HOME STREET', line2: 'Gordon Street', city: 'LAWRENCE', state: 'KS', postalCode: '66044' },
  language: 'English',
  race: 'declined',
  ethnicity: 'hispanic_or_latino',
  birthSex: 'male',
  locationId: 'lawrence-main',
  ...extra,
})

async function link(patientId: string) {
  return (await hub.api('GET', `/api/patients/${patientId}`)).body.links.find((l: { connectionId: string }) => l.connectionId === connectionId)
}
const waitForLink = (patientId: string, state: string, timeout: number = WAIT.job) =>
  waitFor(`ECW link ${state}`, async () => ((await link(patientId))?.state === state ? link(patientId) : undefined), timeout)
const exchangesOf = async (patientId: string) => (await hub.api('GET', `/api/exchanges?patientId=${patientId}&connectionId=${connectionId}&limit=100`)).body.items.reverse()

describe('ECW authentication (Test connection)', () => {
  it('discovers, gets a token by SMART Backend Services and reads', async () => {
    const result = (await hub.api('POST', `/api/connections/${connectionId}/test`)).body
    expect(result).toMatchObject({ ok: true, message: expect.stringContaining('token obtained') })
    const jwks = await (await fetch(`${hub.url}/jwks/${connectionId}`)).json()
    expect(jwks.keys).toEqual([expect.objectContaining({ kty: 'RSA', alg: 'RS384', use: 'sig' })])
    expect(jwks.keys[0].d).toBeUndefined()
  })

  it('names each cause of failure', async () => {
    const notAllowListed = await connectEcw(hub, world, { allowList: false, clientId: 'not-allow-listed' })
    world.sim.registerClient(PRACTICE, { clientId: 'not-allow-listed', jwksUrl: null, scopes: ['system/Patient.read'] })
    expect((await hub.api('POST', `/api/connections/${notAllowListed.id}/test`)).body).toMatchObject({ ok: false, code: 'jwks_not_allowlisted', message: expect.stringContaining('JWKS not allow-listed') })

    // ECW advertises no system/*.write: a real ECW refuses it at the first token request.
    const badScope = await connectEcw(hub, world, { clientId: 'asks-v1-write', settings: { scopes: 'system/Patient.rs system/Patient.write' } })
    world.sim.registerClient(PRACTICE, { clientId: 'asks-v1-write', jwksUrl: `${hub.url}${badScope.jwksPath}`, scopes: ['system/Patient.rs', 'system/Patient.write'] })
    expect((await hub.api('POST', `/api/connections/${badScope.id}/test`)).body).toMatchObject({
      ok: false,
      code: 'invalid_scope',
      message: expect.stringContaining('ECW refused the scope system/Patient.write'),
    })

    const unknownClient = await connectEcw(hub, world, { allowList: false })
    expect((await hub.api('POST', `/api/connections/${unknownClient.id}/test`)).body).toMatchObject({ ok: false, code: 'invalid_client' })

    const unreachable = await connectEcw(hub, world, { allowList: false, clientId: 'jwks-unreachable' })
    world.sim.registerClient(PRACTICE, { clientId: 'jwks-unreachable', jwksUrl: 'http://127.0.0.1:9/jwks.json', scopes: ['system/Patient.read'] })
    expect((await hub.api('POST', `/api/connections/${unreachable.id}/test`)).body).toMatchObject({ ok: false, code: 'jwks_unreachable' })

    const wrongPractice = await hub.api('POST', '/api/connections', { connector: 'ecw', name: 'ECW nowhere', baseUrl: world.base.replace(PRACTICE, 'NOPE42'), settings: { clientId: 'x' } })
    expect((await hub.api('POST', `/api/connections/${wrongPractice.body.id}/test`)).body).toMatchObject({ ok: false, code: 'practice_not_found', message: expect.stringContaining('practice code not found') })
    for (const id of [notAllowListed.id, badScope.id, unknownClient.id, unreachable.id, wrongPractice.body.id]) await hub.api('PATCH', `/api/connections/${id}`, { enabled: false })
  })

  it('asks for scopes ECW advertises even where a connection still holds the earlier default', async () => {
    const legacy = await connectEcw(hub, world, { settings: { scopes: LEGACY_DEFAULT_ECW_SCOPES } })
    expect((await hub.api('POST', `/api/connections/${legacy.id}/test`)).body).toMatchObject({ ok: true })
    const { body } = await hub.api('GET', `/api/exchanges?connectionId=${legacy.id}&operation=token&limit=5`)
    const token = (await hub.api('GET', `/api/exchanges/${body.items[0].id}`)).body
    expect(token.requestBody.scope).toBe(DEFAULT_ECW_SCOPES)
    await hub.api('PATCH', `/api/connections/${legacy.id}`, { enabled: false })
  })
})

describe('ECW push', () => {
  it('sends the integration guide\u2019s US Core Patient and links the ECW id', async () => {
    const { body: patient } = await hub.api('POST', '/api/patients', seedPatient())
    const linked = await waitForLink(patient.id, 'linked')
    const { status, body: remote } = await world.fhir('GET', `/Patient/${linked.externalId}`)
    expect(status).toBe(200)
    expect(remote).toMatchObject({
      resourceType: 'Patient',
      meta: expect.objectContaining({ profile: ['http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient'] }),
      active: true,
      name: [expect.objectContaining({ family: patient.lastName, given: ['DazEcccw'] })],
      maritalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', code: 'M', display: 'Married' }], text: 'Married' },
      telecom: expect.arrayContaining([
        { system: 'phone', value: '9135552003', use: 'home' },
        { system: 'email', value: 'dazecccw@example.com', use: 'home' },
      ]),
      address: [expect.objectContaining({ use: 'home', line: ['2222 HOME STREET', 'Gordon Street'], city: 'LAWRENCE', state: 'KS', postalCode: '66044' })],
      gender: 'male',
      birthDate: '2001-05-27',
      communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'ENG', display: 'English' }], text: 'English' }, preferred: true }],
    })
    expect(remote.identifier).toContainEqual(expect.objectContaining({ system: 'urn:oid:2.16.840.1.113883.4.391.326070', value: patient.id }))
    const ext = (url: string) => remote.extension.find((e: { url: string }) => e.url.endsWith(url))
    expect(ext('us-core-birthsex')).toEqual({ url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex', valueCode: 'M' })
    expect(ext('us-core-race').extension).toContainEqual(expect.objectContaining({ url: 'ombCategory', valueCoding: expect.objectContaining({ code: 'ASKU' }) }))
    expect(ext('us-core-ethnicity').extension).toContainEqual(expect.objectContaining({ url: 'ombCategory', valueCoding: expect.objectContaining({ code: '2135-2' }) }))
    expect(ext('defaultFacility')).toEqual({ url: 'http://eclinicalworks.com/supportingInfo/defaultFacility', valueReference: { reference: `Location/${LAWRENCE}` } })

    // An update goes to the linked id.
    await hub.api('PATCH', `/api/patients/${patient.id}`, { phone: '9135550000' })
    await waitFor('the update in ECW', async () => {
      const { body } = await world.fhir('GET', `/Patient/${linked.externalId}`)
      return body.telecom?.some((t: { value: string }) => t.value === '9135550000')
    })
    // ECW holds the update a moment before the hub has recorded its answer: wait for the log to say so.
    const operations = await waitFor('the update in the log', async () => {
      const logged = (await exchangesOf(patient.id)).map((e: { operation: string; httpStatus: number }) => `${e.operation}:${e.httpStatus}`)
      return logged.includes('update:200') ? logged : undefined
    })
    expect(operations).toEqual(expect.arrayContaining(['create:200', 'read:200', 'update:200']))
    const searched = await world.fhir('GET', `/Patient?identifier=${encodeURIComponent(`urn:oid:2.16.840.1.113883.4.391.326070|${patient.id}`)}`)
    expect(searched.body.total).toBe(1)
  })

  it('never sends a Patient that is not valid, and says which element is wrong', async () => {
    await hub.api('PUT', `/api/connections/${connectionId}/mappings`, { valueMaps: { location: { 'lawrence-main': LAWRENCE }, gender: { other: 'nonbinary' } } })
    const { body: patient } = await hub.api('POST', '/api/patients', seedPatient({ gender: 'other' }))
    const failed = await waitForLink(patient.id, 'needs_attention')
    expect(failed.message).toMatch(/Not sent.*Patient\.gender/)
    const [refused] = await exchangesOf(patient.id)
    expect(refused).toMatchObject({ operation: 'create', status: 'error', httpStatus: null })
    expect(refused.message).toMatch(/gender/)
    // Not one call carried this patient to ECW.
    expect(await world.writesCarrying(patient.id)).toEqual([])

    // Fixed (the gender map removed: "other" is a gender ECW takes) and replayed: now it is sent, once.
    await hub.api('PUT', `/api/connections/${connectionId}/mappings`, { valueMaps: { location: { 'lawrence-main': LAWRENCE } } })
    expect((await hub.api('POST', `/api/exchanges/${refused.id}/replay`)).status).toBe(202)
    await waitForLink(patient.id, 'linked')
    expect((await world.writesCarrying(patient.id)).map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([`POST /fhir/r4/${PRACTICE} 200`])
  })

  it('links to the existing ECW patient on 202 INVALID_PATIENT_ALREADY_EXIST instead of retrying', async () => {
    const family = `Existing${Math.random().toString(36).slice(2, 7)}`
    const created = await world.fhir('POST', '/Patient', { resourceType: 'Patient', identifier: [{ system: 'urn:ecw:mrn', value: family }], name: [{ family, given: ['Ana'] }], gender: 'female', birthDate: '1980-03-04' })
    expect(created.status).toBe(201)
    const { body: patient } = await hub.api('POST', '/api/patients', seedPatient({ firstName: 'Ana', lastName: family, dob: '1980-03-04', gender: 'female' }))
    const linked = await waitForLink(patient.id, 'linked')
    expect(linked.externalId).toBe(created.body.id)
    const exchanges = await exchangesOf(patient.id)
    const creates = exchanges.filter((e: { operation: string }) => e.operation === 'create')
    expect(creates).toHaveLength(1)
    expect(creates[0].message).toMatch(/202/)

    // The same person entered twice in the CRM: ECW names the record the first already holds.
    const { body: twice } = await hub.api('POST', '/api/patients', seedPatient({ firstName: 'Ana', lastName: family, dob: '1980-03-04', gender: 'female' }))
    const duplicate = await waitForLink(twice.id, 'needs_attention')
    expect(duplicate.externalId).toBeNull()
    expect(duplicate.message).toContain(`already linked to CRM patient ${patient.id}`)
    const refusal = (await exchangesOf(twice.id)).at(-1)
    expect(refusal).toMatchObject({ operation: 'create', status: 'error', message: expect.stringContaining('already linked') })
  })

  it('waits for a person on 201 INVALID_MULTIPLE_PATIENT_FOUND, naming both candidates', async () => {
    const family = `Twin${Math.random().toString(36).slice(2, 7)}`
    const ids: string[] = []
    for (const mrn of ['a', 'b']) {
      const res = await world.fhir('POST', '/Patient', { resourceType: 'Patient', identifier: [{ system: 'urn:ecw:mrn', value: family + mrn }], name: [{ family, given: ['Bo'] }], gender: 'male', birthDate: '1970-01-01' })
      // The second is itself a duplicate by name and DOB; ECW refuses it, so seed it straight into the store.
      if (res.status === 201) ids.push(res.body.id)
    }
    if (ids.length < 2) {
      await world.sim.seed(PRACTICE, { patients: [{ resourceType: 'Patient', id: `${family}c`, identifier: [{ system: 'urn:ecw:mrn', value: `${family}c` }], name: [{ family, given: ['Bo'] }], gender: 'male', birthDate: '1970-01-01' }] } as never)
    }
    const { body: patient } = await hub.api('POST', '/api/patients', seedPatient({ firstName: 'Bo', lastName: family, dob: '1970-01-01' }))
    const attention = await waitForLink(patient.id, 'needs_attention')
    expect(attention.message).toMatch(/several patients/)
    const candidates = [...attention.message.matchAll(/Patient\/([^,)\s]+)/g)].map((m) => m[1]!)
    expect(candidates.length).toBeGreaterThanOrEqual(2)

    // A person picks the right one: the link is set and the push updates that record.
    const chosen = candidates[0]!
    const settled = await hub.api('PUT', `/api/patients/${patient.id}/links/${connectionId}`, { externalId: chosen })
    expect(settled.status, JSON.stringify(settled.body)).toBe(200)
    expect((await waitForLink(patient.id, 'linked')).externalId).toBe(chosen)
    const exchanges = await exchangesOf(patient.id)
    expect(exchanges.at(-1)).toMatchObject({ operation: 'update', status: 'ok' })
  })

  it('names the field to fix on a writeback error (107 INVALID_FACILITY)', async () => {
    await hub.api('PUT', `/api/connections/${connectionId}/mappings`, { valueMaps: { location: { 'lawrence-main': LAWRENCE, closed: 'NoSuchFacility' } } })
    const { body: patient } = await hub.api('POST', '/api/patients', seedPatient({ locationId: 'closed' }))
    const attention = await waitForLink(patient.id, 'needs_attention')
    expect(attention.message).toMatch(/107 INVALID_FACILITY.*locationId/)
    const { body: unmapped } = await hub.api('POST', '/api/patients', seedPatient({ locationId: 'nowhere' }))
    expect((await waitForLink(unmapped.id, 'needs_attention')).message).toMatch(/location "nowhere" is not mapped/)
    // Never sent, yet in the log with its reason, like every failure.
    const logged = (await exchangesOf(unmapped.id)).filter((e: { status: string }) => e.status === 'error')
    expect(logged).toEqual([expect.objectContaining({ operation: 'create', httpStatus: null, message: expect.stringMatching(/location "nowhere" is not mapped/) })])
  })

  it('names the field to fix for each writeback error ECW raises on data the hub cannot check (108, 109, 119), and never retries them', async () => {
    const cases = [
      { code: '108 UNSUPPORTED_CHARACTERS', field: 'firstName/lastName — remove special characters', patient: seedPatient({ firstName: 'Ann~Marie' }) },
      { code: '109 MAX_SIZE_LIMIT_EXCEEDED', field: 'firstName/lastName — too long for ECW', patient: seedPatient({ lastName: `Long${'x'.repeat(60)}${Math.random().toString(36).slice(2, 7)}` }) },
      { code: '119 INVALID_PATIENT_DOB', field: 'dob — ECW needs a full date of birth in the past', patient: seedPatient({ dob: '2099-01-01' }) },
    ]
    const created = await Promise.all(cases.map(async (c) => (await hub.api('POST', '/api/patients', c.patient)).body.id as string))
    for (const [i, c] of cases.entries()) {
      const patientId = created[i]!
      const attention = await waitForLink(patientId, 'needs_attention')
      expect(attention.message).toContain(`ECW create refused: ${c.code} — fix ${c.field}`)
      const { body: waiting } = await hub.api('GET', `/api/links?state=needs_attention&connectionId=${connectionId}`)
      const entry = waiting.items.find((l: { patientId: string }) => l.patientId === patientId)
      expect(entry).toMatchObject({ message: attention.message, jobId: expect.any(String), exchangeId: expect.any(String) })
      // One attempt, one call: a person fixes the data before it can succeed.
      const { body: job } = await hub.api('GET', `/api/jobs/${entry.jobId}`)
      expect(job).toMatchObject({ state: 'needs_attention', attempts: 1, lastError: { code: `ecw_${c.code.split(' ')[0]}` } })
      expect((await world.writesCarrying(patientId)).map((r) => `${r.method} ${r.status}`)).toEqual([expect.stringMatching(/^POST [45]\d\d$/)])
      const logged = (await exchangesOf(patientId)).filter((e: { operation: string }) => e.operation === 'create')
      expect(logged).toEqual([expect.objectContaining({ status: 'error', message: expect.stringContaining(`ECW writeback error ${c.code}`) })])
    }
  })

  it('shows staff every ECW exchange of a patient without PHI — bodies, details, message and URL — and admins all of it', async () => {
    const family = `Staffview${Math.random().toString(36).slice(2, 7)}`
    const fields = seedPatient({ firstName: 'Wendeline', lastName: family, dob: '1984-02-29', gender: 'female', phone: '7855550198', email: `${family.toLowerCase()}@example.com` })
    // ECW already holds her (entered by its own staff): the hub finds her by name and birth date, in the URL.
    expect((await world.fhir('POST', '/Patient', { resourceType: 'Patient', name: [{ family, given: ['Wendeline'] }], gender: 'female', birthDate: '1984-02-29' })).status).toBe(201)
    // ECW refuses the update with a message that echoes her data, as EMRs do.
    await world.control('faults', { errorRate: 1, status: 400, count: 1, match: `^PUT /fhir/r4/${PRACTICE}/Patient/`, message: `phone 7855550198 of ${family} is not valid` })
    try {
      const { body: patient } = await hub.api('POST', '/api/patients', fields)
      const waiting = await waitForLink(patient.id, 'needs_attention')
      expect(waiting.message).toContain(family)
      const refusedUpdate = (await exchangesOf(patient.id)).find((e: { operation: string; httpStatus: number }) => e.operation === 'update' && e.httpStatus === 400)
      expect((await hub.api('POST', `/api/exchanges/${refusedUpdate.id}/replay`)).status).toBe(202)
      await waitForLink(patient.id, 'linked')

      const staff = (await hub.api('POST', '/api/keys', { name: 'intake desk', role: 'staff' })).body
      const phi = ['Wendeline', family, '1984-02-29', '7855550198', fields.email as string, '2222 HOME STREET', 'Gordon Street']
      const found = (answer: unknown) => phi.filter((value) => JSON.stringify(answer).includes(value))
      try {
        const listed = await hub.api('GET', `/api/exchanges?patientId=${patient.id}&connectionId=${connectionId}&limit=100`, undefined, staff.key)
        const operations = listed.body.items.map((e: { operation: string }) => e.operation)
        expect(operations).toEqual(expect.arrayContaining(['create', 'lookup', 'read', 'update']))
        expect(found(listed.body)).toEqual([])
        const details = []
        for (const item of listed.body.items) {
          const detail = await hub.api('GET', `/api/exchanges/${item.id}`, undefined, staff.key)
          expect(detail.body.redacted).toBe(true)
          expect(found(detail.body), `${item.operation} ${item.httpStatus}`).toEqual([])
          details.push(detail.body)
        }
        const refused = details.find((d) => d.operation === 'update' && d.httpStatus === 400)
        // ECW's text sits in the OperationOutcome's `text`, a key that holds PHI in a Patient: staff see it withheld.
        expect(refused.message).toMatch(/^400: .*\[redacted\]/)
        // The search by name and birth date keeps its shape, not its values.
        const byName = details.find((d) => d.operation === 'lookup' && new URL(d.url).searchParams.has('family'))
        expect(byName).toBeDefined()

        // The control: admins see every one of those values in the same exchanges.
        const admin = await Promise.all(listed.body.items.map(async (e: { id: string }) => (await hub.api('GET', `/api/exchanges/${e.id}`)).body))
        expect(found(admin)).toEqual(phi)
      } finally {
        await hub.api('DELETE', `/api/keys/${staff.id}`)
      }
    } finally {
      await fetch(`${new URL(world.base).origin}/_sim/faults`, { method: 'DELETE' })
    }
  })

  it('previews a patient whose location or program has no mapping: the gap is listed as blocking, never a 500', async () => {
    const preview = async (patientId: string) => hub.api('GET', `/api/patients/${patientId}/preview?connectionId=${connectionId}`)
    const { body: nowhere } = await hub.api('POST', '/api/patients', seedPatient({ locationId: 'nowhere' }))
    const blocked = await preview(nowhere.id)
    expect(blocked.status, JSON.stringify(blocked.body)).toBe(200)
    expect(blocked.body).toEqual({ steps: [], dropped: [], blocking: [{ field: 'locationId', reason: expect.stringMatching(/location "nowhere" is not mapped/) }] })

    const { body: unmappedProgram } = await hub.api('POST', '/api/patients', seedPatient({ programId: 'detox' }))
    expect((await preview(unmappedProgram.id)).body.blocking).toEqual([{ field: 'programId', reason: expect.stringMatching(/program "detox" is not mapped/) }])

    const { body: mapped } = await hub.api('POST', '/api/patients', seedPatient())
    const ready = (await preview(mapped.id)).body
    expect(ready.blocking).toEqual([])
    expect(ready.steps.map((s: { step: string }) => s.step)).toEqual([expect.stringMatching(/^(create|update)$/)])
  })

  it('refuses an unsupported operation with the reason, without calling ECW', async () => {
    const { body: patient } = await hub.api('POST', '/api/patients', seedPatient())
    const before = (await (await fetch(`${new URL(world.base).origin}/_sim/requests`)).json()).items.length
    const refused = await hub.api('POST', `/api/patients/${patient.id}/push`, { connectionId, dataTypes: ['patient', 'insurance'] })
    expect(refused.status).toBe(422)
    expect(refused.body.message).toBe('eClinicalWorks cannot receive insurance: Read-only from EMR: ECW gives no API access to create or update insurance')
    const encounter = await hub.api('POST', `/api/patients/${patient.id}/push`, { connectionId, dataTypes: ['encounter'] })
    expect(encounter.body.message).toMatch(/API limitation/)
    const capabilities = (await hub.api('GET', `/api/connections/${connectionId}/capabilities`)).body.items
    expect(capabilities).toContainEqual({ dataType: 'preAssessment', direction: 'pull', supported: false, reason: 'API unavailable: no ECW API for pre-assessments' })
    expect(capabilities).toContainEqual(expect.objectContaining({ dataType: 'encounter', direction: 'pull', supported: true }))
    await waitForLink(patient.id, 'linked')
    const after = (await (await fetch(`${new URL(world.base).origin}/_sim/requests`)).json()).items
    expect(after.slice(before).filter((r: { path: string }) => /Coverage|Encounter/.test(r.path))).toEqual([])
  })
})

describe('ECW pull and bidirectional demographics', () => {
  it('pulls practitioners, locations, patients, coverage and encounters; a pushed patient round-trips unchanged', async () => {
    const { body: pushed } = await hub.api('POST', '/api/patients', seedPatient())
    const linked = await waitForLink(pushed.id, 'linked')
    const started = await hub.api('POST', `/api/connections/${connectionId}/pull`)
    expect(started.status).toBe(202)
    const job = await waitFor('the pull to finish', async () => {
      const { body } = await hub.api('GET', `/api/jobs/${started.body.jobId}`)
      return body.state === 'succeeded' ? body : body.state === 'needs_attention' || body.state === 'failed' ? Promise.reject(new Error(JSON.stringify(body))) : undefined
    }, 60_000)
    for (const resource of ['practitioner', 'location', 'patient', 'insurance', 'encounter']) expect(job.progress.resources[resource]).toMatchObject({ done: true })
    expect(job.progress.resources.patient.records).toBe(job.progress.resources.patient.total)
    // ECW grants no Coverage search (system/Coverage.r only): insurance comes with the Bulk Data export.
    expect(job.progress.resources.insurance.records).toBeGreaterThan(0)
    expect(job.progress.resources.insurance.records).toBe(job.progress.resources.insurance.total)

    const after = (await hub.api('GET', `/api/patients/${pushed.id}`)).body
    const { links, updatedAt, version, emrInsurance, encounters, ...demographics } = after
    const { links: _l, updatedAt: _u, version: _v, emrInsurance: _i, encounters: _e, ...before } = pushed
    expect(demographics).toEqual(before)
    expect(links.find((l: { connectionId: string }) => l.connectionId === connectionId).externalId).toBe(linked.externalId)

    const locations = (await hub.api('GET', `/api/connections/${connectionId}/reference-values?kind=location`)).body.items
    expect(locations).toContainEqual(expect.objectContaining({ value: LAWRENCE, label: 'Lawrence Main Campus' }))
    expect((await hub.api('GET', `/api/connections/${connectionId}/reference-values?kind=practitioner`)).body.items.length).toBeGreaterThan(0)

    // A demo patient of ECW became a CRM patient with read-only encounters.
    const imported = (await hub.api('GET', '/api/patients?limit=500')).body.items.filter((p: { firstName: string }) => p.firstName !== 'DazEcccw')
    const withEncounters = await waitFor('an imported patient with encounters', async () => {
      for (const p of imported) {
        const { body } = await hub.api('GET', `/api/patients/${p.id}`)
        if (body.encounters.length > 0) return body
      }
      return undefined
    })
    expect(withEncounters.encounters[0]).toMatchObject({ connectionId })

    // With importNewPatients off, a pull updates linked patients and leaves new ECW patients alone.
    expect((await hub.api('PATCH', `/api/connections/${connectionId}`, { settings: { importNewPatients: false } })).status).toBe(200)
    const family = `Walkin${Math.random().toString(36).slice(2, 7)}`
    expect((await world.fhir('POST', '/Patient', { resourceType: 'Patient', name: [{ family, given: ['Wes'] }], gender: 'male', birthDate: '1977-07-07' })).status).toBe(201)
    const { body: remote } = await world.fhir('GET', `/Patient/${linked.externalId}`)
    expect((await world.fhir('PUT', `/Patient/${linked.externalId}`, { ...remote, name: [{ ...remote.name[0], family: 'Renamedinecw' }] })).status).toBe(200)
    const second = (await hub.api('POST', `/api/connections/${connectionId}/pull`)).body.jobId
    const quiet = await waitFor('the second pull', async () => {
      const { body } = await hub.api('GET', `/api/jobs/${second}`)
      return body.state === 'succeeded' ? body : undefined
    }, 60_000)
    expect(quiet.progress.resources.patient).toMatchObject({ created: 0, skipped: 1 })
    const everyone = (await hub.api('GET', '/api/patients?limit=500')).body.items
    expect(everyone.some((p: { lastName: string }) => p.lastName === family)).toBe(false)
    expect((await hub.api('GET', `/api/patients/${pushed.id}`)).body.lastName).toBe('Renamedinecw')
    await hub.api('PATCH', `/api/connections/${connectionId}`, { settings: { importNewPatients: true } })
  })

  it('settles a field changed on both sides by each rule, and lists the conflict', async () => {
    for (const [rule, expectedWinner] of [['crm', 'crm'], ['emr', 'emr'], ['newest', 'crm']] as const) {
      await hub.api('PUT', `/api/connections/${connectionId}/mappings`, { valueMaps: { location: { 'lawrence-main': LAWRENCE } }, ownership: { default: rule, fields: {} } })
      const { body: patient } = await hub.api('POST', '/api/patients', seedPatient())
      const { externalId } = await waitForLink(patient.id, 'linked')
      // Someone at ECW changes the phone…
      const { body: remote } = await world.fhir('GET', `/Patient/${externalId}`)
      remote.telecom = remote.telecom.map((t: { system: string }) => (t.system === 'phone' ? { ...t, value: '7855551111' } : t))
      expect((await world.fhir('PUT', `/Patient/${externalId}`, remote)).status).toBe(200)
      // …and then intake staff change it in the CRM.
      await hub.api('PATCH', `/api/patients/${patient.id}`, { phone: '9135552222' })
      const conflict = await waitFor(`the ${rule} conflict`, async () => {
        const { body } = await hub.api('GET', `/api/conflicts?patientId=${patient.id}`)
        return body.items[0]
      })
      expect(conflict).toMatchObject({ field: 'phone', crmValue: '9135552222', emrValue: '7855551111', baseValue: '9135552003', rule, winner: expectedWinner })
      const crmPhone = () => hub.api('GET', `/api/patients/${patient.id}`).then((r) => r.body.phone)
      const emrPhone = () => world.fhir('GET', `/Patient/${externalId}`).then((r) => r.body.telecom.find((t: { system: string }) => t.system === 'phone').value)
      const winning = expectedWinner === 'crm' ? '9135552222' : '7855551111'
      await waitFor(`both sides to hold ${winning}`, async () => (await crmPhone()) === winning && (await emrPhone()) === winning)
      if (expectedWinner === 'crm') {
        // The losing value is kept in the exchange too: the update that settled it names both values and the winner.
        const settled = await waitFor('the update naming the conflict', async () => {
          const updates = (await exchangesOf(patient.id)).filter((e: { operation: string }) => e.operation === 'update')
          const detailed = await Promise.all(updates.map(async (e: { id: string }) => (await hub.api('GET', `/api/exchanges/${e.id}`)).body))
          return detailed.find((e: { details: { conflicts?: unknown[] } | null }) => e.details?.conflicts?.length)
        })
        expect(settled.details.conflicts).toEqual([{ field: 'phone', crm: '9135552222', emr: '7855551111', base: '9135552003', rule, winner: 'crm' }])
        expect(settled.requestBody.telecom).toContainEqual(expect.objectContaining({ system: 'phone', value: '9135552222' }))
      } else {
        // ECW's value won: the CRM's (kept in the conflict above) was never sent to ECW.
        const sent = await world.writesCarrying(patient.id)
        expect(sent.length).toBeGreaterThan(0)
        expect(JSON.stringify(sent.map((r) => r.body))).not.toContain('9135552222')
      }

      // A person reviews it: keeping the winner closes it; keeping the loser writes it back everywhere.
      if (rule === 'emr') {
        const reviewed = await hub.api('POST', `/api/conflicts/${conflict.id}/review`, { keep: 'crm' })
        expect(reviewed.body).toMatchObject({ kept: 'crm', reviewedBy: expect.any(String), reviewedAt: expect.any(String) })
        await waitFor('the kept CRM value on both sides', async () => (await crmPhone()) === '9135552222' && (await emrPhone()) === '9135552222')
      } else {
        expect((await hub.api('POST', `/api/conflicts/${conflict.id}/review`, {})).body).toMatchObject({ kept: expectedWinner })
      }
      expect((await hub.api('POST', `/api/conflicts/${conflict.id}/review`, {})).status).toBe(409)
      expect((await hub.api('GET', `/api/conflicts?patientId=${patient.id}&open=true`)).body.items).toEqual([])
    }
  })
})

describe('ECW as strict as its published behaviour', () => {
  const control = async (path: string, body: unknown) => {
    const res = await world.control(path, body)
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    return res.body
  }
  const finished = (jobId: string) =>
    waitFor(`job ${jobId}`, async () => {
      const { body } = await hub.api('GET', `/api/jobs/${jobId}`)
      return ['succeeded', 'failed', 'needs_attention'].includes(body.state) ? body : undefined
    }, 60_000)
  const pull = async () => finished((await hub.api('POST', `/api/connections/${connectionId}/pull`)).body.jobId)
  const crmNamed = async (lastName: string) => (await hub.api('GET', `/api/patients?q=${lastName}&limit=50`)).body.items.filter((p: { lastName: string }) => p.lastName === lastName)

  it('takes a writeback error code in the body of an HTTP 200 for that error (107 INVALID_FACILITY)', async () => {
    await control('settings', { writebackErrorsAsHttp200: true })
    try {
      await hub.api('PUT', `/api/connections/${connectionId}/mappings`, { valueMaps: { location: { 'lawrence-main': LAWRENCE, closed: 'NoSuchFacility' } } })
      const { body: patient } = await hub.api('POST', '/api/patients', seedPatient({ locationId: 'closed' }))
      expect((await waitForLink(patient.id, 'needs_attention')).message).toMatch(/107 INVALID_FACILITY.*locationId/)
      const [create] = await exchangesOf(patient.id)
      expect(create).toMatchObject({ operation: 'create', status: 'error', httpStatus: 200, message: expect.stringContaining('ECW writeback error 107 INVALID_FACILITY') })
    } finally {
      await control('settings', { writebackErrorsAsHttp200: false })
      await hub.api('PUT', `/api/connections/${connectionId}/mappings`, { valueMaps: { location: { 'lawrence-main': LAWRENCE } } })
    }
  })

  it('links a create whose location is an absolute URL', async () => {
    await control('settings', { absoluteLocations: true })
    try {
      const { body: patient } = await hub.api('POST', '/api/patients', seedPatient())
      const linked = await waitForLink(patient.id, 'linked')
      const { body: remote } = await world.fhir('GET', `/Patient/${linked.externalId}`)
      expect(remote.name[0].family).toBe(patient.lastName)
      const [create] = await exchangesOf(patient.id)
      const answer = (await hub.api('GET', `/api/exchanges/${create.id}`)).body.responseBody
      expect(answer.entry[0].response.location).toContain(`${world.base}/Patient/${linked.externalId}/_history/`)
    } finally {
      await control('settings', { absoluteLocations: false })
    }
  })

  it('says "writeback is not enabled for this practice" in Test connection and on the link', async () => {
    await control('settings', { writeback: false })
    try {
      expect((await hub.api('POST', `/api/connections/${connectionId}/test`)).body).toMatchObject({
        ok: false,
        code: 'writeback_not_enabled',
        message: expect.stringContaining('writeback is not enabled for this practice'),
      })
      const before = (await world.requests()).length
      const { body: patient } = await hub.api('POST', '/api/patients', seedPatient())
      const refused = await waitForLink(patient.id, 'needs_attention')
      expect(refused.message).toMatch(/^writeback is not enabled for this practice: ECW refused the create with 308 DEFAULT_WRITEBACK_USER_NOT_CONFIGURED/)
      // Refused once, not retried.
      expect((await world.requests()).slice(before).filter((r) => r.method === 'POST' && r.path === `/fhir/r4/${PRACTICE}`)).toHaveLength(1)
    } finally {
      await control('settings', { writeback: true })
    }
    expect((await hub.api('POST', `/api/connections/${connectionId}/test`)).body).toMatchObject({ ok: true, message: expect.stringContaining('writeback enabled') })
  })

  it('finds a create whose answer was lost by our identifier first: one ECW patient, one create, one search', async () => {
    await control('faults', { dropResponseRate: 1, count: 1, match: `^POST /fhir/r4/${PRACTICE}$` })
    const { body: patient } = await hub.api('POST', '/api/patients', seedPatient())
    const linked = await waitForLink(patient.id, 'linked')
    const ours = `urn:oid:2.16.840.1.113883.4.391.326070|${patient.id}`
    const inEcw = await world.fhir('GET', `/Patient?identifier=${encodeURIComponent(ours)}`)
    expect(inEcw.body.total).toBe(1)
    expect(inEcw.body.entry[0].resource.id).toBe(linked.externalId)
    expect((await world.fhir('GET', `/Patient?family=${patient.lastName}`)).body.total).toBe(1)
    // ECW handled the one create (its answer lost on the way back); no second create was sent.
    expect((await world.writesCarrying(patient.id)).filter((r) => r.method === 'POST').map((r) => r.fault)).toEqual(['response dropped'])
    // The retry searched by our identifier and stopped there: no search by name and birth date.
    const exchanges = await exchangesOf(patient.id)
    expect(exchanges.filter((e: { operation: string }) => e.operation === 'create').map((e: { httpStatus: number | null }) => e.httpStatus)).toEqual([null])
    const lookups = exchanges.filter((e: { operation: string }) => e.operation === 'lookup')
    const urls = await Promise.all(lookups.map(async (e: { id: string }) => new URL((await hub.api('GET', `/api/exchanges/${e.id}`)).body.url as string)))
    expect(urls.map((url) => url.searchParams.get('identifier'))).toEqual([ours])
    expect(urls[0]!.searchParams.has('family')).toBe(false)
  })

  describe('when ECW keeps only its own identifiers', () => {
    beforeAll(async () => {
      await control('settings', { keepForeignIdentifiers: false })
    })
    afterAll(async () => {
      await control('settings', { keepForeignIdentifiers: true })
    })

    it('a lost create answer and a pull make no second patient on either side', async () => {
      await control('faults', { dropResponseRate: 1, count: 1, match: `^POST /fhir/r4/${PRACTICE}$` })
      const { body: patient } = await hub.api('POST', '/api/patients', seedPatient())
      const linked = await waitForLink(patient.id, 'linked')
      const inEcw = await world.fhir('GET', `/Patient?family=${patient.lastName}`)
      expect(inEcw.body.total).toBe(1)
      expect(inEcw.body.entry[0].resource.id).toBe(linked.externalId)
      // ECW dropped our identifier: the retry found the record by name, birth date and phone, and did not create again.
      expect(inEcw.body.entry[0].resource.identifier.map((i: { system: string }) => i.system)).toEqual(['http://eclinicalworks.com/fhir/sid/account-number'])
      const operations = (await exchangesOf(patient.id)).map((e: { operation: string; httpStatus: number | null }) => `${e.operation}:${e.httpStatus}`)
      expect(operations.filter((o: string) => o.startsWith('create'))).toEqual(['create:null'])
      expect(operations).toContain('lookup:200')

      const job = await pull()
      expect(job.state).toBe('succeeded')
      expect(await crmNamed(patient.lastName)).toHaveLength(1)
      expect((await link(patient.id)).externalId).toBe(linked.externalId)
    })

    it('a pull links a CRM patient by name, birth date and phone, and sends an uncertain one to a person', async () => {
      await hub.api('PATCH', `/api/connections/${connectionId}`, { enabled: false })
      const { body: sure } = await hub.api('POST', '/api/patients', seedPatient({ phone: '7855551234' }))
      const { body: unsure } = await hub.api('POST', '/api/patients', seedPatient({ phone: '7855554321', email: 'someone@example.com' }))
      await hub.api('PATCH', `/api/connections/${connectionId}`, { enabled: true })
      // Entered at ECW by its own staff: no identifier of ours.
      const person = (family: string, phone: string, email: string) => ({
        resourceType: 'Patient',
        name: [{ family, given: ['DazEcccw'] }],
        gender: 'male',
        birthDate: '2001-05-27',
        telecom: [{ system: 'phone', value: phone, use: 'home' }, { system: 'email', value: email }],
      })
      const sureInEcw = await world.fhir('POST', '/Patient', person(sure.lastName, '(785) 555-1234', 'other@example.com'))
      const unsureInEcw = await world.fhir('POST', '/Patient', person(unsure.lastName, '9135550000', 'nobody@example.com'))
      expect([sureInEcw.status, unsureInEcw.status]).toEqual([201, 201])

      const job = await pull()
      expect(job.state).toBe('succeeded')
      expect((await link(sure.id)).externalId).toBe(sureInEcw.body.id)
      expect(await crmNamed(sure.lastName)).toHaveLength(1)
      expect(await crmNamed(unsure.lastName)).toHaveLength(1)
      const waiting = await link(unsure.id)
      expect(waiting).toMatchObject({ state: 'needs_attention', externalId: null, message: expect.stringContaining(`patient ${unsureInEcw.body.id} may be this patient`) })
      expect(job.progress.problems).toContainEqual({ resource: 'patient', externalId: unsureInEcw.body.id, message: expect.stringContaining(`may be CRM patient ${unsure.id}`) })
    })
  })

  // Expired or invalid paging links (410/400) on the searches a pull still makes are resumed from the
  // high-water mark: src/connectors/ecw/searchPull.test.ts. Patients come by export since.
  it('a pull renews its token after a 401 without WWW-Authenticate', async () => {
    await hub.api('PATCH', `/api/connections/${connectionId}`, { settings: { pullModules: ['patient'] } })
    try {
      // The hub holds a token (a settings change dropped the cached one), then ECW forgets it.
      expect((await hub.api('POST', `/api/connections/${connectionId}/test`)).body.ok).toBe(true)
      const before = (await world.requests()).length
      await control('tokens/revoke', { practice: PRACTICE })
      const job = await pull()
      expect(job.state, JSON.stringify(job.lastError)).toBe('succeeded')
      expect(job.progress.resources.patient.records).toBe(job.progress.resources.patient.total)
      expect(job.progress.resources.patient.total).toBeGreaterThanOrEqual(20)
      const seen = (await world.requests()).slice(before).filter((r) => r.path.endsWith('/$export')).map((r) => r.status)
      expect(seen).toEqual([401, 202])
    } finally {
      await hub.api('PATCH', `/api/connections/${connectionId}`, { settings: { pullModules: ['practitioner', 'location', 'patient', 'insurance', 'encounter'] } })
    }
  })
})
