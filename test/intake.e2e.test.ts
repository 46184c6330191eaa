import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRittenSimulator, type RittenSimulator } from '../simulators/ritten/server.js'
import { createTestDatabase, startHub, WAIT, waitFor, type RunningHub } from './harness.js'
import { connectRitten } from './rittenHelpers.js'

/**
 * POST /api/patients takes one of two statements: a patient nobody pushes is written with its
 * audit event; for an organization with an enabled connection the statement also writes each
 * push (link, job, queue message). The hub guesses the statement from the organization's last
 * create: whatever the guess, each create makes one patient, one audit event, and a push for
 * each enabled connection.
 */
let sim: RittenSimulator
let simUrl: string
let hub: RunningHub
let database: Awaited<ReturnType<typeof createTestDatabase>>

beforeAll(async () => {
  sim = createRittenSimulator()
  simUrl = await sim.listen(0)
  database = await createTestDatabase()
  hub = await startHub({ databaseUrl: database?.url })
}, WAIT.start)

afterAll(async () => {
  await hub?.stop()
  await database?.drop()
  await sim?.close()
})

let made = 0
async function create(): Promise<{ id: string; links: { connectionId: string; state: string }[] }> {
  const { status, body } = await hub.api('POST', '/api/patients', { firstName: 'Way', lastName: `Chooser${++made}`, dob: '1990-01-01', email: `way${made}@example.com` })
  expect(status, JSON.stringify(body)).toBe(201)
  return body
}

describe('a create, as the organization gains and loses its connection', () => {
  it('writes one patient and one audit event each time, and enqueues a push exactly while a connection is enabled', async () => {
    const alone = [await create(), await create()]
    for (const patient of alone) expect(patient.links).toEqual([])

    const connection = await connectRitten(hub, simUrl, 'Ritten intake ways')
    // The guess says "nobody pushes": the short statement finds the connection and writes nothing; the one with the pushes makes the patient.
    const pushed = [await create(), await create()]
    for (const patient of pushed) expect(patient.links).toMatchObject([{ connectionId: connection.id, state: 'pending' }])

    expect((await hub.api('PATCH', `/api/connections/${connection.id}`, { enabled: false })).status).toBe(200)
    // The guess says "pushes": the statement with the pushes finds no connection and makes the patient alone.
    const afterDisable = [await create(), await create()]
    for (const patient of afterDisable) expect(patient.links).toEqual([])

    expect((await hub.api('PATCH', `/api/connections/${connection.id}`, { enabled: true })).status).toBe(200)
    const afterEnable = await create()
    expect(afterEnable.links).toMatchObject([{ connectionId: connection.id, state: 'pending' }])

    const all = [...alone, ...pushed, ...afterDisable, afterEnable]
    const listed = (await hub.api('GET', '/api/patients?limit=100')).body.items as { id: string }[]
    expect(listed.map((p) => p.id).sort()).toEqual(all.map((p) => p.id).sort())
    const audited = (await hub.api('GET', '/api/audit?action=patient.create&limit=100')).body.items as { targetId: string; targetType: string; actor: string }[]
    expect(audited.map((e) => e.targetId).sort()).toEqual(all.map((p) => p.id).sort())
    for (const event of audited) expect(event).toMatchObject({ targetType: 'patient', actor: expect.any(String) })

    // Each pushed patient reaches Ritten (the jobs were enqueued with it); the others never do.
    for (const patient of [...pushed, afterEnable]) {
      await waitFor(`${patient.id} linked`, async () => (await hub.api('GET', `/api/patients/${patient.id}`)).body.links[0]?.state === 'linked', WAIT.jobs(3))
    }
    for (const patient of [...alone, ...afterDisable]) expect((await hub.api('GET', `/api/patients/${patient.id}`)).body.links).toEqual([])
  }, WAIT.jobs(10))
})
