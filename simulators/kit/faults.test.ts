import { describe, expect, it } from 'vitest'
import { FaultPlan } from './faults.js'

describe('FaultPlan', () => {
  it('passes everything when no rule is set', () => {
    expect(new FaultPlan().decide('GET', '/x')).toEqual({ kind: 'pass', latencyMs: 0 })
  })

  it('answers the given status for `count` matching requests, then passes', () => {
    const plan = new FaultPlan()
    plan.set([{ errorRate: 1, status: 503, count: 2, match: '^POST /patients$' }])
    expect(plan.decide('GET', '/patients').kind).toBe('pass')
    expect(plan.decide('POST', '/patients')).toMatchObject({ kind: 'error', status: 503 })
    expect(plan.decide('POST', '/patients')).toMatchObject({ kind: 'error', status: 503 })
    expect(plan.decide('POST', '/patients').kind).toBe('pass')
    expect(plan.list()).toEqual([])
  })

  it('adds latency from every matching rule and can drop a response after handling', () => {
    const plan = new FaultPlan()
    plan.set([{ latencyMs: 20 }, { dropResponseRate: 1, count: 1 }])
    expect(plan.decide('POST', '/a')).toEqual({ kind: 'drop', latencyMs: 20 })
    expect(plan.decide('POST', '/a')).toEqual({ kind: 'pass', latencyMs: 20 })
  })

  it('holds the answer of a request it lets through, for `count` requests', () => {
    const plan = new FaultPlan()
    plan.set([{ answerDelayMs: 5000, count: 1, match: '^POST ' }])
    expect(plan.decide('GET', '/a')).toEqual({ kind: 'pass', latencyMs: 0 })
    expect(plan.decide('POST', '/a')).toEqual({ kind: 'pass', latencyMs: 0, answerDelayMs: 5000 })
    expect(plan.decide('POST', '/a')).toEqual({ kind: 'pass', latencyMs: 0 })
  })

  it('hangs a request on a timeout fault', () => {
    const plan = new FaultPlan(() => 0)
    plan.set([{ timeoutRate: 0.5 }])
    expect(plan.decide('GET', '/a')).toEqual({ kind: 'hang' })
  })
})
