import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { compile } from '../src/compile.js'
import { BUILD_ENV } from './build.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const BUILDS = join(ROOT, 'node_modules', '.cache', 'carebridge-test-build')
/** A build directory this old belongs to a run that was killed before it could remove it. */
const ABANDONED_MS = 60 * 60_000

/**
 * The hub compiled once per run (a `vitest run`, through test/globalSetup.ts, or `npm run bench`),
 * as `npm start` runs it (src/compile.ts), into a directory of the run's own: every hub the
 * harness starts is plain `node` on it (test/build.ts). Under tsx each of the suite's ~37 hub
 * processes compiled the sources again and carried tsx's loader: about 4 s more CPU a start.
 * Tests themselves still run the sources (vitest). Returns the removal of the directory.
 */
export async function compileHubForRun(): Promise<() => void> {
  mkdirSync(BUILDS, { recursive: true })
  for (const name of readdirSync(BUILDS)) {
    const path = join(BUILDS, name)
    if (Date.now() - statSync(path).mtimeMs > ABANDONED_MS) rmSync(path, { recursive: true, force: true })
  }
  const dir = mkdtempSync(join(BUILDS, 'run-'))
  await compile({ outDir: dir, also: ['test/orphanGuard.ts'] })
  process.env[BUILD_ENV] = dir
  return () => {
    delete process.env[BUILD_ENV]
    rmSync(dir, { recursive: true, force: true })
  }
}
