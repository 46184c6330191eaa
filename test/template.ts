import { cpSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

/** Where this run's migrated embedded database is, kept or being built (test/globalSetup.ts); unset: none, e.g. the bench or PostgreSQL. */
export const TEMPLATE_ENV = 'CAREBRIDGE_TEST_DB_TEMPLATE'
/** Marker files in that directory: the template is complete, or could not be made. */
export const TEMPLATE_READY = 'template-ready'
export const TEMPLATE_FAILED = 'template-failed'
/** The embedded database's own directory inside a data directory (src/db/embedded.ts). */
const PGLITE_DIR = 'pglite'
/** Building it takes seconds; minutes mean a machine so busy that a fresh start would wait as long. */
const WAIT_MS = 180_000

/**
 * Fills an empty data directory with a copy of the run's migrated embedded database (waiting for
 * it to be built), so a hub or unit-test database opened on it finds its migrations done. False,
 * nothing copied, without a template: the database then initialises and migrates itself as any
 * first start does.
 */
export async function copyDatabaseTemplate(dataDir: string): Promise<boolean> {
  const template = process.env[TEMPLATE_ENV]
  if (!template || !existsSync(template)) return false
  const deadline = Date.now() + WAIT_MS
  while (!existsSync(join(template, TEMPLATE_READY))) {
    if (existsSync(join(template, TEMPLATE_FAILED)) || Date.now() > deadline) return false
    await sleep(100)
  }
  cpSync(join(template, PGLITE_DIR), join(dataDir, PGLITE_DIR), { recursive: true })
  return true
}
