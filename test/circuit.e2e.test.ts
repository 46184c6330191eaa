import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRittenSimulator, type RittenSimulator } from '../simulators/ritten/server.js'
import { createTestDatabase, startHub, WAIT, waitFor, type RunningHub } from './harness.js'
import { connectRitten } from './rittenHelpers.js'

/**
 * A dead EMR: every call to the Ritten simulator fails while patients keep arriving. The
 * connection's circuit opens (logged once, shown in /metrics), the hub stops calling except for
 * one probe per pause, and when the EMR is back the backlog drains: each patient created once.
 */
let sim: RittenSimulator
let simUrl: string
let hub: RunningHub
let connectionId: string
let database: Awaited<ReturnType<typeof createTestDatabase>>
const PAUSE_SECONDS = 1
const PATIENTS = 12

beforeAll(async () => {
  sim = createRittenSimulator()
  simUrl = await sim.listen(0)
  database = await createTestDatabase()
  hub = await startHub({
    databaseUrl: database?.url,
    env: { CAREBRIDGE_CIRCUIT_FAILURES: '3', CAREBRIDGE_CIRCUIT_OPEN_SECONDS: String(PAUSE_SECONDS), CAREBRIDGE_RETRY_BASE_MS: '100', CAREBRIDGE_RETRY_MAX_MS: '400', CAREBRIDGE_MAX_ATTEMPTS: '8' },
  })
  connectionId = (await connectRitten(hub, simUrl)).id
})

afterAll(async () => {
  await hub?.stop()
  await sim?.close()
  await database?.drop()
})

const origin = () => new URL(simUrl).origin
async function simControl(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${origin()}${path}`, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined })
  return res.json()
}
async function simRequestCount(): Promise<number> {
  const { items } = await simControl('GET', '/_sim/requests')
  return items.length
}
async function circuitMetric(): Promise<number | null> {
  const text = await (await fetch(`${hub.url}/metrics`)).text()
  const line = text.split('\n').find((l) => l.startsWith('carebridge_circuit_state{') && l.includes(`connection="${connectionId}"`))
  return line ? Number(line.split(' ').at(-1)) : null
}

describe('a dead EMR', () => {
  it('opens the circuit, stops hammering, and drains the backlog exactly once when the EMR returns', async () => {
    await simControl('POST', '/_sim/faults', { errorRate: 1, status: 503 })
    const ids: string[] = []
    for (let i = 0; i < PATIENTS; i++) {
      const { status, body } = await hub.api('POST', '/api/patients', {
        firstName: 'Circuit',
        lastName: `Case${i}`,
        dob: `1988-04-${String(i + 1).padStart(2, '0')}`,
        gender: 'female',
        phone: '913-555-2003',
        email: `circuit${i}@example.com`,
        address: { line1: '2222 Home Street', city: 'Lawrence', state: 'KS', postalCode: '66044', country: 'US' },
      })
      expect(status).toBe(201)
      ids.push(body.id)
    }

    // Opened once, in the log with its reason, and visible in /metrics.
    const opening = await waitFor('the circuit opening in the log', async () => {
      const { body } = await hub.api('GET', `/api/exchanges?connectionId=${connectionId}&status=error`)
      return body.items.find((e: { operation: string }) => e.operation === 'circuit')
    }, WAIT.job)
    expect(opening.message).toMatch(/^Circuit opened: 3 failures in a row \(last: HTTP 503\); calls to Ritten test clinic are paused for 1 s/)
    expect(await circuitMetric()).toBeGreaterThan(0)

    // While it is down, at most one probe per pause (doubling) reaches the EMR, whatever the backlog.
    const before = await simRequestCount()
    await new Promise((resolve) => setTimeout(resolve, 4_000))
    const during = (await simRequestCount()) - before
    expect(during).toBeLessThanOrEqual(4)

    // No patient has used up its attempts waiting on the open circuit.
    for (const id of ids) {
      const { body } = await hub.api('GET', `/api/patients/${id}`)
      const link = body.links.find((l: { connectionId: string }) => l.connectionId === connectionId)
      expect(link?.state ?? 'pending').not.toBe('failed')
    }

    await simControl('DELETE', '/_sim/faults')
    for (const id of ids) {
      await waitFor(`patient ${id} linked`, async () => {
        const { body } = await hub.api('GET', `/api/patients/${id}`)
        return body.links.find((l: { connectionId: string; state: string }) => l.connectionId === connectionId && l.state === 'linked')
      }, WAIT.jobs(PATIENTS) + 16_000)
    }
    const records = await simControl('GET', '/_sim/records')
    for (const id of ids) expect(records.patients.filter((p: { externalId?: string }) => p.externalId === id)).toHaveLength(1)
    expect(await circuitMetric()).toBe(0)
  }, 180_000)
})
