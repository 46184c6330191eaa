import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMigrator, type Db } from '../database.js'
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../embedded.js'

let embedded: EmbeddedPostgres
let db: Db
let dataDir: string

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'cb-migrate-'))
  embedded = await startEmbeddedPostgres(dataDir)
  db = new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: embedded.connectionString, max: 2 }) }) })
})

afterAll(async () => {
  await db?.destroy()
  await embedded?.stop()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

describe('migration 0003', () => {
  it('keeps the oldest of two links to one EMR record, sends the other to a person, then refuses such pairs', async () => {
    const migrator = createMigrator(db)
    expect((await migrator.migrateTo('0002_pull_and_conflicts')).error).toBeUndefined()
    const org = randomUUID()
    const connection = randomUUID()
    const [first, second, third] = [randomUUID(), randomUUID(), randomUUID()]
    await sql`insert into organizations (id, name) values (${org}, 'Clinic')`.execute(db)
    await sql`insert into connections (id, organization_id, connector, name, base_url) values (${connection}, ${org}, 'ecw', 'ECW', 'http://127.0.0.1:1')`.execute(db)
    for (const [patient, externalId, createdAt] of [
      [first, 'ecw-1', '2026-01-01T00:00:00Z'],
      [second, 'ecw-1', '2026-02-01T00:00:00Z'],
      [third, 'ecw-2', '2026-03-01T00:00:00Z'],
    ] as const) {
      await sql`insert into patients (id, organization_id, first_name, last_name) values (${patient}, ${org}, 'Ana', 'Twice')`.execute(db)
      await sql`insert into links (id, organization_id, record_type, record_id, connection_id, connector, external_id, state, created_at)
                values (${randomUUID()}, ${org}, 'patient', ${patient}, ${connection}, 'ecw', ${externalId}, 'linked', ${createdAt})`.execute(db)
    }

    expect((await migrator.migrateToLatest()).error).toBeUndefined()
    const links = await db.selectFrom('links').select(['record_id', 'external_id', 'state', 'message']).orderBy('created_at').execute()
    expect(links).toEqual([
      { record_id: first, external_id: 'ecw-1', state: 'linked', message: null },
      { record_id: second, external_id: null, state: 'needs_attention', message: `was linked to the same EMR record as ${first}; settle the link by hand` },
      { record_id: third, external_id: 'ecw-2', state: 'linked', message: null },
    ])
    await expect(sql`update links set external_id = 'ecw-1' where record_id = ${second}`.execute(db)).rejects.toThrow(/links_external/)
  })
})
