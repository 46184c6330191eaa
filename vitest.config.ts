import { defineConfig } from 'vitest/config'
import { BaseSequencer, type TestSpecification } from 'vitest/node'

/**
 * The end-to-end files that take longest, longest first: the suite's wall time is the longest
 * file's time plus when it started, so these start at once and the short files fill in beside
 * them. (Without this, a fresh checkout runs the largest files first, and the long pull test
 * started a minute late.) Files not named keep vitest's order: known durations, else size.
 */
const SLOWEST_FIRST = [
  'test/database-outage.e2e.test.ts',
  'test/ecw-load.e2e.test.ts',
  'test/ecw-pacing.e2e.test.ts',
  'test/ecw-schedule.e2e.test.ts',
  'test/chaos.e2e.test.ts',
  'test/flaky-pull.e2e.test.ts',
  'test/durability.e2e.test.ts',
  'test/ecw.e2e.test.ts',
  'test/startup.e2e.test.ts',
  'test/workers.e2e.test.ts',
  'test/ritten.e2e.test.ts',
  'test/circuit.e2e.test.ts',
  'test/ui.e2e.test.ts',
]

class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rest = await super.sort(files)
    const rank = (file: TestSpecification) => {
      const index = SLOWEST_FIRST.findIndex((name) => file.moduleId.endsWith(`/${name}`))
      return index === -1 ? SLOWEST_FIRST.length : index
    }
    return [...rest].sort((a, b) => rank(a) - rank(b))
  }
}

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'simulators/**/*.test.ts', 'test/**/*.test.ts'],
    // End-to-end suites start real hub processes (embedded PostgreSQL each): give them room.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // One migrated embedded database per run, copied by every hub and unit-test database (test/globalSetup.ts).
    globalSetup: ['test/globalSetup.ts'],
    pool: 'forks',
    maxWorkers: 3,
    sequence: { sequencer: SlowestFirst },
  },
})
