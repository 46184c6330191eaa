import { describe, expect, it } from 'vitest'
import { ConnectorError } from '../connectors/errors.js'
import { DatabaseAvailability, databaseShortOf, isDatabaseBusy, isDatabaseUnavailable } from './availability.js'

describe('isDatabaseUnavailable', () => {
  it('names outages, not query faults', () => {
    expect(isDatabaseUnavailable(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toBe(true)
    expect(isDatabaseUnavailable(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toBe(true)
    expect(isDatabaseUnavailable(Object.assign(new Error('the database system is starting up'), { code: '57P03' }))).toBe(true)
    expect(isDatabaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true)
    expect(isDatabaseUnavailable(new Error('wrapped', { cause: Object.assign(new Error('x'), { code: '08006' }) }))).toBe(true)
    expect(isDatabaseUnavailable(new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })]))).toBe(true)
    expect(isDatabaseUnavailable(Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' }))).toBe(false)
    expect(isDatabaseUnavailable(Object.assign(new Error('syntax error'), { code: '42601' }))).toBe(false)
    expect(isDatabaseUnavailable(new Error('Cannot read properties of undefined'))).toBe(false)
    expect(isDatabaseUnavailable(undefined)).toBe(false)
    // An EMR that drops or refuses a connection is the EMR's failure, whatever its socket's error says.
    for (const code of ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT']) {
      const socket = Object.assign(new Error(`socket ${code}`), { code })
      expect(isDatabaseUnavailable(new ConnectorError({ code: 'network', message: `create: network error: ${code}`, retryable: true, cause: new Error('request failed', { cause: socket }) }))).toBe(false)
      expect(isDatabaseUnavailable(new Error('request failed', { cause: socket }))).toBe(true)
    }
    // Waiting for a free pooled connection too long is a busy database, not an outage.
    expect(isDatabaseUnavailable(new Error('timeout exceeded when trying to connect'))).toBe(false)
    expect(isDatabaseBusy(new Error('timeout exceeded when trying to connect'))).toBe(true)
    expect(isDatabaseBusy(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(false)
  })
})

describe('databaseShortOf', () => {
  it('names a full disk and other missing resources, and nothing else', () => {
    const full = Object.assign(new Error('could not extend file "base/5/16385": No space left on device'), { code: '53100' })
    expect(databaseShortOf(full)).toBe('disk')
    expect(databaseShortOf(new Error('wrapped', { cause: full }))).toBe('disk')
    expect(databaseShortOf(Object.assign(new Error('out of memory'), { code: '53200' }))).toBe('resources')
    expect(databaseShortOf(Object.assign(new Error('too many clients'), { code: '53300' }))).toBe('resources')
    expect(databaseShortOf(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(null)
    expect(databaseShortOf(new Error('no code'))).toBe(null)
    // A full disk is no outage: reads still work, and the probe would find the database up.
    expect(isDatabaseUnavailable(full)).toBe(false)
  })
})

describe('DatabaseAvailability', () => {
  it('logs an outage once, probes until the database answers, then wakes whoever waits', async () => {
    const lines: string[] = []
    let answering = false
    const availability = new DatabaseAvailability(
      async () => {
        if (!answering) throw Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })
      },
      { warn: (_o, msg) => lines.push(msg), info: (_o, msg) => lines.push(msg) },
      20,
    )
    const outage = Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })
    expect(availability.noteFailure(new Error('a bug'))).toBe(false)
    expect(availability.up).toBe(true)
    for (let i = 0; i < 5; i++) expect(availability.noteFailure(outage)).toBe(true)
    expect(availability.up).toBe(false)
    expect(lines).toEqual(['database unreachable: API answers 503 and workers wait until it is back'])

    expect(await availability.waitUntilUp(60)).toBe(false)
    const waiting = availability.waitUntilUp(5000)
    answering = true
    expect(await waiting).toBe(true)
    expect(availability.up).toBe(true)
    expect(lines).toHaveLength(2)
    expect(lines[1]).toBe('database reachable again')
    availability.stop()
  })

  it('takes a write refused for want of disk or memory as the database condition it is, and anything else as a fault', () => {
    const lines: string[] = []
    const availability = new DatabaseAvailability(async () => undefined, { warn: (_o, msg) => lines.push(msg), info: (_o, msg) => lines.push(msg) })
    const diskFull = Object.assign(new Error('could not extend file "base/5/17282_fsm": No space left on device'), { code: '53100' })
    expect(availability.isDatabaseCondition(new Error('wrapped', { cause: diskFull }))).toBe(true)
    expect(availability.isDatabaseCondition(Object.assign(new Error('out of memory'), { code: '53200' }))).toBe(true)
    expect(availability.up, 'a full disk is no outage: reads still work').toBe(true)
    expect(availability.isDatabaseCondition(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(false)
    expect(availability.isDatabaseCondition(new TypeError('a bug'))).toBe(false)
    expect(lines).toEqual([
      'a background write was refused: the database is short of disk space',
      'a background write was refused: the database is short of resources',
    ])
    expect(availability.isDatabaseCondition(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBe(true)
    expect(availability.up).toBe(false)
    availability.stop()
  })
})
