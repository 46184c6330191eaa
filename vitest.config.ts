import { defineConfig } from 'vitest/config'
import { BaseSequencer, type TestSpecification } from 'vitest/node'

/**
 * The files that take longest, in the order they start. The suite's wall time is, at best, its CPU
 * time over the cores, and at worst the longest file's time plus when it started. First the files
 * that mostly WAIT on the real clock (ECW's clock minutes; Ritten's refill a little later): started
 * at once they overlap the others' work instead of ending the run. Then the longest of the busy ones, so that
 * the run ends on short files that fill in beside them. Named here because a clean checkout (CI)
 * has no durations from an earlier run: vitest would order by file size. Files not named keep
 * vitest's order: known durations, else size.
 */
const SLOWEST_FIRST = [
  'test/ecw-pacing.e2e.test.ts',
  'test/ecw-schedule.e2e.test.ts',
  'test/ui.e2e.test.ts',
  'test/startup.e2e.test.ts',
  'test/database-outage.e2e.test.ts',
  'test/flaky-pull.e2e.test.ts',
  'test/chaos.e2e.test.ts',
  'test/ecw.e2e.test.ts',
  'test/durability.e2e.test.ts',
  'test/ritten.e2e.test.ts',
  'test/workers.e2e.test.ts',
  'test/hostile-input.e2e.test.ts',
  'test/ecw-load.e2e.test.ts',
  'test/ecw-bulk.e2e.test.ts',
  'test/circuit.e2e.test.ts',
  'test/disk-full.e2e.test.ts',
  'test/memory-pressure.e2e.test.ts',
  'test/referrals.e2e.test.ts',
  'test/crms.e2e.test.ts',
  'test/kipu.e2e.test.ts',
  'src/exchanges/recorder.test.ts',
  'test/events.e2e.test.ts',
  'simulators/ecw/fhir.test.ts',
  'test/access.e2e.test.ts',
]

/**
 * Unit files that wait on the real clock (the pacer's one real-clock test, ~17 s): the unit files
 * run one after another in one thread, so such a file goes last there, not ahead of the busy ones.
 */
const LAST = ['src/engine/rateLimiter.test.ts']

class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rest = await super.sort(files)
    const rank = (file: TestSpecification) => {
      if (LAST.some((name) => file.moduleId.endsWith(`/${name}`))) return SLOWEST_FIRST.length + 1
      const index = SLOWEST_FIRST.findIndex((name) => file.moduleId.endsWith(`/${name}`))
      return index === -1 ? SLOWEST_FIRST.length : index
    }
    return [...rest].sort((a, b) => rank(a) - rank(b))
  }
}

/** Unit test files that replace a module (vi.mock) for their own imports: they need a module graph of their own. */
const MOCKING = ['src/engine/pull.test.ts', 'src/engine/pushRefusal.test.ts']

export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'simulators/**/*.test.ts'],
          exclude: MOCKING,
          // Unit files share one worker thread and its loaded modules, one file after another,
          // beside the end-to-end files' processes: a fresh process and module graph per file
          // cost more than most of these files' tests (about half the unit files' CPU).
          pool: 'threads',
        },
      },
      {
        extends: true,
        // End-to-end files keep a process each: their harness ends its hubs and removes its
        // directories at that process's exit.
        test: { name: 'isolated', include: ['test/**/*.test.ts', ...MOCKING] },
      },
    ],
    // End-to-end suites start real hub processes (embedded PostgreSQL each): give them room.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // One migrated embedded database per run, copied by every hub and unit-test database (test/globalSetup.ts).
    globalSetup: ['test/globalSetup.ts'],
    pool: 'forks',
    // Isolation is set per pool (vitest 3 applies it pool-wide, not per project): the 'threads'
    // pool is the unit project's.
    poolOptions: { threads: { isolate: false, maxThreads: 1, minThreads: 1 }, forks: { isolate: true } },
    // Four end-to-end processes (the unit thread beside them): two of them wait on the real clock
    // at first, and with three the 2 cores sat idle part of the first minute. On a quiet machine
    // (2026-11-30) four kept both cores busy throughout: 173 s against 179 s with three.
    maxWorkers: 4,
    sequence: { sequencer: SlowestFirst },
  },
})
