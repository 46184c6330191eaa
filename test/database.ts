import { randomBytes, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { openDatabase, type Db } from '../src/db/database.js'
import type { DatabaseAvailability } from '../src/db/availability.js'
import { Engine } from '../src/engine/engine.js'
import { runJob, type EngineDeps } from '../src/engine/runner.js'
import { claimNextJob } from '../src/engine/jobs.js'
import { SecretBox } from '../src/security/secrets.js'
import { createTestDatabase } from './harness.js'
import { copyDatabaseTemplate } from './template.js'

/**
 * A migrated database for unit tests that need one: the embedded PGlite in a fresh directory (a
 * copy of the run's migrated template when there is one), or
 * — with TEST_DATABASE_URL set — a fresh PostgreSQL database created from it and dropped on close.
 */
export interface TestDatabase {
  db: Db
  connectionString: string
  availability: DatabaseAvailability
  box: SecretBox
  close(): Promise<void>
}

export async function openTestDatabase(): Promise<TestDatabase> {
  const created = await createTestDatabase()
  const dataDir = mkdtempSync(join(tmpdir(), 'cb-unit-'))
  if (!created) await copyDatabaseTemplate(dataDir)
  const handle = await openDatabase({ databaseUrl: created?.url, dataDir, poolSize: 4 })
  return {
    db: handle.db,
    connectionString: handle.connectionString,
    availability: handle.availability,
    box: new SecretBox(randomBytes(32)),
    async close() {
      await handle.close()
      await created?.drop()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** An organization with one connection row of `connector` (settings stored as given, no secrets unless sealed ones are passed). */
export async function insertConnection(
  db: Db,
  options: { connector: string; settings?: Record<string, unknown>; secrets?: string | null; organizationId?: string },
): Promise<{ organizationId: string; connectionId: string }> {
  const organizationId = options.organizationId ?? randomUUID()
  if (!options.organizationId) await db.insertInto('organizations').values({ id: organizationId, name: 'Clinic' }).execute()
  const connectionId = randomUUID()
  await db
    .insertInto('connections')
    .values({
      id: connectionId,
      organization_id: organizationId,
      connector: options.connector,
      name: `${options.connector} test`,
      base_url: 'http://127.0.0.1:9',
      settings: JSON.stringify(options.settings ?? {}),
      secrets: options.secrets ?? null,
      value_maps: JSON.stringify({}),
    })
    .execute()
  return { organizationId, connectionId }
}

/**
 * Runs the queued job `jobId` as a worker does: the jobs other tests of the file left waiting are
 * put a minute later, so the next due job a worker claims (claimNextJob) is this one. False when
 * the claim found another job or none.
 */
export async function runQueuedJob(deps: EngineDeps, jobId: string): Promise<boolean> {
  await deps.db
    .updateTable('sync_jobs')
    .set({ next_attempt_at: sql`now() + interval '1 minute'` })
    .where('id', '<>', jobId)
    .where('state', 'in', ['queued', 'retrying'])
    .execute()
  const claimedAt = Date.now()
  const claim = await claimNextJob(deps.db, deps.leaseSeconds)
  if (claim) await runJob(deps, claim, claimedAt)
  return claim?.job.id === jobId
}

/** The engine's parts over a test database: deps for `runJob`, the Engine for its entry points (no workers run unless a test starts them). */
export async function startTestEngine(database: TestDatabase): Promise<{ engine: Engine; deps: EngineDeps; stop(): Promise<void> }> {
  const log = { warn: () => undefined, error: () => undefined, info: () => undefined }
  const common = { db: database.db, box: database.box, retry: { maxAttempts: 3, baseMs: 10, maxMs: 100 }, leaseSeconds: 30, httpTimeoutMs: 1000, log, availability: database.availability }
  const engine = new Engine({ ...common, concurrency: 1, pollSeconds: 0.5, bodyRetentionDays: 30 })
  const deps: EngineDeps = { ...common, patientChanged: (trx, organizationId, patientId, except) => engine.patientChanged(trx, organizationId, patientId, except) }
  return {
    engine,
    deps,
    async stop() {
      await engine.stop()
    },
  }
}
