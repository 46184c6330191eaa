import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createRittenSimulator, DEMO_RITTEN, RITTEN_SEEDED_PAYERS, type RittenSimulator } from '../simulators/ritten/server.js'
import { createTestDatabase, startHub, WAIT, waitFor, type RunningHub } from './harness.js'
import { connectRitten } from './rittenHelpers.js'

/**
 * The hub and the Ritten simulator as separate servers on loopback: patients created through
 * the API arrive in Ritten by the two-step flow, with faults injected on the simulator's side.
 * Each test sets up what it needs (faults and mappings start clear), so any one runs alone.
 */
let sim: RittenSimulator
let simUrl: string
let hub: RunningHub
let connectionId: string
let database: Awaited<ReturnType<typeof createTestDatabase>>
/** Few, so that retries run out within a test: 3 retries, some 2 s of backoff in all. */
const MAX_ATTEMPTS = 4
const AETNA = RITTEN_SEEDED_PAYERS.find((p) => p.payerIdentifier === '60054')!
const CIGNA = RITTEN_SEEDED_PAYERS.find((p) => p.payerIdentifier === '62308')!

beforeAll(async () => {
  sim = createRittenSimulator()
  simUrl = await sim.listen(0)
  database = await createTestDatabase()
  hub = await startHub({ databaseUrl: database?.url, env: { CAREBRIDGE_MAX_ATTEMPTS: String(MAX_ATTEMPTS) } })
  connectionId = (await connectRitten(hub, simUrl)).id
})

afterAll(async () => {
  await hub?.stop()
  await sim?.close()
  await database?.drop()
})

beforeEach(async () => {
  await simControl('DELETE', '/_sim/faults')
  const reset = await hub.api('PUT', `/api/connections/${connectionId}/mappings`, { fieldMap: null, valueMaps: {}, ownership: null })
  expect(reset.status).toBe(200)
})

const origin = () => new URL(simUrl).origin
async function simControl(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${origin()}${path}`, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined })
  return res.json()
}
async function simPatients(externalId: string): Promise<any[]> {
  const records = await simControl('GET', '/_sim/records')
  return records.patients.filter((p: { externalId?: string }) => p.externalId === externalId)
}
async function simRequests(pattern: RegExp): Promise<any[]> {
  const { items } = await simControl('GET', '/_sim/requests')
  return items.filter((r: { method: string; path: string }) => pattern.test(`${r.method} ${r.path}`))
}
/** Every job of the hub settled: a one-shot fault set after this meets the next test's own call, not a straggler of an earlier test. */
async function noJobsInFlight() {
  await waitFor(
    'no job queued, running or retrying',
    async () => {
      for (const state of ['queued', 'running', 'retrying']) if ((await hub.api('GET', `/api/jobs?state=${state}&limit=1`)).body.items.length > 0) return false
      return true
    },
    WAIT.job,
  )
}
async function linkOf(patientId: string) {
  const { body } = await hub.api('GET', `/api/patients/${patientId}`)
  return body.links.find((l: { connectionId: string }) => l.connectionId === connectionId)
}
async function waitForLink(patientId: string, state: string, timeoutMs: number = WAIT.job) {
  return waitFor(
    `link ${state}`,
    async () => {
      const link = await linkOf(patientId)
      return link?.state === state ? link : undefined
    },
    timeoutMs,
  )
}
async function linkedPatient(extra: Record<string, unknown> = {}) {
  const { body: patient } = await hub.api('POST', '/api/patients', newPatient(extra))
  await waitForLink(patient.id, 'linked')
  return patient
}
/** A patient's exchanges, oldest first. The token is the connection's: it is logged with whichever job needed one first, so it is left out. */
async function exchangesOf(patientId: string): Promise<any[]> {
  const { body } = await hub.api('GET', `/api/exchanges?patientId=${patientId}&limit=100`)
  return body.items.reverse().filter((e: { operation: string }) => e.operation !== 'token')
}

let counter = 0
function newPatient(extra: Record<string, unknown> = {}) {
  counter += 1
  return {
    firstName: 'Dana',
    middleName: 'Q',
    lastName: `Rivers${counter}`,
    preferredName: 'Dee',
    dob: '1990-02-23',
    gender: 'female',
    birthSex: 'female',
    maritalStatus: 'married',
    phone: '913-555-2003',
    alternatePhone: '913-555-2004',
    email: `dana${counter}@example.com`,
    address: { line1: '2222 Home Street', line2: 'Apt 4', city: 'Lawrence', state: 'KS', postalCode: '66044', country: 'US' },
    language: 'English',
    race: 'white',
    ethnicity: 'not_hispanic_or_latino',
    ...extra,
  }
}

async function accountWithAetna() {
  const { status, body } = await hub.api('POST', '/api/accounts', {
    name: 'Rivers family',
    insurances: [{ payerCode: 'AET01', payerName: 'Aetna', memberId: 'W123456789', groupNumber: 'G-77', priority: 'primary' }],
  })
  expect(status).toBe(201)
  return body
}

describe('Ritten push', () => {
  it('creates the patient in two steps with the exact fields, and caches the token', async () => {
    const { status, body: patient } = await hub.api('POST', '/api/patients', newPatient())
    expect(status).toBe(201)
    expect(patient.links).toEqual([expect.objectContaining({ connector: 'ritten', connectionId, state: 'pending' })])
    const link = await waitForLink(patient.id, 'linked')

    const [remote] = await simPatients(patient.id)
    expect(remote).toMatchObject({
      id: link.externalId,
      mrn: link.mrn,
      externalId: patient.id,
      name: { first: 'Dana', middle: 'Q', last: patient.lastName, chosenName: 'Dee' },
      dob: '1990-02-23',
      phones: ['+19135552003', '+19135552004'],
      emails: [patient.email],
      demographics: {
        sex: 'Female',
        gender: ['Female'],
        maritalStatus: 'Married',
        race: ['White'],
        ethnicity: ['Not Hispanic or Latino'],
        preferredLanguage: 'English',
      },
      addresses: [expect.objectContaining({ use: 'HOME', line: '2222 Home Street', line2: 'Apt 4', city: 'Lawrence', region: 'KS', postalCode: '66044', country: 'US' })],
    })

    const exchanges = await exchangesOf(patient.id)
    const create = exchanges.find((e) => e.operation === 'create')
    const patch = exchanges.find((e) => e.operation === 'patch')
    expect(create).toMatchObject({ status: 'ok', httpStatus: 200, direction: 'outbound', connector: 'ritten', attempts: 1 })
    const createDetail = (await hub.api('GET', `/api/exchanges/${create.id}`)).body
    expect(createDetail.requestBody).toEqual({ name: { first: 'Dana', middle: 'Q', last: patient.lastName, chosenName: 'Dee' }, dob: '1990-02-23', externalId: patient.id })
    expect(createDetail).toMatchObject({ method: 'POST', url: `${simUrl}/patients` })
    expect(patch.message).toBe('insurance left out: the patient has no parent account')

    // A second patient reuses the cached token: no new mint at Ritten.
    const mintsBefore = (await simControl('GET', '/_sim/records')).tokens.mints
    expect(mintsBefore).toBeGreaterThanOrEqual(1)
    const second = await linkedPatient()
    expect((await simControl('GET', '/_sim/records')).tokens.mints).toBe(mintsBefore)
    expect((await exchangesOf(second.id)).map((e) => e.operation)).toEqual(['create', 'patch'])
  })

  it('never logs credentials or tokens', async () => {
    await linkedPatient()
    const { body } = await hub.api('GET', `/api/exchanges?connectionId=${connectionId}&operation=token&limit=5`)
    expect(body.items.length).toBeGreaterThan(0)
    const token = (await hub.api('GET', `/api/exchanges/${body.items[0].id}`)).body
    expect(token.requestBody.client_secret).toBe('[redacted]')
    expect(token.responseBody.access_token).toBe('[redacted]')
    expect(JSON.stringify(token)).not.toContain(DEMO_RITTEN.clientSecret)
    const connection = (await hub.api('GET', `/api/connections/${connectionId}`)).body
    expect(connection.credentials).toEqual({ clientSecret: 'set' })
    expect(JSON.stringify(connection)).not.toContain(DEMO_RITTEN.clientSecret)
  })

  it('gates insurance: left out while the payer code is unmapped, sent once it is mapped', async () => {
    const account = await accountWithAetna()
    const { body: patient } = await hub.api('POST', '/api/patients', newPatient({ accountId: account.id }))
    await waitForLink(patient.id, 'linked')
    let [remote] = await simPatients(patient.id)
    expect(remote.insurance ?? []).toEqual([])
    const firstPatch = (await exchangesOf(patient.id)).find((e) => e.operation === 'patch')
    expect(firstPatch.message).toBe('insurance left out: payer code AET01 is not mapped for this connection')

    const mapped = await hub.api('PUT', `/api/connections/${connectionId}/mappings`, { valueMaps: { payerCode: { AET01: AETNA.id } } })
    expect(mapped.status).toBe(200)
    expect(mapped.body.valueMaps.payerCode).toEqual({ AET01: AETNA.id })
    // Touching the account pushes its patients again, now with the insurance.
    const touched = await hub.api('PATCH', `/api/accounts/${account.id}`, { phone: '913-555-0100' })
    expect(touched.body.insurances).toHaveLength(1)
    await waitFor('insurance in Ritten', async () => ((await simPatients(patient.id))[0]?.insurance?.length ?? 0) > 0, WAIT.job)
    ;[remote] = await simPatients(patient.id)
    expect(remote.insurance).toEqual([
      expect.objectContaining({ payerId: AETNA.id, memberIdentifier: 'W123456789', groupNumber: 'G-77', orderNumber: 1, relationship: 'Self', notSubscriber: false }),
    ])
    expect(await simPatients(patient.id)).toHaveLength(1)
  })

  it('sends an update as a PATCH, never a second create', async () => {
    const { body: patient } = await hub.api('POST', '/api/patients', newPatient())
    const link = await waitForLink(patient.id, 'linked')
    const updated = await hub.api('PATCH', `/api/patients/${patient.id}`, { phone: '(816) 555-0199', preferredName: 'D' })
    expect(updated.status).toBe(200)
    await waitFor('the PATCH with the new phone', async () => (await simPatients(patient.id))[0]?.phones?.[0] === '+18165550199', WAIT.job)
    const remote = await simPatients(patient.id)
    expect(remote).toHaveLength(1)
    expect(remote[0]).toMatchObject({ id: link.externalId, name: { chosenName: 'D' } })
    // The exchange is stored after Ritten's answer, so after Ritten holds the phone: read the log once the job is done.
    await waitFor('synced version 2', async () => (await linkOf(patient.id)).syncedVersion === 2, WAIT.job)
    const operations = (await exchangesOf(patient.id)).map((e) => e.operation)
    expect(operations.filter((o) => o === 'create')).toHaveLength(1)
    expect(operations.filter((o) => o === 'patch')).toHaveLength(2)
  })

  it('retries an injected 500 and makes exactly one Ritten patient', async () => {
    await simControl('POST', '/_sim/faults', { errorRate: 1, status: 500, count: 1, match: '^POST /v1/patients$' })
    const { body: patient } = await hub.api('POST', '/api/patients', newPatient())
    await waitForLink(patient.id, 'linked')
    expect(await simPatients(patient.id)).toHaveLength(1)
    const exchanges = await exchangesOf(patient.id)
    expect(exchanges[0]).toMatchObject({ operation: 'create', status: 'error', httpStatus: 500, attempts: 1 })
    expect(exchanges.filter((e) => e.operation === 'create' && e.status === 'ok')).toHaveLength(1)
    // The retry first asked Ritten whether the failed create had happened after all.
    expect(exchanges.find((e) => e.operation === 'lookup')).toMatchObject({ httpStatus: 404, attempts: 2 })
  })

  it('gives up after the last retry: failed, in the log and the list of links to settle; a replay after the fix links it', async () => {
    await simControl('POST', '/_sim/faults', { errorRate: 1, status: 503, match: '^POST /v1/patients$' })
    const { body: patient } = await hub.api('POST', '/api/patients', newPatient())
    const link = await waitForLink(patient.id, 'failed')
    expect(link.message).toMatch(new RegExp(`^gave up after ${MAX_ATTEMPTS} attempts: Ritten create failed \\(503\\)`))
    expect(link.externalId).toBeNull()

    // Every attempt is in the log; before each retry the hub asked whether the create had happened.
    const exchanges = await exchangesOf(patient.id)
    const creates = exchanges.filter((e) => e.operation === 'create')
    expect(creates.map((e) => `${e.httpStatus}@${e.attempts}`)).toEqual(Array.from({ length: MAX_ATTEMPTS }, (_, i) => `503@${i + 1}`))
    expect(exchanges.filter((e) => e.operation === 'lookup').map((e) => e.httpStatus)).toEqual(Array(MAX_ATTEMPTS - 1).fill(404))
    const job = (await hub.api('GET', `/api/jobs/${creates[0].jobId}`)).body
    expect(job).toMatchObject({ state: 'failed', attempts: MAX_ATTEMPTS, lastError: { message: link.message, httpStatus: 503 } })

    // It waits among the links to settle, with the job and the exchange to replay.
    const failed = (await hub.api('GET', `/api/links?state=failed&connectionId=${connectionId}&limit=500`)).body.items
    const entry = failed.find((l: { patientId: string }) => l.patientId === patient.id)
    expect(entry).toMatchObject({ state: 'failed', message: link.message, jobId: job.id, exchangeId: creates.at(-1).id })
    expect(await simPatients(patient.id)).toEqual([])

    await simControl('DELETE', '/_sim/faults')
    expect((await hub.api('POST', `/api/exchanges/${entry.exchangeId}/replay`)).status).toBe(202)
    await waitForLink(patient.id, 'linked')
    expect(await simPatients(patient.id)).toHaveLength(1)
  })

  it('honours Retry-After on a 429', async () => {
    await simControl('POST', '/_sim/faults', { errorRate: 1, status: 429, retryAfter: 1, count: 1, match: '^PATCH /v1/patients/' })
    const { body: patient } = await hub.api('POST', '/api/patients', newPatient())
    await waitForLink(patient.id, 'linked')
    const patches = (await exchangesOf(patient.id)).filter((e) => e.operation === 'patch')
    expect(patches.map((e) => e.httpStatus)).toEqual([429, 200])
    const waited = Date.parse(patches[1].startedAt) - Date.parse(patches[0].startedAt)
    expect(waited).toBeGreaterThanOrEqual(1000)
  })

  it('resolves a lost create response by the externalId lookup instead of creating twice', async () => {
    await simControl('POST', '/_sim/faults', { dropResponseRate: 1, count: 1, match: '^POST /v1/patients$' })
    const { body: patient } = await hub.api('POST', '/api/patients', newPatient())
    const link = await waitForLink(patient.id, 'linked')
    const remote = await simPatients(patient.id)
    expect(remote).toHaveLength(1)
    expect(remote[0].id).toBe(link.externalId)
    const exchanges = await exchangesOf(patient.id)
    expect(exchanges[0]).toMatchObject({ operation: 'create', status: 'error', httpStatus: null })
    expect(exchanges[0].message).toMatch(/network error/)
    expect(exchanges.find((e) => e.operation === 'lookup')).toMatchObject({ status: 'ok', httpStatus: 200 })
    expect(exchanges.filter((e) => e.operation === 'create')).toHaveLength(1)
  })

  it('surfaces a 400 with Ritten\u2019s message, waits for a person, and replays after the fix', async () => {
    // A wrong value map: Ritten knows no "Single" marital status.
    await hub.api('PUT', `/api/connections/${connectionId}/mappings`, { valueMaps: { payerCode: { AET01: AETNA.id }, maritalStatus: { single: 'Single' } } })
    const { body: patient } = await hub.api('POST', '/api/patients', newPatient({ maritalStatus: 'single' }))
    const link = await waitForLink(patient.id, 'needs_attention')
    expect(link.externalId).toBeTruthy()
    expect(link.message).toMatch(/Ritten patch failed \(400\).*demographics\.maritalStatus/)
    const patch = (await exchangesOf(patient.id)).find((e) => e.operation === 'patch')
    expect(patch).toMatchObject({ status: 'error', httpStatus: 400 })
    expect(patch.message).toMatch(/demographics\.maritalStatus/)
    // No retry for a validation error.
    expect((await exchangesOf(patient.id)).filter((e) => e.operation === 'patch')).toHaveLength(1)
    // It waits on the needs-attention list, with the exchange to replay.
    const waiting = (await hub.api('GET', `/api/links?state=needs_attention&connectionId=${connectionId}&limit=500`)).body.items
    const entry = waiting.find((l: { patientId: string }) => l.patientId === patient.id)
    expect(entry).toMatchObject({ patientName: `${patient.firstName} ${patient.lastName}`, state: 'needs_attention', jobId: patch.jobId, exchangeId: patch.id })
    expect((await hub.api('GET', '/api/links?cursor=not-a-cursor')).body).toMatchObject({ error: 'invalid_input', field: 'cursor' })

    await hub.api('PUT', `/api/connections/${connectionId}/mappings`, { valueMaps: { payerCode: { AET01: AETNA.id } } })
    const replay = await hub.api('POST', `/api/exchanges/${entry.exchangeId}/replay`)
    expect(replay.status).toBe(202)
    await waitForLink(patient.id, 'linked')
    const remote = await simPatients(patient.id)
    expect(remote).toHaveLength(1)
    expect(remote[0].demographics.maritalStatus).toBe('Unmarried')
    // The link is linked before the job is settled: wait for the job.
    const job = await waitFor('the replay settled', async () => {
      const { body } = await hub.api('GET', `/api/jobs/${replay.body.jobId}`)
      return body.state === 'running' || body.state === 'queued' ? undefined : body
    })
    expect(job).toMatchObject({ state: 'succeeded', replayOf: patch.jobId })
    expect(Object.keys(job.steps.done)).toEqual(['patch'])
  })

  it('leaves a failed PATCH partial and resumes at the PATCH', async () => {
    await simControl('POST', '/_sim/faults', { errorRate: 1, status: 503, count: 2, match: '^PATCH /v1/patients/' })
    const { body: patient } = await hub.api('POST', '/api/patients', newPatient())
    const partial = await waitForLink(patient.id, 'partial')
    expect(partial.externalId).toBeTruthy()
    await waitForLink(patient.id, 'linked')
    const operations = (await exchangesOf(patient.id)).map((e) => `${e.operation}:${e.httpStatus}`)
    // Before each retry the hub reads the patient: had the PATCH landed after all, its address
    // would be there to update rather than to add again.
    expect(operations).toEqual(['create:200', 'patch:503', 'read:200', 'patch:503', 'read:200', 'patch:200'])
    expect((await simPatients(patient.id))[0].addresses).toHaveLength(1)
  })

  it('detects a stale link and lets a person settle it by hand, never making a second Ritten patient', async () => {
    const { body: patient } = await hub.api('POST', '/api/patients', newPatient())
    const { body: other } = await hub.api('POST', '/api/patients', newPatient())
    const original = (await waitForLink(patient.id, 'linked')).externalId
    await waitForLink(other.id, 'linked')

    const unsaid = await hub.api('PUT', `/api/patients/${patient.id}/links/${connectionId}`, {})
    expect(unsaid).toMatchObject({ status: 400, body: { field: 'externalId', message: expect.stringContaining('null to clear the link') } })
    // Two CRM patients never share one Ritten record.
    const taken = await hub.api('PUT', `/api/patients/${other.id}/links/${connectionId}`, { externalId: original })
    expect(taken.status).toBe(409)
    expect(taken.body.message).toContain(patient.id)

    // Linked to a record Ritten does not have: the push says so and waits for a person.
    const gone = '00000000-0000-4000-8000-00000000dead'
    const pointed = await hub.api('PUT', `/api/patients/${patient.id}/links/${connectionId}`, { externalId: gone })
    expect(pointed.status, JSON.stringify(pointed.body)).toBe(200)
    expect(pointed.body.link).toMatchObject({ externalId: gone, state: 'partial' })
    expect((await waitForLink(patient.id, 'needs_attention')).message).toMatch(new RegExp(`Ritten patient ${gone} no longer exists`))

    // Cleared: Ritten may still hold a patient made for this one, so the hub looks before creating.
    const cleared = await hub.api('PUT', `/api/patients/${patient.id}/links/${connectionId}`, { externalId: null })
    expect(cleared.body.link).toMatchObject({ externalId: null, state: 'pending' })
    expect((await waitForLink(patient.id, 'linked')).externalId).toBe(original)
    const remote = await simPatients(patient.id)
    expect(remote).toHaveLength(1)
    // The adopted record's address is updated, not added again: its id was found by reading it.
    expect(remote[0].addresses).toHaveLength(1)
    const operations = (await exchangesOf(patient.id)).map((e) => `${e.operation}:${e.httpStatus}`)
    expect(operations.slice(-4)).toEqual(['read:404', 'lookup:200', 'read:200', 'patch:200'])
    const audit = (await hub.api('GET', '/api/audit?action=link.update')).body.items
    expect(audit[0]).toMatchObject({ targetId: patient.id, details: { connectionId, before: gone, after: null } })
  })
})

describe('Ritten entries and patient rules', () => {
  async function patchBodies(patientId: string): Promise<any[]> {
    const patches = (await exchangesOf(patientId)).filter((e) => e.operation === 'patch' && e.status === 'ok')
    return Promise.all(patches.map(async (e) => (await hub.api('GET', `/api/exchanges/${e.id}`)).body))
  }

  it('updates the address and insurance Ritten holds by their ids on every push, never adding a second one', async () => {
    await hub.api('PUT', `/api/connections/${connectionId}/mappings`, { valueMaps: { payerCode: { AET01: AETNA.id, CIG01: CIGNA.id } } })
    const account = await accountWithAetna()
    const { body: patient } = await hub.api('POST', '/api/patients', newPatient({ accountId: account.id }))
    await waitForLink(patient.id, 'linked')
    const [first] = await simPatients(patient.id)
    expect(first.addresses).toHaveLength(1)
    expect(first.insurance).toHaveLength(1)

    // The preview shows the ids the next PATCH will carry.
    const preview = (await hub.api('GET', `/api/patients/${patient.id}/preview?connectionId=${connectionId}`)).body
    const previewPatch = preview.steps.find((s: { step: string }) => s.step === 'patch').body
    expect(previewPatch.addresses[0].id).toBe(first.addresses[0].id)
    expect(previewPatch.insurance[0].id).toBe(first.insurance[0].id)

    await hub.api('PATCH', `/api/patients/${patient.id}`, { address: { ...patient.address, line1: '9 Elm Street' } })
    await waitFor('the new street in Ritten', async () => (await simPatients(patient.id))[0]?.addresses?.[0]?.line === '9 Elm Street', WAIT.job)
    const [second] = await simPatients(patient.id)
    expect(second.addresses).toEqual([{ ...first.addresses[0], line: '9 Elm Street' }])
    expect(second.insurance).toEqual(first.insurance)
    // The exchange is stored once the answer is in, a moment after Ritten holds the change.
    const sent = await waitFor('the PATCH with the new street in the log', async () => (await patchBodies(patient.id)).find((b) => b.requestBody?.addresses?.[0]?.line === '9 Elm Street'), WAIT.job)
    expect(sent.requestBody.addresses[0].id).toBe(first.addresses[0].id)
    expect(sent.requestBody.insurance[0].id).toBe(first.insurance[0].id)

    // A second policy is added next to the first, which keeps its id.
    const twoPolicies = await hub.api('PATCH', `/api/accounts/${account.id}`, {
      insurances: [...account.insurances, { payerCode: 'CIG01', payerName: 'Cigna', memberId: 'C-555', priority: 'secondary' }],
    })
    expect(twoPolicies.status, JSON.stringify(twoPolicies.body)).toBe(200)
    await waitFor('two policies in Ritten', async () => (await simPatients(patient.id))[0]?.insurance?.length === 2, WAIT.job)
    const [third] = await simPatients(patient.id)
    expect(third.insurance[0]).toEqual(first.insurance[0])
    expect(third.insurance[1]).toMatchObject({ payerId: CIGNA.id, memberIdentifier: 'C-555', orderNumber: 2 })
    expect(third.addresses).toHaveLength(1)

    // Removing a policy in the CRM cannot remove it in Ritten: the push says so.
    const cignaOnly = twoPolicies.body.insurances.filter((i: { payerCode: string }) => i.payerCode === 'CIG01')
    await hub.api('PATCH', `/api/accounts/${account.id}`, { insurances: cignaOnly })
    const reported = await waitFor(
      'the PATCH that reports the policy left in Ritten',
      async () => (await exchangesOf(patient.id)).find((e) => e.operation === 'patch' && /stays in Ritten/.test(e.message ?? '')),
      WAIT.job,
    )
    expect(reported.message).toBe(
      "insurance AET01 W123456789 is no longer in the CRM (or no longer mapped), but stays in Ritten: Ritten's API cannot remove an insurance record; remove it in Ritten if it should go",
    )
    await waitForLink(patient.id, 'linked')
    const [fourth] = await simPatients(patient.id)
    expect(fourth.insurance).toEqual([first.insurance[0], { ...third.insurance[1], orderNumber: 1 }])
    expect(await simPatients(patient.id)).toHaveLength(1)
  })

  it('after a lost PATCH answer reads the patient and updates what the PATCH made instead of adding copies', async () => {
    await hub.api('PUT', `/api/connections/${connectionId}/mappings`, { valueMaps: { payerCode: { AET01: AETNA.id } } })
    const account = await accountWithAetna()
    await simControl('POST', '/_sim/faults', { dropResponseRate: 1, count: 1, match: '^PATCH /v1/patients/' })
    const { body: patient } = await hub.api('POST', '/api/patients', newPatient({ accountId: account.id }))
    await waitForLink(patient.id, 'linked')
    const [remote] = await simPatients(patient.id)
    expect(remote.addresses).toHaveLength(1)
    expect(remote.insurance).toHaveLength(1)
    const operations = (await exchangesOf(patient.id)).map((e) => `${e.operation}:${e.httpStatus}`)
    expect(operations).toEqual(['create:200', 'patch:null', 'read:200', 'patch:200'])
    const [retry] = await patchBodies(patient.id)
    expect(retry.requestBody.addresses[0].id).toBe(remote.addresses[0].id)
    expect(retry.requestBody.insurance[0].id).toBe(remote.insurance[0].id)
  })

  it('a birth date in the future: Ritten refuses the create, nothing is made, and a person is asked', async () => {
    const { body: patient } = await hub.api('POST', '/api/patients', newPatient({ dob: '2999-01-01' }))
    expect(patient.id).toBeTruthy()
    const link = await waitForLink(patient.id, 'needs_attention')
    expect(link.message).toMatch(/Ritten create failed \(400\).*dob: must not be in the future/)
    expect(link.externalId).toBeNull()
    expect(await simPatients(patient.id)).toHaveLength(0)
    const creates = (await exchangesOf(patient.id)).filter((e) => e.operation === 'create')
    expect(creates).toMatchObject([{ status: 'error', httpStatus: 400 }])
  })

  it('a mapping that sends no first or last name: the hub names the fix and sends no create', async () => {
    const mapped = await hub.api('PUT', `/api/connections/${connectionId}/mappings`, { fieldMap: [{ crm: 'dob', emr: 'dob' }, { crm: 'preferredName', emr: 'name.chosenName' }] })
    expect(mapped.status, JSON.stringify(mapped.body)).toBe(200)
    try {
      const { body: patient } = await hub.api('POST', '/api/patients', newPatient())
      const preview = (await hub.api('GET', `/api/patients/${patient.id}/preview?connectionId=${connectionId}`)).body
      expect(preview.dropped).toContainEqual({ field: 'name', reason: expect.stringMatching(/first or a last name/) })
      const link = await waitForLink(patient.id, 'needs_attention')
      expect(link.message).toMatch(/Ritten needs a first or a last name.*map firstName to name\.first/)
      expect(await simPatients(patient.id)).toHaveLength(0)
      expect((await exchangesOf(patient.id)).filter((e) => e.operation === 'create' && e.httpStatus !== null)).toEqual([])
    } finally {
      await hub.api('PUT', `/api/connections/${connectionId}/mappings`, { fieldMap: null })
    }
  })
})

describe('the API', () => {
  it('keeps every patient field of F1, custom fields included, and changes only what a PATCH sends', async () => {
    const all = {
      ...newPatient(),
      admissionDate: '2026-11-02',
      dischargeDate: '2026-12-01',
      programId: 'residential',
      levelOfCare: 'Residential',
      locationId: 'lawrence-main',
      referrerName: 'Dr. Ada Hale',
      firstContactName: 'Jo Intake',
      paymentMethod: 'insurance',
      customFields: { intakeSource: 'web', bedsRequested: 1, returning: false },
    }
    const created = await hub.api('POST', '/api/patients', all)
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    const read = (await hub.api('GET', `/api/patients/${created.body.id}`)).body
    expect(read).toMatchObject(all)
    const patched = (await hub.api('PATCH', `/api/patients/${created.body.id}`, { levelOfCare: 'IOP' })).body
    expect(patched).toMatchObject({ ...all, levelOfCare: 'IOP', version: read.version + 1 })

    // Intake staff find a patient by name, email or phone digits.
    const search = async (q: string) => (await hub.api('GET', `/api/patients?q=${encodeURIComponent(q)}&limit=500`)).body.items.map((p: { id: string }) => p.id)
    expect(await search(`dan ${all.lastName.toLowerCase()}`)).toEqual([created.body.id])
    expect(await search(all.email.split('@')[0]!)).toContain(created.body.id)
    expect(await search('(913) 555-2004')).toContain(created.body.id)
    expect(await search(`${all.lastName} %`)).toEqual([])
  })

  it('answers 400 naming the field, and writes nothing', async () => {
    const before = (await hub.api('GET', '/api/patients?limit=500')).body.items.length
    const cases: [unknown, string][] = [
      [{ ...newPatient(), dob: '1990-02-31' }, 'dob'],
      [{ ...newPatient(), gender: 'mail' }, 'gender'],
      [{ ...newPatient(), shoeSize: 44 }, 'unknown field'],
      [{ lastName: 'X' }, 'firstName'],
      [{ ...newPatient(), email: 'not-an-email' }, 'email'],
      [{ ...newPatient(), accountId: '00000000-0000-4000-8000-000000000000' }, 'accountId'],
    ]
    for (const [body, field] of cases) {
      const res = await hub.api('POST', '/api/patients', body)
      expect(res.status, JSON.stringify(res.body)).toBe(400)
      expect(res.body.error).toBeTruthy()
      expect(res.body.message).toContain(field)
    }
    const malformed = await fetch(`${hub.url}/api/patients`, { method: 'POST', headers: { authorization: 'Bearer test-admin-key-0123456789', 'content-type': 'application/json' }, body: '{"firstName": ' })
    expect(malformed.status).toBe(400)
    expect((await hub.api('GET', '/api/patients/not-a-uuid')).status).toBe(400)
    expect((await hub.api('GET', '/api/patients/00000000-0000-4000-8000-000000000000')).status).toBe(404)
    expect((await hub.api('PUT', `/api/connections/${connectionId}/mappings`, { fieldMap: [{ crm: 'firstName', emr: 'name.nickname' }] })).body.message).toMatch(
      /name\.nickname/,
    )
    expect((await hub.api('POST', '/api/connections', { connector: 'ritten', name: 'x', baseUrl: simUrl, settings: {}, credentials: {} })).body.field).toBe('settings.clientId')
    expect((await hub.api('GET', '/api/patients?limit=500')).body.items.length).toBe(before)
  })

  it('refuses a NUL character in any text input with a 400 naming the field, and writes nothing', async () => {
    const before = (await hub.api('GET', '/api/patients?limit=500')).body.items.length
    const cases: [string, string, unknown, string][] = [
      ['GET', '/api/patients?q=%00', undefined, 'q'],
      ['GET', '/api/exchanges?operation=create%00', undefined, 'operation'],
      ['POST', '/api/patients', newPatient({ firstName: 'An\u0000a' }), 'firstName'],
      ['POST', '/api/patients', newPatient({ address: { line1: '1 Main St\u0000', city: 'Lawrence' } }), 'address.line1'],
      ['PUT', `/api/connections/${connectionId}/mappings`, { valueMaps: { payer: { 'AET\u000001': 'x' } } }, 'valueMaps.payer.AET\\u000001'],
    ]
    for (const [method, path, body, field] of cases) {
      const res = await hub.api(method, path, body)
      expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBe(400)
      expect(res.body).toMatchObject({ error: 'invalid_input', field, message: `${field}: must not contain a NUL character (\\u0000)` })
    }
    expect((await hub.api('GET', '/api/patients?limit=500')).body.items.length).toBe(before)
  })

  it('requires a key and checks roles', async () => {
    expect((await hub.api('GET', '/api/patients', undefined, '')).status).toBe(401)
    expect((await hub.api('GET', '/api/patients', undefined, 'wrong-key')).status).toBe(401)
    const staff = await hub.api('POST', '/api/keys', { name: 'intake desk', role: 'staff' })
    expect(staff.status).toBe(201)
    const key = staff.body.key as string
    expect((await hub.api('GET', '/api/patients', undefined, key)).status).toBe(200)
    expect((await hub.api('POST', '/api/connections', { connector: 'ritten', name: 'x', baseUrl: simUrl }, key)).status).toBe(403)
    expect((await hub.api('PUT', `/api/connections/${connectionId}/mappings`, { valueMaps: {} }, key)).status).toBe(403)
    expect((await hub.api('DELETE', `/api/keys/${staff.body.id}`)).status).toBe(204)
    expect((await hub.api('GET', '/api/patients', undefined, key)).status).toBe(401)
  })

  it('shows staff every exchange of a patient without PHI — bodies, details, message and URL — and admins all of it', async () => {
    await hub.api('PUT', `/api/connections/${connectionId}/mappings`, { valueMaps: { payerCode: { AET01: AETNA.id } } })
    const account = await accountWithAetna()
    const fields = newPatient({ accountId: account.id })
    // Ritten refuses the PATCH with a message that echoes the patient's data, as EMRs do.
    await noJobsInFlight()
    await simControl('POST', '/_sim/faults', { errorRate: 1, status: 400, count: 1, match: '^PATCH /v1/patients/', message: `phone +19135552003 of ${fields.lastName} is not valid` })
    const { body: patient } = await hub.api('POST', '/api/patients', fields)
    const waiting = await waitForLink(patient.id, 'needs_attention')
    expect(waiting.message).toContain(fields.lastName)
    const patch = (await exchangesOf(patient.id)).find((e) => e.operation === 'patch')
    expect((await hub.api('POST', `/api/exchanges/${patch.id}/replay`)).status).toBe(202)
    await waitForLink(patient.id, 'linked')

    const staff = (await hub.api('POST', '/api/keys', { name: 'intake desk', role: 'staff' })).body
    const phi = [fields.firstName, fields.lastName, fields.preferredName, fields.dob, '+19135552003', '+19135552004', fields.email, '2222 Home Street', 'W123456789', 'G-77']
    const found = (answer: unknown) => phi.filter((value) => JSON.stringify(answer).includes(value))
    try {
      const listed = await hub.api('GET', `/api/exchanges?patientId=${patient.id}&limit=100`, undefined, staff.key)
      const operations = listed.body.items
        .map((e: { operation: string; httpStatus: number }) => `${e.operation}:${e.httpStatus}`)
        .filter((o: string) => !o.startsWith('token:'))
        .reverse()
      expect(operations.slice(0, 2)).toEqual(['create:200', 'patch:400'])
      expect(operations.at(-1)).toBe('patch:200')
      expect(found(listed.body)).toEqual([])
      const details = []
      for (const item of listed.body.items) {
        const detail = await hub.api('GET', `/api/exchanges/${item.id}`, undefined, staff.key)
        expect(detail.body.redacted).toBe(true)
        expect(found(detail.body), `${item.operation} ${item.httpStatus}`).toEqual([])
        details.push(detail.body)
      }
      const refused = details.find((d) => d.operation === 'patch' && d.httpStatus === 400)
      expect(refused.message).toContain('phone [redacted] of [redacted] is not valid')
      expect(refused.url).toBe(`${simUrl}/patients/${waiting.externalId}`)

      // The control: admins see every one of those values in the same exchanges.
      const admin = await Promise.all(listed.body.items.map(async (e: { id: string }) => (await hub.api('GET', `/api/exchanges/${e.id}`)).body))
      expect(found(admin)).toEqual(phi)
    } finally {
      await hub.api('DELETE', `/api/keys/${staff.id}`)
    }
  })

  it('audits settings changes, record changes and PHI views, never the values', async () => {
    const patient = await linkedPatient()
    const exchange = (await exchangesOf(patient.id))[0]
    const actions: [string, string | null][] = []
    const did = (action: string, targetId: string | null) => actions.push([action, targetId])

    await hub.api('PUT', `/api/connections/${connectionId}/mappings`, { valueMaps: { payerCode: { AET01: AETNA.id } } })
    did('mappings.update', connectionId)
    const { body: account } = await hub.api('POST', '/api/accounts', { name: 'Audit family', phone: '913-555-0123' })
    did('account.create', account.id)
    await hub.api('GET', '/api/accounts')
    did('account.list', null)
    await hub.api('PATCH', `/api/patients/${patient.id}`, { phone: '(913) 555-0177' })
    did('patient.update', patient.id)
    await hub.api('GET', `/api/patients/${patient.id}`)
    did('patient.view', patient.id)
    await hub.api('GET', `/api/exchanges/${exchange.id}`)
    did('exchange.view', exchange.id)
    await waitForLink(patient.id, 'linked')
    expect((await hub.api('POST', `/api/exchanges/${exchange.id}/replay`)).status).toBe(202)
    did('exchange.replay', exchange.id)
    const { body: key } = await hub.api('POST', '/api/keys', { name: 'audited key', role: 'staff' })
    did('api_key.create', key.id)
    await hub.api('DELETE', `/api/keys/${key.id}`)
    did('api_key.revoke', key.id)
    // Connection settings, with a credential that must not be written down.
    const auditedSecret = `audited-secret-${Math.random().toString(36).slice(2)}`
    const { body: other } = await hub.api('POST', '/api/connections', {
      connector: 'ritten',
      name: 'Audited Ritten',
      baseUrl: simUrl,
      enabled: false,
      settings: { clientId: DEMO_RITTEN.clientId, tenant: DEMO_RITTEN.tenant },
      credentials: { clientSecret: auditedSecret },
    })
    did('connection.create', other.id)
    expect((await hub.api('PATCH', `/api/connections/${other.id}`, { name: 'Audited Ritten, renamed', credentials: { clientSecret: `${auditedSecret}-2` } })).status).toBe(200)
    did('connection.update', other.id)
    // The other PHI views: a list of patients, an account, a preview, the conflicts of a patient; and a push asked by hand.
    await hub.api('GET', '/api/patients?limit=5')
    did('patient.list', null)
    await hub.api('GET', `/api/accounts/${account.id}`)
    did('account.view', account.id)
    expect((await hub.api('GET', `/api/patients/${patient.id}/preview?connectionId=${connectionId}`)).status).toBe(200)
    did('patient.preview', patient.id)
    await hub.api('GET', `/api/conflicts?patientId=${patient.id}`)
    did('conflict.list', patient.id)
    expect((await hub.api('POST', `/api/patients/${patient.id}/push`, { connectionId })).status).toBe(202)
    did('patient.push', patient.id)

    const { body } = await hub.api('GET', '/api/audit?limit=500')
    for (const [action, targetId] of actions) {
      expect(body.items.some((e: { action: string; targetId: string | null }) => e.action === action && (targetId === null || e.targetId === targetId)), action).toBe(true)
    }
    const update = body.items.find((e: { action: string; targetId: string }) => e.action === 'patient.update' && e.targetId === patient.id)
    expect(update.details.fields).toEqual(['phone'])
    expect(JSON.stringify(body.items.filter((e: { targetId: string }) => e.targetId === patient.id || e.targetId === account.id))).not.toMatch(/555.?01[27]/)
    expect(JSON.stringify(body)).not.toContain(DEMO_RITTEN.clientSecret)
    expect(JSON.stringify(body)).not.toContain(auditedSecret)
    // Who did it: each event names the key that acted.
    expect(body.items.find((e: { action: string; targetId: string }) => e.action === 'connection.update' && e.targetId === other.id)).toMatchObject({ actor: expect.anything() })
    await waitFor('the replay to settle', async () => (await hub.api('GET', `/api/jobs?connectionId=${connectionId}&state=running`)).body.items.length === 0, WAIT.job)
  })

  it('tests a connection with the exact cause of failure', async () => {
    expect((await hub.api('POST', `/api/connections/${connectionId}/test`)).body).toMatchObject({ ok: true, message: expect.stringContaining('democlinic') })
    const bad = await hub.api('POST', '/api/connections', {
      connector: 'ritten',
      name: 'Ritten wrong secret',
      baseUrl: simUrl,
      enabled: false,
      settings: { clientId: DEMO_RITTEN.clientId, tenant: DEMO_RITTEN.tenant },
      credentials: { clientSecret: 'wrong' },
    })
    expect((await hub.api('POST', `/api/connections/${bad.body.id}/test`)).body).toMatchObject({ ok: false, code: 'token_invalid_client', message: expect.stringContaining('client secret') })
    await hub.api('PATCH', `/api/connections/${bad.body.id}`, { credentials: { clientSecret: DEMO_RITTEN.clientSecret }, settings: { tenant: 'otherclinic' } })
    expect((await hub.api('POST', `/api/connections/${bad.body.id}/test`)).body).toMatchObject({ ok: false, code: 'tenant_refused' })
  })

  it('serves health, metrics, OpenAPI and the capability matrix', async () => {
    await linkedPatient()
    expect((await hub.api('GET', '/health', undefined, '')).body).toEqual({ status: 'ok' })
    const metrics = await (await fetch(`${hub.url}/metrics`)).text()
    expect(metrics).toMatch(/carebridge_exchanges_total\{connector="ritten",operation="create",outcome="ok"\} \d+/)
    expect(metrics).toContain('carebridge_queue_depth')
    const openapi = (await hub.api('GET', '/api/openapi.json', undefined, '')).body
    expect(openapi.openapi).toMatch(/^3\./)
    for (const path of ['/api/patients', '/api/patients/{id}', '/api/accounts', '/api/connections/{id}/mappings', '/api/exchanges/{id}/replay']) expect(openapi.paths).toHaveProperty([path])
    // Answers are described too: a patient with its links, and the error shape every route shares.
    const patientAnswer = openapi.paths['/api/patients/{id}'].get.responses
    expect(patientAnswer['200'].content['application/json'].schema.properties.links.items.properties.state.enum).toContain('needs_attention')
    expect(patientAnswer['4XX'] ?? patientAnswer['4xx']).toBeDefined()
    const capabilities = (await hub.api('GET', `/api/connections/${connectionId}/capabilities`)).body
    expect(capabilities.items).toContainEqual(expect.objectContaining({ dataType: 'patient', direction: 'push', supported: true }))
    const pull = await hub.api('POST', `/api/connections/${connectionId}/pull`)
    expect(pull.status).toBe(422)
    expect(pull.body.message).toMatch(/cannot pull/)
  })
})

describe('Ritten tokens', () => {
  it('uses a token to its end without asking before each call, and after Ritten expires it asks once', async () => {
    // A clinic whose tokens last 2 minutes and whose clock the test moves. Tokens this short sit
    // inside any "refresh early" margin: a hub asking before every call would show it here.
    let offset = 0
    const shortSim = createRittenSimulator({ tokenTtlSeconds: 120, now: () => Date.now() + offset })
    const shortUrl = await shortSim.listen(0)
    const shortControl = async (method: string, path: string) => (await fetch(`${new URL(shortUrl).origin}${path}`, { method })).json()
    const short = await connectRitten(hub, shortUrl, 'Ritten short tokens')
    const linkTo = async (patientId: string, state: string) =>
      waitFor(
        `link ${state} at the short-token clinic`,
        async () => {
          const { body } = await hub.api('GET', `/api/patients/${patientId}`)
          const link = body.links.find((l: { connectionId: string }) => l.connectionId === short.id)
          return link?.state === state ? link : undefined
        },
        WAIT.job,
      )
    try {
      for (let i = 0; i < 3; i += 1) {
        const { body: patient } = await hub.api('POST', '/api/patients', newPatient())
        await linkTo(patient.id, 'linked')
      }
      let records = await shortControl('GET', '/_sim/records')
      expect(records.patients).toHaveLength(3)
      // Six calls or more, one token request: the token is used to its end.
      expect(records.tokens).toEqual({ requests: 1, mints: 1 })

      // Ritten's clock passes the token's end before the hub's: the next calls meet a 401. A 401
      // forgets that token (once: only if it is still the cached one) and the next call mints
      // once, however many pushes meet it at the same time.
      offset = 121_000
      const late = await Promise.all(Array.from({ length: 4 }, async () => (await hub.api('POST', '/api/patients', newPatient())).body))
      for (const patient of late) await linkTo(patient.id, 'linked')
      records = await shortControl('GET', '/_sim/records')
      expect(records.tokens).toEqual({ requests: 2, mints: 2 })
      const calls = await Promise.all(
        late.map(async (patient) =>
          ((await hub.api('GET', `/api/exchanges?patientId=${patient.id}&connectionId=${short.id}&limit=20`)).body.items as { operation: string; httpStatus: number }[])
            .reverse()
            .map((e) => `${e.operation}:${e.httpStatus}`),
        ),
      )
      expect(calls.flat().filter((c) => c.startsWith('token:'))).toEqual(['token:200'])
      expect(calls.flat().filter((c) => c === 'create:401').length).toBeGreaterThanOrEqual(1)
      for (const patientCalls of calls) {
        // A create refused for the expired token is made again once, with the new one.
        expect(patientCalls.filter((c) => c !== 'token:200')).toEqual(patientCalls[0] === 'create:401' ? ['create:401', 'create:200', 'patch:200'] : ['create:200', 'patch:200'])
      }
      expect((await shortControl('GET', '/_sim/records')).patients).toHaveLength(7)
    } finally {
      await hub.api('PATCH', `/api/connections/${short.id}`, { enabled: false })
      await shortSim.close()
    }
  })
})
