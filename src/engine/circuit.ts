import type { ConnectorHttp, HttpRequest, HttpResponse, StreamedResponse } from '../connectors/http.js'
import { ConnectorError, isConnectorError } from '../connectors/errors.js'
import { circuitOpened, circuitState } from '../observability/metrics.js'

export type CircuitStateName = 'closed' | 'open' | 'half_open'

export interface CircuitPolicy {
  /** Failures in a row (network errors, timeouts, 5xx) that open the circuit. */
  failures: number
  /** How long the first opening lasts; each failed probe doubles it, up to `maxOpenMs`. */
  openMs: number
  maxOpenMs: number
}

export const DEFAULT_CIRCUIT_POLICY: CircuitPolicy = { failures: 5, openMs: 15_000, maxOpenMs: 120_000 }

export type CircuitVerdict = { allowed: true } | { allowed: false; retryAfterMs: number; since: Date }

/**
 * A circuit breaker for one connection (per process). A system that fails every call — down,
 * or answering 5xx — is not called again until a pause has passed: then one call probes it
 * (half-open). A probe that succeeds closes the circuit; one that fails reopens it for twice as
 * long. Without it, every queued job would spend its retries on a system that cannot answer,
 * and the system would be hammered as it tries to come back.
 */
export class CircuitBreaker {
  #state: CircuitStateName = 'closed'
  #failures = 0
  #openMs: number
  #openUntil = 0
  #openedAt: Date | null = null
  #probing = false

  constructor(
    readonly policy: CircuitPolicy = DEFAULT_CIRCUIT_POLICY,
    private readonly now: () => number = Date.now,
  ) {
    this.#openMs = policy.openMs
  }

  get state(): CircuitStateName {
    return this.#state
  }

  /** May a call go out now? In half-open state, one call at a time probes the system. */
  before(): CircuitVerdict {
    if (this.#state === 'open') {
      const wait = this.#openUntil - this.now()
      if (wait > 0) return { allowed: false, retryAfterMs: wait, since: this.#openedAt! }
      this.#state = 'half_open'
    }
    if (this.#state === 'half_open') {
      if (this.#probing) return { allowed: false, retryAfterMs: Math.min(this.policy.openMs, 1000), since: this.#openedAt! }
      this.#probing = true
    }
    return { allowed: true }
  }

  /** The system answered (any status below 500, 429 included: it is alive and pacing us). */
  succeeded(): void {
    this.#probing = false
    this.#failures = 0
    this.#openMs = this.policy.openMs
    this.#openedAt = null
    this.#state = 'closed'
  }

  /** The call failed in a way that says the system is down; returns true when this opened the circuit. */
  failed(): boolean {
    const probe = this.#state === 'half_open'
    this.#probing = false
    this.#failures += 1
    if (probe) this.#openMs = Math.min(this.policy.maxOpenMs, this.#openMs * 2)
    if (probe || (this.#state === 'closed' && this.#failures >= this.policy.failures)) {
      const opening = this.#state === 'closed'
      this.#state = 'open'
      this.#openUntil = this.now() + this.#openMs
      if (opening) this.#openedAt = new Date(this.now())
      return opening
    }
    return false
  }

  /** A call that never got an answer either way (e.g. the pacer gave up): a probe slot is freed. */
  abandoned(): void {
    this.#probing = false
  }

  /** How long the circuit stays open now, for messages. */
  get openMs(): number {
    return this.#openMs
  }

  get consecutiveFailures(): number {
    return this.#failures
  }
}

const circuits = new Map<string, CircuitBreaker>()

/** The process's circuit for a connection: every job of that connection in this process shares it. */
export function circuitFor(connectionId: string, policy: CircuitPolicy = DEFAULT_CIRCUIT_POLICY): CircuitBreaker {
  let circuit = circuits.get(connectionId)
  if (!circuit || circuit.policy.failures !== policy.failures || circuit.policy.openMs !== policy.openMs || circuit.policy.maxOpenMs !== policy.maxOpenMs) {
    circuit = new CircuitBreaker(policy)
    circuits.set(connectionId, circuit)
  }
  return circuit
}

/** Whether an error is a circuit's refusal (the job waits without spending an attempt). */
export function isCircuitOpen(err: unknown): err is ConnectorError {
  return isConnectorError(err) && err.code === 'circuit_open'
}

/**
 * The HTTP door behind a connection's circuit: while the circuit is open no call goes out and the
 * caller gets a retryable `circuit_open` error whose Retry-After is the rest of the pause. The
 * opening itself is one entry in the integration log (not one per refused call).
 */
export function withCircuit(http: ConnectorHttp, circuit: CircuitBreaker, connection: { id: string; name: string; connector: string }): ConnectorHttp {
  const publish = () => circuitState.set({ connection: connection.id, connector: connection.connector }, circuit.state === 'closed' ? 0 : circuit.state === 'half_open' ? 1 : 2)
  const guarded = async <T extends HttpResponse>(request: HttpRequest, send: (request: HttpRequest) => Promise<T>): Promise<T> => {
    const verdict = circuit.before()
    publish()
    if (!verdict.allowed) {
      throw new ConnectorError({
        code: 'circuit_open',
        message: `${connection.name} is not answering: calls are paused (circuit open since ${verdict.since.toISOString()}); the next try is in ${Math.ceil(verdict.retryAfterMs / 1000)} s`,
        retryable: true,
        retryAfterMs: verdict.retryAfterMs,
      })
    }
    let response: T
    try {
      response = await send(request)
    } catch (err) {
      if (isConnectorError(err) && (err.code === 'network' || err.code === 'timeout')) await noteFailure(err.message)
      else circuit.abandoned()
      publish()
      throw err
    }
    if (response.status >= 500) await noteFailure(`HTTP ${response.status}`)
    else circuit.succeeded()
    publish()
    return response
  }
  const noteFailure = async (last: string) => {
    if (!circuit.failed()) return
    circuitOpened.inc({ connection: connection.id, connector: connection.connector })
    await http.recordRefusal({
      operation: 'circuit',
      method: 'GET',
      url: '',
      body: null,
      message: `Circuit opened: ${circuit.consecutiveFailures} failures in a row (last: ${last}); calls to ${connection.name} are paused for ${Math.round(circuit.openMs / 1000)} s, then one call probes it`,
      details: { circuit: 'open', failures: circuit.consecutiveFailures, pauseMs: circuit.openMs },
    })
  }
  return {
    request: (request) => guarded(request, (r) => http.request(r)),
    ...(http.streamLines ? { streamLines: (request: HttpRequest) => guarded<StreamedResponse>(request, (r) => http.streamLines!(r)) } : {}),
    recordRefusal: (entry) => http.recordRefusal(entry),
  }
}
