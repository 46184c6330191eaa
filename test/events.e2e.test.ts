import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Webhook } from 'standardwebhooks'
import { createRittenSimulator, type RittenSimulator } from '../simulators/ritten/server.js'
import { createKipuSimulator, DEMO_KIPU, type KipuSimulator } from '../simulators/kipu/server.js'
import { createTestDatabase, startHub, waitFor, type RunningHub } from './harness.js'
import { connectRitten } from './rittenHelpers.js'

/**
 * Outbound events (F19) end to end: the hub, the Ritten simulator and a receiver on loopback that
 * verifies every delivery with the `standardwebhooks` library, as a subscriber would. Each test
 * subscribes its own receiver path and removes the subscription at the end.
 */
let sim: RittenSimulator
let hub: RunningHub
let connectionId: string
let database: Awaited<ReturnType<typeof createTestDatabase>>
let receiver: Receiver
let kipu: KipuSimulator
let kipuUrl: string

beforeAll(async () => {
  sim = createRittenSimulator()
  const simUrl = await sim.listen(0)
  kipu = createKipuSimulator()
  kipuUrl = await kipu.listen(0)
  receiver = await startReceiver()
  database = await createTestDatabase()
  hub = await startHub({ databaseUrl: database?.url, env: { CAREBRIDGE_MAX_ATTEMPTS: '4' } })
  connectionId = (await connectRitten(hub, simUrl)).id
})

afterAll(async () => {
  await hub?.stop()
  await sim?.close()
  await kipu?.close()
  await receiver?.close()
  await database?.drop()
})

interface Delivery {
  path: string
  headers: Record<string, string>
  body: string
}

interface Receiver {
  url: string
  deliveries: Delivery[]
  /** The statuses `path` answers, in order; 200 once they are used up. */
  answer(path: string, statuses: number[]): void
  close(): Promise<void>
}

async function startReceiver(): Promise<Receiver> {
  const deliveries: Delivery[] = []
  const planned = new Map<string, number[]>()
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const path = req.url ?? '/'
      deliveries.push({ path, headers: req.headers as Record<string, string>, body: Buffer.concat(chunks).toString('utf8') })
      const status = planned.get(path)?.shift() ?? 200
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: status < 300 }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    deliveries,
    answer: (path, statuses) => planned.set(path, [...statuses]),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

let counter = 0
function newPatient(extra: Record<string, unknown> = {}) {
  counter += 1
  return { firstName: 'Robin', lastName: `Eventson${counter}`, dob: '1985-06-01', gender: 'female', phone: '913-555-0199', email: `robin${counter}@example.com`, ...extra }
}

async function subscribe(path: string, events: string[], extra: Record<string, unknown> = {}) {
  const created = await hub.api('POST', '/api/event-subscriptions', { url: `${receiver.url}${path}`, events, description: `test ${path}`, ...extra })
  expect(created.status).toBe(201)
  return created.body as { id: string; secret: string }
}

/** Deliveries to `path` about `patientId`, each checked with the subscription's secret as a receiver would. */
function deliveriesTo(path: string, secret: string, patientId?: string) {
  return receiver.deliveries
    .filter((d) => d.path === path)
    .map((d) => ({ ...d, event: new Webhook(secret).verify(d.body, d.headers) as { id: string; type: string; data: Record<string, unknown>; organizationId: string; occurredAt: string } }))
    .filter((d) => !patientId || d.event.data.patientId === patientId)
}

async function waitForLink(patientId: string, state: string) {
  return waitFor(`link ${state}`, async () => {
    const { body } = await hub.api('GET', `/api/patients/${patientId}`)
    return body.links?.find((l: { connectionId: string; state: string }) => l.connectionId === connectionId && l.state === state)
  })
}

describe('outbound events', () => {
  it('delivers patient.linked once, signed, with ids and no chart values; each delivery is in the log', async () => {
    const path = '/linked'
    const subscription = await subscribe(path, ['patient.linked'])
    try {
      const { body: patient } = await hub.api('POST', '/api/patients', newPatient())
      const link = await waitForLink(patient.id, 'linked')
      const [delivery] = await waitFor('patient.linked delivered', async () => deliveriesTo(path, subscription.secret, patient.id).length > 0 && deliveriesTo(path, subscription.secret, patient.id))
      expect(delivery!.event).toMatchObject({
        type: 'patient.linked',
        id: delivery!.headers['webhook-id'],
        data: { patientId: patient.id, connectionId, connector: 'ritten', externalId: link.externalId, via: 'push' },
      })
      // Ids and what changed, never the chart.
      for (const value of [patient.firstName, patient.lastName, patient.dob, patient.email, patient.phone]) expect(delivery!.body).not.toContain(value)

      // A later change is a PATCH to the same Ritten patient: linked again, but not a new link.
      expect((await hub.api('PATCH', `/api/patients/${patient.id}`, { phone: '913-555-0142' })).status).toBe(200)
      await waitFor('the update pushed', async () => {
        const { body } = await hub.api('GET', `/api/patients/${patient.id}`)
        const current = body.links.find((l: { connectionId: string }) => l.connectionId === connectionId)
        return current.state === 'linked' && current.syncedVersion === body.version
      })
      const jobs = (await hub.api('GET', '/api/jobs?kind=deliver_event&limit=500')).body.items
      expect(jobs.filter((j: { state: string }) => ['queued', 'running', 'retrying'].includes(j.state))).toEqual([])
      expect(deliveriesTo(path, subscription.secret, patient.id)).toHaveLength(1)

      // In the integration log: outbound, connector "events", filed under the patient, signature masked.
      const log = (await hub.api('GET', `/api/exchanges?patientId=${patient.id}&operation=deliver`)).body.items
      expect(log).toHaveLength(1)
      expect(log[0]).toMatchObject({ connector: 'events', connectionId: null, direction: 'outbound', status: 'ok', httpStatus: 200 })
      const detail = (await hub.api('GET', `/api/exchanges/${log[0].id}`)).body
      expect(detail.requestHeaders['webhook-id']).toBe(delivery!.event.id)
      expect(detail.requestHeaders['webhook-signature']).not.toContain('v1,')
      expect(detail.requestBody).toMatchObject({ id: delivery!.event.id, type: 'patient.linked' })

      // A link cleared by hand is a new link once the push has found the record again: announced anew.
      expect((await hub.api('PUT', `/api/patients/${patient.id}/links/${connectionId}`, { externalId: null })).status).toBe(200)
      const again = await waitFor('patient.linked again', async () => deliveriesTo(path, subscription.secret, patient.id).length === 2 && deliveriesTo(path, subscription.secret, patient.id)[1])
      expect(again!.event.id).not.toBe(delivery!.event.id)
      expect(again!.event.data).toMatchObject({ externalId: link.externalId, via: 'push' })
    } finally {
      await hub.api('DELETE', `/api/event-subscriptions/${subscription.id}`)
    }
  })

  it('retries a receiver that answers 500 twice, under one event id, until it takes the event', async () => {
    const path = '/flaky'
    receiver.answer(path, [500, 500])
    const subscription = await subscribe(path, ['patient.linked'])
    try {
      const { body: patient } = await hub.api('POST', '/api/patients', newPatient())
      await waitForLink(patient.id, 'linked')
      const job = await waitFor('delivery succeeded', async () => {
        const log = (await hub.api('GET', `/api/exchanges?patientId=${patient.id}&operation=deliver`)).body.items
        if (log.length === 0) return undefined
        const { body } = await hub.api('GET', `/api/jobs/${log[0].jobId}`)
        return body.state === 'succeeded' && body
      })
      const attempts = deliveriesTo(path, subscription.secret, patient.id)
      expect(attempts.map((d) => d.headers['webhook-id'])).toEqual(Array(3).fill(attempts[0]!.event.id))
      expect(job).toMatchObject({ kind: 'deliver_event', connectionId: null, attempts: 3, progress: { delivered: true, httpStatus: 200 } })
      const log = (await hub.api('GET', `/api/exchanges?jobId=${job.id}`)).body.items.reverse()
      expect(log.map((e: { httpStatus: number; attempts: number }) => [e.httpStatus, e.attempts])).toEqual([
        [500, 1],
        [500, 2],
        [200, 3],
      ])
    } finally {
      await hub.api('DELETE', `/api/event-subscriptions/${subscription.id}`)
    }
  })

  it('a receiver that refuses with 400 waits for a person; a replay delivers the same event', async () => {
    const path = '/refusing'
    receiver.answer(path, [400])
    const subscription = await subscribe(path, ['patient.linked'])
    try {
      const { body: patient } = await hub.api('POST', '/api/patients', newPatient())
      await waitForLink(patient.id, 'linked')
      const job = await waitFor('delivery needs attention', async () => {
        const log = (await hub.api('GET', `/api/exchanges?patientId=${patient.id}&operation=deliver`)).body.items
        if (log.length === 0) return undefined
        const { body } = await hub.api('GET', `/api/jobs/${log[0].jobId}`)
        return body.state === 'needs_attention' && body
      })
      expect(job.attempts).toBe(1)
      expect(job.lastError).toMatchObject({ httpStatus: 400 })
      expect(job.lastError.message).toMatch(/refused the event with 400.*replay/)
      // The patient's link is not the delivery's business: it stays linked.
      await waitForLink(patient.id, 'linked')

      const replay = await hub.api('POST', `/api/exchanges/${job.lastError.exchangeId}/replay`)
      expect(replay.status).toBe(202)
      await waitFor('replay delivered', async () => (await hub.api('GET', `/api/jobs/${replay.body.jobId}`)).body.state === 'succeeded')
      const attempts = deliveriesTo(path, subscription.secret, patient.id)
      expect(attempts).toHaveLength(2)
      expect(attempts[1]!.event.id).toBe(attempts[0]!.event.id)
      expect((await hub.api('GET', `/api/jobs/${replay.body.jobId}`)).body.replayOf).toBe(job.id)
      // The subscription's deliveries, newest first: the replay delivered, the first waiting for a person.
      const deliveries = (await hub.api('GET', `/api/event-subscriptions/${subscription.id}/deliveries`)).body.items
      expect(deliveries).toMatchObject([
        { jobId: replay.body.jobId, eventId: attempts[0]!.event.id, eventType: 'patient.linked', state: 'succeeded', delivered: true, replayOf: job.id },
        { jobId: job.id, state: 'needs_attention', delivered: false, lastError: { httpStatus: 400 } },
      ])
      expect((await hub.api('GET', `/api/event-subscriptions/${subscription.id}/deliveries?state=needs_attention`)).body.items.map((d: { jobId: string }) => d.jobId)).toEqual([job.id])
    } finally {
      await hub.api('DELETE', `/api/event-subscriptions/${subscription.id}`)
    }
  })

  it('sends nothing to a disabled subscription, nor events it did not ask for', async () => {
    const control = await subscribe('/control', ['patient.linked'])
    const disabled = await subscribe('/disabled', ['patient.linked'], { enabled: false })
    const other = await subscribe('/other', ['link.failed'])
    try {
      const { body: patient } = await hub.api('POST', '/api/patients', newPatient())
      await waitForLink(patient.id, 'linked')
      // Deliveries are queued together, in the transaction that linked the patient: once the control has its own, none other is coming.
      await waitFor('control delivered', async () => deliveriesTo('/control', control.secret, patient.id).length === 1)
      expect(receiver.deliveries.filter((d) => d.path === '/disabled' || d.path === '/other')).toEqual([])
      // Enabling it later does not send what happened while it was off.
      expect((await hub.api('PATCH', `/api/event-subscriptions/${disabled.id}`, { enabled: true })).body).toMatchObject({ enabled: true, events: ['patient.linked'] })
    } finally {
      for (const s of [control, disabled, other]) await hub.api('DELETE', `/api/event-subscriptions/${s.id}`)
    }
  })

  it('announces a link that needs attention, by code and ids, with the exchange to replay', async () => {
    const path = '/attention'
    const subscription = await subscribe(path, ['link.needs_attention'])
    try {
      // Ritten knows no "Single" marital status: the PATCH is refused with 400.
      await hub.api('PUT', `/api/connections/${connectionId}/mappings`, { valueMaps: { maritalStatus: { single: 'Single' } } })
      const { body: patient } = await hub.api('POST', '/api/patients', newPatient({ maritalStatus: 'single' }))
      await waitForLink(patient.id, 'needs_attention')
      const [delivery] = await waitFor('link.needs_attention delivered', async () => deliveriesTo(path, subscription.secret, patient.id).length > 0 && deliveriesTo(path, subscription.secret, patient.id))
      const links = (await hub.api('GET', `/api/links?state=needs_attention&connectionId=${connectionId}&limit=500`)).body.items
      const entry = links.find((l: { patientId: string }) => l.patientId === patient.id)
      expect(delivery!.event).toMatchObject({
        type: 'link.needs_attention',
        data: { recordType: 'patient', recordId: patient.id, patientId: patient.id, connectionId, connector: 'ritten', jobId: entry.jobId, exchangeId: entry.exchangeId, code: 'rejected' },
      })
      expect(delivery!.body).not.toContain('Single')
    } finally {
      await hub.api('PUT', `/api/connections/${connectionId}/mappings`, { fieldMap: null, valueMaps: {}, ownership: null })
      await hub.api('DELETE', `/api/event-subscriptions/${subscription.id}`)
    }
  })
})

describe('event subscriptions API', () => {
  it('shows the signing secret once, stores it sealed, and audits changes without it', async () => {
    const created = await subscribe('/api-check', ['patient.linked', 'patient.linked', 'insurance.pulled'])
    expect(created.secret).toMatch(/^whsec_/)
    expect(created).toMatchObject({ events: ['patient.linked', 'insurance.pulled'], enabled: true })
    const read = (await hub.api('GET', `/api/event-subscriptions/${created.id}`)).body
    expect(read).not.toHaveProperty('secret')
    const listed = (await hub.api('GET', '/api/event-subscriptions')).body.items
    expect(JSON.stringify(listed)).not.toContain(created.secret)

    const rotated = (await hub.api('POST', `/api/event-subscriptions/${created.id}/rotate-secret`)).body
    expect(rotated.secret).toMatch(/^whsec_/)
    expect(rotated.secret).not.toBe(created.secret)

    // A test event checks the receiver and the (new) secret, whatever events the subscription names.
    const test = await hub.api('POST', `/api/event-subscriptions/${created.id}/test`)
    expect(test.status).toBe(202)
    await waitFor('the test delivered', async () => (await hub.api('GET', `/api/jobs/${test.body.jobId}`)).body.state === 'succeeded')
    const [ping] = deliveriesTo('/api-check', rotated.secret)
    expect(ping!.event).toMatchObject({ id: test.body.eventId, type: 'subscription.test', data: { subscriptionId: created.id } })
    expect(() => new Webhook(created.secret).verify(ping!.body, ping!.headers)).toThrow()
    // Staff cannot read subscriptions, but the deliveries are in the log they read.
    const staff = (await hub.api('POST', '/api/keys', { name: 'events log staff', role: 'staff' })).body.key
    const logged = (await hub.api('GET', `/api/exchanges?jobId=${test.body.jobId}`, undefined, staff)).body.items
    expect(logged).toEqual([expect.objectContaining({ connector: 'events', operation: 'deliver', status: 'ok' })])
    const staffView = (await hub.api('GET', `/api/exchanges/${logged[0].id}`, undefined, staff)).body
    expect(staffView).toMatchObject({ redacted: true, requestBody: { type: 'subscription.test', data: { subscriptionId: created.id } } })
    expect(JSON.stringify(staffView)).not.toContain(rotated.secret)

    const patched = await hub.api('PATCH', `/api/event-subscriptions/${created.id}`, { description: 'VOB workflow' })
    expect(patched.body).toMatchObject({ description: 'VOB workflow', events: ['patient.linked', 'insurance.pulled'], enabled: true, url: `${receiver.url}/api-check` })
    expect((await hub.api('PATCH', `/api/event-subscriptions/${created.id}`, { enabled: false })).body.enabled).toBe(false)
    expect(await hub.api('POST', `/api/event-subscriptions/${created.id}/test`)).toMatchObject({ status: 409, body: { error: 'conflict' } })
    expect((await hub.api('DELETE', `/api/event-subscriptions/${created.id}`)).status).toBe(204)
    expect((await hub.api('GET', `/api/event-subscriptions/${created.id}`)).status).toBe(404)

    const audit = JSON.stringify((await hub.api('GET', '/api/audit?limit=500')).body)
    for (const action of ['event_subscription.create', 'event_subscription.rotate_secret', 'event_subscription.test', 'event_subscription.update', 'event_subscription.delete']) expect(audit).toContain(action)
    expect(audit).not.toContain(created.secret)
    expect(audit).not.toContain(rotated.secret)
  })

  it('answers 400 naming the field for a bad URL or an unknown event, and 403 to staff', async () => {
    const bad = async (body: unknown) => (await hub.api('POST', '/api/event-subscriptions', body)).body
    expect(await bad({ url: 'ftp://example.test/x', events: ['patient.linked'] })).toMatchObject({ error: 'invalid_input', field: 'url' })
    expect(await bad({ url: 'http://user:pw@127.0.0.1/x', events: ['patient.linked'] })).toMatchObject({ error: 'invalid_input', field: 'url' })
    expect(await bad({ url: `${receiver.url}/x`, events: ['patient.deleted'] })).toMatchObject({ error: 'invalid_input', field: expect.stringMatching(/^events/) })
    expect(await bad({ url: `${receiver.url}/x`, events: [] })).toMatchObject({ error: 'invalid_input', field: 'events' })
    expect(await bad({ url: `${receiver.url}/x`, events: ['patient.linked'], secret: 'mine' })).toMatchObject({ error: 'invalid_input' })
    expect((await hub.api('PATCH', '/api/event-subscriptions/00000000-0000-4000-8000-000000000000', { enabled: false })).status).toBe(404)

    const staff = (await hub.api('POST', '/api/keys', { name: 'events staff', role: 'staff' })).body.key
    expect((await hub.api('GET', '/api/event-subscriptions', undefined, staff)).status).toBe(403)
    expect((await hub.api('POST', '/api/event-subscriptions', { url: `${receiver.url}/x`, events: ['patient.linked'] }, staff)).status).toBe(403)
    const types = (await hub.api('GET', '/api/event-types')).body.items.map((t: { type: string }) => t.type)
    expect(types).toEqual(expect.arrayContaining(['patient.linked', 'patient.updated_from_emr', 'insurance.pulled', 'link.needs_attention', 'referral.imported']))
  })
})

describe('events of a pull (KIPU)', () => {
  it('announces the pulled insurance, the fields the EMR changed and the finished pull — and nothing for a census that changed nothing', async () => {
    const created = await hub.api('POST', '/api/connections', {
      connector: 'kipu',
      name: 'KIPU events',
      baseUrl: kipuUrl,
      settings: { accessId: DEMO_KIPU.accessId, appId: DEMO_KIPU.appId, pullSchedule: '0 0 1 1 *' },
      credentials: { secretKey: DEMO_KIPU.secretKey },
    })
    expect(created.status).toBe(201)
    const kipuId = created.body.id
    await hub.api('PUT', `/api/connections/${kipuId}/mappings`, { valueMaps: { location: { middletown: '2' }, payerCode: { AET01: 'Aetna' }, program: { residential: 'Substance Use' } } })
    const path = '/pulls'
    const subscription = await subscribe(path, ['patient.linked', 'patient.updated_from_emr', 'insurance.pulled', 'pull.completed'])
    const kipuEvents = (type: string) => deliveriesTo(path, subscription.secret).filter((d) => d.event.type === type && d.event.data.connectionId === kipuId)
    const pullNow = async (query = '') => {
      const started = await hub.api('POST', `/api/connections/${kipuId}/pull${query}`)
      expect(started.status).toBe(202)
      // pull.completed is emitted with the job's success: its delivery says the pull is over.
      return waitFor('pull.completed delivered', async () => kipuEvents('pull.completed').find((d) => d.event.data.jobId === started.body.jobId))
    }
    try {
      const account = (await hub.api('POST', '/api/accounts', { name: 'Evented', insurances: [{ payerCode: 'AET01', memberId: 'A55', groupNumber: 'G55' }] })).body
      const { body: patient } = await hub.api('POST', '/api/patients', newPatient({ accountId: account.id, locationId: 'middletown', admissionDate: '2025-04-16', paymentMethod: 'insurance' }))
      const link = await waitFor('KIPU link', async () => {
        const { body } = await hub.api('GET', `/api/patients/${patient.id}`)
        return body.links.find((l: { connectionId: string; state: string }) => l.connectionId === kipuId && l.state === 'linked')
      })
      await waitFor('patient.linked from the KIPU push', async () => kipuEvents('patient.linked').some((d) => d.event.data.patientId === patient.id && d.event.data.via === 'push'))

      // KIPU staff admit the patient: the pull brings the post-admission fields and the insurance.
      await fetch(`${new URL(kipuUrl).origin}/_sim/patients/${encodeURIComponent(link.externalId)}/admit`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ admission_date: '2025-04-28 00:00:00' }),
      })
      const completed = await pullNow()
      expect(completed.event.data).toMatchObject({ connector: 'kipu', resources: { patient: expect.objectContaining({ updated: expect.any(Number) }) } })
      const updated = await waitFor('patient.updated_from_emr', async () => kipuEvents('patient.updated_from_emr').find((d) => d.event.data.patientId === patient.id))
      expect(updated.event.data).toMatchObject({ externalId: link.externalId, changedFields: expect.arrayContaining(['admissionDate']) })
      expect(updated.body).not.toContain('2025-04-28')
      const insurance = await waitFor('insurance.pulled', async () => kipuEvents('insurance.pulled').find((d) => d.event.data.patientId === patient.id))
      expect(insurance.event.data).toMatchObject({ externalId: link.externalId, added: 1, changed: 0 })
      expect(insurance.body).not.toContain('A55')

      // The census again, nothing changed: only the pull is announced.
      await pullNow('?full=true')
      await waitFor('no delivery waiting', async () => {
        const jobs = (await hub.api('GET', '/api/jobs?kind=deliver_event&limit=500')).body.items
        return jobs.every((j: { state: string }) => !['queued', 'running', 'retrying'].includes(j.state))
      })
      expect(kipuEvents('insurance.pulled').filter((d) => d.event.data.patientId === patient.id)).toHaveLength(1)
      expect(kipuEvents('patient.updated_from_emr').filter((d) => d.event.data.patientId === patient.id)).toHaveLength(1)
      expect(kipuEvents('pull.completed')).toHaveLength(2)
    } finally {
      await hub.api('DELETE', `/api/event-subscriptions/${subscription.id}`)
      await hub.api('PATCH', `/api/connections/${kipuId}`, { enabled: false })
    }
  })
})
