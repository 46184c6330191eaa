import { afterAll, beforeAll } from 'vitest'
import { createTestDatabase, startHub, WAIT, type HubOptions, type RunningHub } from './harness.js'
import { startEcw, type EcwWorld } from './ecwHelpers.js'

/**
 * A test file's hub, on a database of its own, and the ECW simulators its tests start: started
 * before the file's tests and ended after them. (Not in test/ecwHelpers.ts, which the bench
 * imports too and which must not import vitest.)
 */
export function useEcwHub(options: Omit<HubOptions, 'databaseUrl' | 'dataDir'> = {}): {
  /** The file's hub (set once the file's tests run). */
  readonly hub: RunningHub
  /** An ECW simulator for one test, closed after the file's tests. */
  ecw(options?: Parameters<typeof startEcw>[0]): Promise<EcwWorld>
} {
  let hub: RunningHub | undefined
  let database: Awaited<ReturnType<typeof createTestDatabase>>
  const worlds: EcwWorld[] = []
  beforeAll(async () => {
    database = await createTestDatabase()
    hub = await startHub({ ...options, databaseUrl: database?.url })
  }, WAIT.start)
  afterAll(async () => {
    await hub?.stop()
    for (const world of worlds) await world.close()
    await database?.drop()
  }, WAIT.start)
  return {
    get hub() {
      if (!hub) throw new Error('the hub is started before the tests of the file run (beforeAll)')
      return hub
    },
    async ecw(ecwOptions) {
      const world = await startEcw(ecwOptions)
      worlds.push(world)
      return world
    },
  }
}
