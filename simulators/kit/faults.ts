/**
 * Fault injection shared by every simulator. A fault rule applies to the requests it matches
 * (all non-/_sim requests by default), for `count` requests or until cleared.
 */
export interface FaultRule {
  /** Extra latency before the request is handled. */
  latencyMs?: number
  /**
   * The request is handled at once, its answer held this long: the work is done even if the
   * caller gives up or dies meanwhile (a slow answer lost in a crash).
   */
  answerDelayMs?: number
  /** Probability (0..1) that a matched request is answered with `status` instead of handled. */
  errorRate?: number
  /** Status used by errorRate; 500 by default. */
  status?: number
  /** Body message used with `status` (e.g. a validation message for a 400). */
  message?: string
  /** Seconds sent as Retry-After with a 429/503 fault. */
  retryAfter?: number
  /** Probability (0..1) that a matched request hangs and is never answered. */
  timeoutRate?: number
  /** Probability (0..1) that the request IS handled but its response is lost (socket destroyed). */
  dropResponseRate?: number
  /** Only requests whose "METHOD /path" matches this regular expression. */
  match?: string
  /** Apply to this many matched requests, then disappear. */
  count?: number
}

export type FaultDecision =
  | { kind: 'pass'; latencyMs: number; answerDelayMs?: number }
  | { kind: 'error'; latencyMs: number; status: number; message?: string; retryAfter?: number }
  | { kind: 'hang' }
  | { kind: 'drop'; latencyMs: number }

export class FaultPlan {
  private rules: (FaultRule & { remaining: number; pattern: RegExp | null })[] = []

  constructor(private readonly random: () => number = Math.random) {}

  set(rules: FaultRule[]): void {
    this.rules = rules.map((r) => ({
      ...r,
      remaining: r.count ?? Number.POSITIVE_INFINITY,
      pattern: r.match ? new RegExp(r.match) : null,
    }))
  }

  add(rule: FaultRule): void {
    this.set([...this.list(), rule])
  }

  list(): FaultRule[] {
    return this.rules.map(({ remaining, pattern: _pattern, ...rule }) => ({
      ...rule,
      ...(Number.isFinite(remaining) ? { count: remaining } : {}),
    }))
  }

  clear(): void {
    this.rules = []
  }

  /** Decide what happens to one request; consumes a use of each rule that fires. */
  decide(method: string, path: string): FaultDecision {
    const target = `${method.toUpperCase()} ${path}`
    let latencyMs = 0
    let answerDelayMs = 0
    for (const rule of this.rules) {
      if (rule.remaining <= 0) continue
      if (rule.pattern && !rule.pattern.test(target)) continue
      let fired = false
      if (rule.latencyMs) {
        latencyMs += rule.latencyMs
        fired = true
      }
      if (rule.answerDelayMs) {
        answerDelayMs += rule.answerDelayMs
        fired = true
      }
      const decision = this.outcome(rule, latencyMs)
      if (decision) {
        rule.remaining -= 1
        this.prune()
        return decision
      }
      if (fired) rule.remaining -= 1
    }
    this.prune()
    return { kind: 'pass', latencyMs, ...(answerDelayMs > 0 ? { answerDelayMs } : {}) }
  }

  private outcome(rule: FaultRule, latencyMs: number): FaultDecision | null {
    if (rule.timeoutRate && this.random() < rule.timeoutRate) return { kind: 'hang' }
    if (rule.errorRate && this.random() < rule.errorRate) {
      return {
        kind: 'error',
        latencyMs,
        status: rule.status ?? 500,
        message: rule.message,
        retryAfter: rule.retryAfter,
      }
    }
    if (rule.dropResponseRate && this.random() < rule.dropResponseRate) return { kind: 'drop', latencyMs }
    return null
  }

  private prune(): void {
    this.rules = this.rules.filter((r) => r.remaining > 0)
  }
}
