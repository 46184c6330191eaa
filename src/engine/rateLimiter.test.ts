import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertConnection, openTestDatabase, type TestDatabase } from '../../test/database.js'
import { createRittenSimulator, DEMO_RITTEN, type RittenSimulator } from '../../simulators/ritten/server.js'
import { TokenBucket } from '../../simulators/ritten/rate-limit.js'
import type { RateLimitPolicy } from '../connectors/connector.js'
import { rittenConnector } from '../connectors/ritten/connector.js'
import { createRecordingHttp } from '../exchanges/recorder.js'
import { createPacer } from './rateLimiter.js'
import { createEcwSimulator } from '../../simulators/ecw/server.js'
import { createTestKey, requestToken, signClientAssertion } from '../../simulators/ecw/testing.js'
import { ECW_TRANSIT_ALLOWANCE_SECONDS, ecwPacing } from '../connectors/ecw/client.js'

/**
 * The hub's own pacing, held in the database. Driven by a clock the pacer's waits move forward,
 * minutes of pacing take no time; one test keeps the real clock, against Ritten's simulator.
 */
let database: TestDatabase

beforeAll(async () => {
  database = await openTestDatabase()
})

afterAll(async () => {
  await database?.close()
})

/** A clock that stands still until the pacer sleeps: its sleeps move it forward instead of waiting. */
function steppedClock(start: string) {
  let ms = Date.parse(start)
  return {
    now: () => new Date(ms),
    ms: () => ms,
    sleep: async (wait: number) => {
      ms += wait
    },
  }
}

/** `count` calls one after another through a fresh connection's pacer; the clock time each call leaves at. */
async function pacedCalls(policy: RateLimitPolicy, clock: ReturnType<typeof steppedClock>, count: number): Promise<number[]> {
  const { connectionId } = await insertConnection(database.db, { connector: 'ritten' })
  const pacer = createPacer(database.db, connectionId, policy, clock.sleep, clock.now)
  const sent: number[] = []
  for (let i = 0; i < count; i++) {
    await pacer.take()
    sent.push(clock.ms())
  }
  return sent
}

describe('pacing on an injected clock', () => {
  it("keeps a burst of Ritten calls inside Ritten's bucket (100, 50 a second) even when the first call travels slowest", async () => {
    const policy = rittenConnector.rateLimit as RateLimitPolicy
    const clock = steppedClock('2026-11-30T10:00:00.000Z')
    const start = clock.ms()
    const sent = await pacedCalls(policy, clock, 300)

    // Ritten's own limiter (the simulator's) on the same clock. The first call reaches it 150 ms
    // after it left, every other one 1 ms after: Ritten's bucket starts refilling that much later.
    let arrival = start
    const ritten = new TokenBucket(100, 50, () => arrival)
    const refused = sent.filter((at, i) => {
      arrival = at + (i === 0 ? 150 : 1)
      return !ritten.take()
    })
    expect(refused).toEqual([])
    // The first 90 leave at once, the rest one every 20 ms: the pacing is no slower than it must be.
    expect(sent[89]! - start).toBe(0)
    expect(sent.at(-1)! - start).toBeGreaterThanOrEqual(4_180)
    expect(sent.at(-1)! - start).toBeLessThanOrEqual(4_220)
  })

  it('holds a per-minute window (250 a clock minute): the 251st call waits for the next minute', async () => {
    const clock = steppedClock('2026-11-30T10:00:30.000Z')
    const start = clock.ms()
    const sent = await pacedCalls({ kind: 'window', limit: 250, windowSeconds: 60 }, clock, 600)

    const perMinute = new Map<number, number>()
    for (const at of sent) perMinute.set(Math.floor(at / 60_000), (perMinute.get(Math.floor(at / 60_000)) ?? 0) + 1)
    expect([...perMinute.values()]).toEqual([250, 250, 100])
    // Nothing waits while the minute has room; the rest leave as each new minute starts.
    expect(sent[249]).toBe(start)
    // …at the minute's first moment, not after: time slept past it would be budget unused.
    expect(sent[250]).toBe(Date.parse('2026-11-30T10:01:00.000Z'))
    expect(sent[500]).toBe(Date.parse('2026-11-30T10:02:00.000Z'))
  })

  it("keeps ECW's every minute within the limit while the calls' transit times differ by less than the allowance, and uses over 95% of it", async () => {
    const clock = steppedClock('2026-11-30T13:00:00.000Z')
    const start = clock.ms()
    const policy = ecwPacing(250) as Extract<RateLimitPolicy, { kind: 'rolling' }>
    const sent = await pacedCalls(policy, clock, 1_000)
    // Each call reaches ECW 0–2 s after it left (just under the allowance), where it hurts most: a
    // backlog leaves in bursts of 250, and every other burst travels slowest. ECW's minutes start at every offset of ours.
    const transit = (i: number) => (Math.floor(i / 250) % 2 === 0 ? ECW_TRANSIT_ALLOWANCE_SECONDS * 1000 - 1 : 0)
    const arrivals = sent.map((at, i) => at + transit(i))
    const worstMinute = (times: number[]) => {
      let worst = 0
      for (let offset = 0; offset < 60_000; offset += 250) {
        const perMinute = new Map<number, number>()
        for (const at of times) perMinute.set(Math.floor((at + offset) / 60_000), (perMinute.get(Math.floor((at + offset) / 60_000)) ?? 0) + 1)
        worst = Math.max(worst, ...perMinute.values())
      }
      return worst
    }
    expect(worstMinute(arrivals)).toBeLessThanOrEqual(250)
    // The control: a rolling minute without the allowance lets the same transit times put more than 250 into one of ECW's minutes.
    const unallowed = await pacedCalls({ ...policy, windowSeconds: 60 }, steppedClock('2026-11-30T14:00:00.000Z'), 1_000)
    expect(worstMinute(unallowed.map((at, i) => at + transit(i)))).toBeGreaterThan(250)
    // The budget used over a long backlog: 1,000 calls in four spans of 62 s, 96.8% of 250 a minute.
    const perMinute = (sent.length - 1) / ((sent.at(-1)! - start) / 60_000)
    expect(perMinute / 250).toBeGreaterThan(0.95)
  })

  it('charges a call that comes late to its own slot only: the rest of the ring keeps its times', async () => {
    // Five slots of 62 s, first used 10 s apart. In the second cycle the third call comes 3 s
    // after its slot freed (every worker was busy): that slot's later uses move 3 s, no other's,
    // so a late call costs the budget its lateness ÷ 62 s of one call, not the whole ring's.
    const { connectionId } = await insertConnection(database.db, { connector: 'ecw' })
    const clock = steppedClock('2026-11-30T15:00:00.000Z')
    const start = clock.ms()
    const pacer = createPacer(database.db, connectionId, { kind: 'rolling', limit: 5, windowSeconds: 62 }, clock.sleep, clock.now)
    const sent: number[] = []
    const call = async (comesAt?: number) => {
      if (comesAt !== undefined && clock.ms() < start + comesAt) await clock.sleep(start + comesAt - clock.ms())
      await pacer.take()
      sent.push((clock.ms() - start) / 1000)
    }
    for (const at of [0, 10_000, 20_000, 30_000, 40_000]) await call(at)
    await call()
    await call()
    await call(85_000)
    for (let i = 0; i < 7; i++) await call()
    expect(sent).toEqual([0, 10, 20, 30, 40, 62, 72, 85, 92, 102, 124, 134, 147, 154, 164])
  })

  it("keeps a sustained run of calls under ECW's per-minute limit with ECW's minute 29.5 s off ours: no 429, where unpaced calls meet them", async () => {
    const clock = steppedClock('2026-11-30T12:00:10.000Z')
    const start = clock.ms()
    const key = await createTestKey()
    // ECW's limiter counts each clock minute of ECW's own clock, which runs 29.5 s ahead of ours.
    const ecw = createEcwSimulator({ practices: [{ code: 'FFBJCD', clients: [] }], demo: false, ratePerMinute: 20, now: () => clock.ms(), clockOffsetMs: 29_500, fetchJwks: async () => ({ keys: [key.publicJwk] }) })
    await ecw.listen(0)
    await ecw.ready
    try {
      const base = ecw.baseUrl('FFBJCD')
      const tokenUrl = `${base}/oauth/oauth2/token`
      /** A token, then `count` searches, each after `take` (the pacer, or nothing); the statuses ECW answered. */
      const calls = async (clientId: string, take: () => Promise<void>, count: number) => {
        ecw.registerClient('FFBJCD', { clientId, jwksUrl: 'http://127.0.0.1:9/jwks.json', scopes: ['system/Patient.rs'] })
        await take()
        const assertion = await signClientAssertion({ key, clientId, aud: tokenUrl, now: clock.ms() + 29_500 })
        const minted = await requestToken(tokenUrl, assertion, 'system/Patient.rs')
        const statuses = [minted.status]
        for (let i = 0; i < count; i++) {
          await take()
          const res = await fetch(`${base}/Patient?family=Pace${i}`, { headers: { authorization: `Bearer ${String(minted.body.access_token)}`, accept: 'application/fhir+json' } })
          statuses.push(res.status)
        }
        return statuses
      }
      // The control: the same calls unpaced overflow ECW's minute.
      expect((await calls('unpaced', async () => undefined, 40)).filter((s) => s === 429).length).toBeGreaterThan(0)

      const { connectionId } = await insertConnection(database.db, { connector: 'ecw' })
      const pacer = createPacer(database.db, connectionId, ecwPacing(20), clock.sleep, clock.now)
      const paced = await calls('paced', () => pacer.take(), 60)
      expect(paced.filter((s) => s !== 200)).toEqual([])
      // 61 calls at 20 in any 62 s (ECW's 20 a minute and the transit allowance): three spans of waiting, in no time.
      expect(clock.ms() - start).toBeGreaterThanOrEqual(3 * 62_000)
    } finally {
      await ecw.close()
    }
  })

  it('shares one budget between the pacers of several workers', async () => {
    const { connectionId } = await insertConnection(database.db, { connector: 'ritten' })
    const clock = steppedClock('2026-11-30T11:00:00.000Z')
    const policy: RateLimitPolicy = { kind: 'bucket', capacity: 10, refillPerSecond: 5 }
    const workers = [0, 1, 2].map(() => createPacer(database.db, connectionId, policy, clock.sleep, clock.now))
    // Thirty calls taken in turn by three workers: the bucket is one, so 20 of them wait 200 ms each in all.
    for (let i = 0; i < 30; i++) await workers[i % 3]!.take()
    expect(clock.ms() - Date.parse('2026-11-30T11:00:00.000Z')).toBeGreaterThanOrEqual(3_980)
  })
})

/**
 * This machine's two shared cores send at most some 40 calls a second through the hub's door
 * (each call is recorded in the database), under Ritten's 50: a burst at Ritten's own rate would
 * never meet its limit, with or without pacing. So Ritten's clock here runs ten times slower —
 * its bucket refills 5 a second of our time — and the hub paces with Ritten's policy slowed alike:
 * the real clock, the database's clock, real waits and real transit, at a rate the machine beats.
 */
const SLOWER = 10
const slowedRitten = (): RateLimitPolicy => {
  const policy = rittenConnector.rateLimit as Extract<RateLimitPolicy, { kind: 'bucket' }>
  return { ...policy, refillPerSecond: policy.refillPerSecond / SLOWER }
}

describe('pacing on the real clock', () => {
  let sim: RittenSimulator
  let base: string
  let token: string

  beforeAll(async () => {
    const start = Date.now()
    sim = createRittenSimulator({ now: () => start + (Date.now() - start) / SLOWER })
    base = await sim.listen(0)
    token = await newToken()
  })

  afterAll(async () => {
    await sim?.close()
  })

  async function newToken(): Promise<string> {
    const res = await sim.app.inject({
      method: 'POST',
      url: '/v1/oauth/token',
      payload: { grant_type: 'client_credentials', client_id: DEMO_RITTEN.clientId, client_secret: DEMO_RITTEN.clientSecret, audience: DEMO_RITTEN.audience },
    })
    return res.json().access_token
  }

  /**
   * `count` Ritten calls through the hub's HTTP door by 16 callers at once (a hub's workers),
   * paced by `policy` on the database clock; the statuses Ritten answered.
   */
  async function burst(count: number, policy: RateLimitPolicy): Promise<number[]> {
    const { organizationId, connectionId } = await insertConnection(database.db, { connector: 'ritten' })
    const http = createRecordingHttp({
      db: database.db,
      scope: { organizationId, connectionId, connector: 'ritten', syncJobId: null, recordType: null, recordId: null, attempt: 1 },
      pacer: createPacer(database.db, connectionId, policy),
      timeoutMs: 60_000,
    })
    const statuses: number[] = []
    let next = 0
    const caller = async () => {
      for (let i = next++; i < count; i = next++) {
        const answer = await http.request({ operation: 'lookup', method: 'GET', url: `${base}/patients/external/burst-${i}`, headers: { authorization: `Bearer ${token}`, 'x-ritten-tenant': DEMO_RITTEN.tenant } })
        statuses.push(answer.status)
      }
    }
    await Promise.all(Array.from({ length: 16 }, caller))
    return statuses
  }

  it('sends a burst of 140 calls without one 429, where the same callers unpaced meet them', async () => {
    // The control: the same callers doing the same work with a pacer that never waits overflow Ritten's bucket.
    const unpaced = await burst(140, { kind: 'bucket', capacity: 1_000_000, refillPerSecond: 1_000_000 })
    expect(unpaced.filter((s) => s === 429).length).toBeGreaterThan(0)
    // A fresh Ritten (full bucket), and a token for it.
    await sim.app.inject({ method: 'POST', url: '/_sim/reset' })
    token = await newToken()

    const paced = await burst(140, slowedRitten())
    expect(paced.filter((s) => s === 429)).toEqual([])
    expect(paced).toHaveLength(140)
    expect(paced.every((s) => s === 404)).toBe(true)
  }, 60_000)
})
