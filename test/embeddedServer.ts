import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { onTestFinished } from 'vitest'
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../src/db/embedded.js'
import { copyDatabaseTemplate } from './template.js'

/**
 * The embedded server on a copy of the run's migrated template, for the current test only: it is
 * stopped and its data directory removed when the test finishes.
 */
export async function embeddedServerForTest(prefix: string): Promise<{ dir: string; server: EmbeddedPostgres }> {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
  await copyDatabaseTemplate(dir)
  const server = await startEmbeddedPostgres(dir)
  onTestFinished(() => server.stop())
  return { dir, server }
}
