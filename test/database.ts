import { randomBytes, randomUUID } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase, type Db } from '../src/db/database.js'
import { SecretBox } from '../src/security/secrets.js'
import { createTestDatabase } from './harness.js'

/**
 * A migrated database for unit tests that need one: the embedded PGlite in a fresh directory, or
 * — with TEST_DATABASE_URL set — a fresh PostgreSQL database created from it and dropped on close.
 */
export interface TestDatabase {
  db: Db
  connectionString: string
  box: SecretBox
  close(): Promise<void>
}

export async function openTestDatabase(): Promise<TestDatabase> {
  const created = await createTestDatabase()
  const handle = await openDatabase({ databaseUrl: created?.url, dataDir: mkdtempSync(join(tmpdir(), 'cb-unit-')), poolSize: 4 })
  return {
    db: handle.db,
    connectionString: handle.connectionString,
    box: new SecretBox(randomBytes(32)),
    async close() {
      await handle.close()
      await created?.drop()
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
