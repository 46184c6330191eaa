import Fastify from 'fastify'
import { describe, expect, it, onTestFinished } from 'vitest'
import { BodyAdmission, BUSY_RETRY_AFTER_SECONDS, defaultBodyBudget, HEAP_BYTES_PER_BODY_BYTE, SMALL_BODY_BYTES } from './admission.js'

describe('BodyAdmission', () => {
  it('admits bodies while their sum fits the budget, and a body alone whatever its size', () => {
    const admission = new BodyAdmission(1_000)
    expect(admission.tryAdmit(5_000)).toBe(true) // alone: the body limit bounds it, not the budget
    expect(admission.tryAdmit(10)).toBe(false)
    admission.release(5_000)
    expect(admission.tryAdmit(600)).toBe(true)
    expect(admission.tryAdmit(400)).toBe(true)
    expect(admission.tryAdmit(1)).toBe(false)
    admission.release(600)
    expect(admission.tryAdmit(600)).toBe(true)
    expect(admission.inFlight).toEqual({ bytes: 1_000, count: 2 })
  })

  it('gives bodies half of the heap, at their measured cost per byte', () => {
    // A 128 MB old space: V8's limit is 176 MiB, so two ~4.8 MiB creates at once and not three.
    const budget = defaultBodyBudget(176 * 2 ** 20)
    expect(budget).toBe((176 * 2 ** 20) / 2 / HEAP_BYTES_PER_BODY_BYTE)
    expect(Math.floor(budget / (4.8 * 2 ** 20))).toBe(2)
  })

  it('answers 503 busy with Retry-After before reading a body that does not fit, and admits again once the first is answered', async () => {
    const admission = new BodyAdmission(3 * SMALL_BODY_BYTES)
    const app = Fastify({ bodyLimit: 10 * SMALL_BODY_BYTES })
    onTestFinished(() => app.close())
    let handled = 0
    let openGate!: () => void
    const gate = new Promise<void>((resolve) => (openGate = resolve))
    app.addHook('onRequest', admission.hook())
    app.post('/things', async () => {
      handled++
      await gate
      return { ok: true }
    })
    const body = (bytes: number) => ({ data: 'x'.repeat(bytes) })
    const first = app.inject({ method: 'POST', url: '/things', payload: body(2 * SMALL_BODY_BYTES) })
    while (handled === 0) await new Promise((r) => setTimeout(r, 5))
    const refused = await app.inject({ method: 'POST', url: '/things', payload: body(2 * SMALL_BODY_BYTES) })
    expect(refused.statusCode).toBe(503)
    expect(refused.headers['retry-after']).toBe(String(BUSY_RETRY_AFTER_SECONDS))
    expect(refused.json()).toMatchObject({ error: 'busy' })
    expect(handled).toBe(1)
    // A small body never waits behind large ones.
    const small = app.inject({ method: 'POST', url: '/things', payload: body(100) })
    openGate()
    expect((await first).statusCode).toBe(200)
    expect((await small).statusCode).toBe(200)
    expect(admission.inFlight).toEqual({ bytes: 0, count: 0 })
    expect((await app.inject({ method: 'POST', url: '/things', payload: body(2 * SMALL_BODY_BYTES) })).statusCode).toBe(200)
  })
})
