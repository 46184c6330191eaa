import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase } from '../src/db/database.js'
import { startQueue } from '../src/db/queue.js'
import { TEMPLATE_ENV, TEMPLATE_FAILED, TEMPLATE_READY } from './template.js'

/**
 * Once per `vitest run` on the embedded database: one PGlite data directory, initialised and
 * migrated (the hub's migrations and pg-boss's schema), that every hub and unit-test database of
 * the run starts from as a copy (test/template.ts) instead of initialising and migrating its own —
 * most of a hub's start on a busy machine. It is built while vitest starts its workers and
 * collects the files (a run of files that need no database does not wait for it), and removed when
 * the run ends. On PostgreSQL (TEST_DATABASE_URL) each suite's fresh database migrates itself,
 * which is quick there.
 */
export default function setup(): () => Promise<void> {
  if (process.env.TEST_DATABASE_URL) return async () => undefined
  const dir = mkdtempSync(join(tmpdir(), 'carebridge-template-'))
  // The test workers are forked after this and inherit the environment.
  process.env[TEMPLATE_ENV] = dir
  const built = build(dir).then(
    () => writeFileSync(join(dir, TEMPLATE_READY), ''),
    // Without a template every database initialises itself, as before: slower, not wrong.
    (err: unknown) => writeFileSync(join(dir, TEMPLATE_FAILED), err instanceof Error ? (err.stack ?? err.message) : String(err)),
  )
  return async () => {
    await built
    delete process.env[TEMPLATE_ENV]
    rmSync(dir, { recursive: true, force: true })
  }
}

async function build(dir: string): Promise<void> {
  const database = await openDatabase({ dataDir: dir })
  try {
    const queue = await startQueue({ connectionString: database.connectionString, pollSeconds: 1, schedule: false, availability: database.availability, log: { warn: () => undefined } })
    await queue.stop({ graceful: false, wait: true })
  } finally {
    await database.close()
  }
}
