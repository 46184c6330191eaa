/**
 * The contract every connector is held to, run without a hub (see testing.ts): a lost create
 * answer never makes a second record, 429 and 5xx are worth retrying (with Retry-After), a 4xx
 * waits for a person with the system's own words, and credentials never reach the log.
 * A connector's test file calls `connectorContract` with a world around its simulator.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import type { Connector, PatientPushInput, PushFlow } from './connector.js'
import { attemptPush, type FakeContext } from './testing.js'

export interface ContractWorld<Input = PatientPushInput> {
  connector: Connector<any, any, any>
  /** The push flow held to the contract: the patient push unless given (e.g. a referral destination's pushReferral). */
  flow?: PushFlow<Input, any, any>
  /** A fresh context talking to the system (its simulator) with working credentials. */
  context(): FakeContext<any, any>
  /** A new CRM record this connector can send. */
  input(): Input
  /** A record the system refuses (4xx), and what its refusal must name. */
  refused(): { input: Input; names: RegExp }
  /** The CRM id the system keeps for a record (default: the patient's id). */
  recordId?(input: Input): string
  /** How many records the system holds for this CRM record. */
  records(recordId: string): Promise<number>
  /** The system's next create answers `status` (with Retry-After seconds when given). */
  failNextCreate(status: number, retryAfter?: number): Promise<void>
  /** The operation name of the connector's create call, as logged. */
  createOperation: string
  /** Credential values that must never be recorded. */
  secrets: string[]
}

export function connectorContract<Input = PatientPushInput>(setup: () => Promise<ContractWorld<Input>>): void {
  describe('connector contract', () => {
    let world: ContractWorld<Input>
    beforeAll(async () => {
      world = await setup()
    })
    const flow = (): PushFlow<Input, any, any> => world.flow ?? (world.connector.flows.pushPatient as unknown as PushFlow<Input, any, any>)
    const idOf = (input: Input) => (world.recordId ? world.recordId(input) : (input as PatientPushInput).patient.id)

    it('resolves a lost create answer on retry, never making a second record', async () => {
      const { ctx, loseAnswer } = world.context()
      const input = world.input()
      loseAnswer(world.createOperation)
      const first = await attemptPush(flow(), input, ctx)
      expect(first.ok).toBe(false)
      if (first.ok) return
      expect(first.error.retryable).toBe(true)
      expect(await world.records(idOf(input))).toBe(1)
      const second = await attemptPush(flow(), input, ctx, first)
      expect(second.ok).toBe(true)
      expect(second.link.externalId).toBeTruthy()
      expect(await world.records(idOf(input))).toBe(1)
    })

    it('treats 429 and 5xx as retryable, carrying Retry-After', async () => {
      for (const [status, retryAfter] of [[429, 7], [503, 2], [500, undefined]] as const) {
        const { ctx } = world.context()
        await world.failNextCreate(status, retryAfter)
        const attempt = await attemptPush(flow(), world.input(), ctx)
        expect(attempt.ok, String(status)).toBe(false)
        if (attempt.ok) continue
        expect(attempt.error).toMatchObject({ retryable: true, httpStatus: status })
        if (retryAfter) expect(attempt.error.retryAfterMs).toBe(retryAfter * 1000)
      }
    })

    it('treats a 4xx as needing a person, with the system\u2019s message', async () => {
      const { ctx } = world.context()
      const { input, names } = world.refused()
      const attempt = await attemptPush(flow(), input, ctx)
      expect(attempt.ok).toBe(false)
      if (attempt.ok) return
      expect(attempt.error.retryable).toBe(false)
      expect(attempt.error.httpStatus).toBeGreaterThanOrEqual(400)
      expect(attempt.error.httpStatus).toBeLessThan(500)
      expect(attempt.error.message).toMatch(names)
    })

    it('never records credentials', async () => {
      const { ctx, calls } = world.context()
      expect((await attemptPush(flow(), world.input(), ctx)).ok).toBe(true)
      expect(await world.connector.test(ctx)).toMatchObject({ ok: true })
      expect(calls.length).toBeGreaterThan(1)
      const logged = JSON.stringify(calls)
      for (const secret of world.secrets) expect(logged).not.toContain(secret)
    })
  })
}
