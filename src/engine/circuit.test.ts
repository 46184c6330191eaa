import { describe, expect, it } from 'vitest'
import type { ConnectorHttp, HttpRequest, HttpResponse } from '../connectors/http.js'
import { ConnectorError } from '../connectors/errors.js'
import { CircuitBreaker, isCircuitOpen, withCircuit } from './circuit.js'

const policy = { failures: 3, openMs: 1000, maxOpenMs: 4000 }

function clock() {
  let t = 0
  return { now: () => t, advance: (ms: number) => (t += ms) }
}

describe('CircuitBreaker', () => {
  it('opens after the failures in a row, not after failures separated by answers', () => {
    const c = clock()
    const circuit = new CircuitBreaker(policy, c.now)
    circuit.failed()
    circuit.failed()
    circuit.succeeded()
    circuit.failed()
    circuit.failed()
    expect(circuit.state).toBe('closed')
    expect(circuit.failed()).toBe(true)
    expect(circuit.state).toBe('open')
    expect(circuit.before()).toEqual({ allowed: false, retryAfterMs: 1000, since: new Date(0) })
  })

  it('half-opens after the pause with one probe at a time; a failed probe doubles the pause up to the cap, a good one closes', () => {
    const c = clock()
    const circuit = new CircuitBreaker(policy, c.now)
    for (let i = 0; i < 3; i++) circuit.failed()
    c.advance(1000)
    expect(circuit.before()).toEqual({ allowed: true })
    expect(circuit.state).toBe('half_open')
    expect(circuit.before().allowed).toBe(false)
    expect(circuit.failed()).toBe(false) // reopened, not a new opening
    expect(circuit.state).toBe('open')
    expect(circuit.openMs).toBe(2000)
    c.advance(2000)
    circuit.before()
    circuit.failed()
    c.advance(4000)
    circuit.before()
    circuit.failed()
    expect(circuit.openMs).toBe(4000)
    c.advance(4000)
    expect(circuit.before()).toEqual({ allowed: true })
    circuit.succeeded()
    expect(circuit.state).toBe('closed')
    expect(circuit.openMs).toBe(1000)
    expect(circuit.before()).toEqual({ allowed: true })
  })
})

describe('withCircuit', () => {
  function fakeHttp(answer: () => Promise<number>) {
    const refusals: string[] = []
    let sent = 0
    const http: ConnectorHttp = {
      async request(): Promise<HttpResponse> {
        sent += 1
        const status = await answer()
        return { status, headers: new Headers(), text: '', json: undefined, exchangeId: `x${sent}` }
      },
      async recordRefusal(entry) {
        refusals.push(entry.message)
        return 'r'
      },
    }
    return { http, refusals, sent: () => sent }
  }
  const request: HttpRequest = { operation: 'create', method: 'POST', url: 'http://127.0.0.1:1/v1/patients', json: {} }

  it('stops calling a system that answers 5xx, logs the opening once, and refuses with a retryable wait', async () => {
    const c = clock()
    const fake = fakeHttp(async () => 503)
    const http = withCircuit(fake.http, new CircuitBreaker(policy, c.now), { id: 'c1', name: 'Ritten', connector: 'ritten' })
    for (let i = 0; i < 3; i++) expect((await http.request(request)).status).toBe(503)
    const refused = await http.request(request).catch((err: unknown) => err)
    expect(isCircuitOpen(refused)).toBe(true)
    expect(refused).toMatchObject({ retryable: true, retryAfterMs: 1000 })
    await http.request(request).catch(() => undefined)
    expect(fake.sent()).toBe(3)
    expect(fake.refusals).toEqual([expect.stringMatching(/^Circuit opened: 3 failures in a row \(last: HTTP 503\); calls to Ritten are paused for 1 s/)])
  })

  it('counts network errors and timeouts, not 4xx or 429, and frees the probe when a call fails for another reason', async () => {
    const c = clock()
    let next: () => Promise<number> = async () => {
      throw new ConnectorError({ code: 'timeout', message: 'create: no answer within 15000 ms', retryable: true })
    }
    const fake = fakeHttp(() => next())
    const circuit = new CircuitBreaker(policy, c.now)
    const http = withCircuit(fake.http, circuit, { id: 'c1', name: 'Ritten', connector: 'ritten' })
    await http.request(request).catch(() => undefined)
    next = async () => 429
    await http.request(request)
    next = async () => 400
    await http.request(request)
    expect(circuit.consecutiveFailures).toBe(0)
    next = async () => {
      throw new ConnectorError({ code: 'network', message: 'connection refused', retryable: true })
    }
    for (let i = 0; i < 3; i++) await http.request(request).catch(() => undefined)
    expect(circuit.state).toBe('open')
    c.advance(1000)
    next = async () => {
      throw new Error('pacer gave up')
    }
    await http.request(request).catch(() => undefined)
    expect(circuit.before()).toEqual({ allowed: true }) // the probe slot was freed
  })
})
