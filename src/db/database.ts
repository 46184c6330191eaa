import { Kysely, Migrator, PostgresDialect, sql, type Migration, type MigrationProvider, type Transaction } from 'kysely'
import pg from 'pg'
import * as initial from './migrations/0001_initial.js'
import * as pullAndConflicts from './migrations/0002_pull_and_conflicts.js'
import * as patientLinksConflicts from './migrations/0003_patient_links_conflicts.js'
import * as jobFailuresSinceProgress from './migrations/0004_job_failures_since_progress.js'
import * as kipuInbound from './migrations/0005_kipu_inbound.js'
import * as sessions from './migrations/0006_sessions.js'
import * as referrals from './migrations/20261130_1230_referrals.js'
import * as eventSubscriptions from './migrations/20261130_1213_event_subscriptions.js'
import * as auditInstallationEvents from './migrations/20261130_1236_audit_installation_events.js'
import * as patientsDobIndex from './migrations/20261130_1511_patients_dob_index.js'
import * as listTimestampsInMilliseconds from './migrations/20261130_1640_list_timestamps_in_milliseconds.js'
import * as claimSyncJob from './migrations/20261130_2200_claim_sync_job.js'
import * as uuidv7 from './migrations/20261201_0300_uuidv7.js'
import * as syncJobsQueue from './migrations/20261201_0400_sync_jobs_queue.js'
import * as orphanGrace from './migrations/20261201_0430_orphan_grace.js'
import * as busyRecordGrace from './migrations/20261201_0700_busy_record_grace.js'
import type { Database } from './schema.js'
import { startEmbeddedPostgres } from './embedded.js'
import { DatabaseAvailability, createGuardedPool } from './availability.js'

export type Db = Kysely<Database>
export type DbOrTx = Kysely<Database> | Transaction<Database>

export interface DatabaseHandle {
  db: Db
  pool: pg.Pool
  /** The connection string in use (the embedded server's loopback address in embedded mode). */
  connectionString: string
  embedded: boolean
  /** Whether the database answers right now; every connection error of this process reports here. */
  availability: DatabaseAvailability
  close(): Promise<void>
}

export interface DatabaseLog {
  warn(obj: object, msg: string): void
  info(obj: object, msg: string): void
}

const quietLog: DatabaseLog = { warn: () => undefined, info: () => undefined }

// DATE columns stay 'YYYY-MM-DD' strings: a JS Date would shift them by the local time zone.
pg.types.setTypeParser(1082, (value) => value)
// bigint counts (count(*)) fit in a JS number for everything this hub counts.
pg.types.setTypeParser(20, (value) => Number.parseInt(value, 10))

/** Opens PostgreSQL at `databaseUrl`, or the embedded PGlite under `dataDir`, and migrates it. */
export async function openDatabase(options: { databaseUrl?: string; dataDir: string; poolSize?: number; log?: DatabaseLog }): Promise<DatabaseHandle> {
  const embedded = options.databaseUrl ? null : await startEmbeddedPostgres(options.dataDir)
  const connectionString = options.databaseUrl ?? embedded!.connectionString
  let availability: DatabaseAvailability | null = null
  const pool = createGuardedPool({ connectionString, max: options.poolSize ?? 10, application_name: 'carebridge' }, (err) => availability?.noteFailure(err))
  availability = new DatabaseAvailability(() => pool.query('select 1'), options.log ?? quietLog)
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  try {
    await migrate(db)
  } catch (err) {
    await db.destroy()
    await embedded?.stop()
    throw err
  }
  return {
    db,
    pool,
    connectionString,
    embedded: embedded !== null,
    availability,
    async close() {
      availability.stop()
      await db.destroy()
      await embedded?.stop()
    },
  }
}

const migrations: Record<string, Migration> = {
  '0001_initial': initial,
  '0002_pull_and_conflicts': pullAndConflicts,
  '0003_patient_links_conflicts': patientLinksConflicts,
  '0004_job_failures_since_progress': jobFailuresSinceProgress,
  '0005_kipu_inbound': kipuInbound,
  '0006_sessions': sessions,
  // From here on names are timestamps (YYYYMMDD_HHMM_name): parallel work cannot both take the next number.
  '20261130_1230_referrals': referrals,
  '20261130_1213_event_subscriptions': eventSubscriptions,
  '20261130_1236_audit_installation_events': auditInstallationEvents,
  '20261130_1511_patients_dob_index': patientsDobIndex,
  '20261130_1640_list_timestamps_in_milliseconds': listTimestampsInMilliseconds,
  '20261130_2200_claim_sync_job': claimSyncJob,
  '20261201_0300_uuidv7': uuidv7,
  '20261201_0400_sync_jobs_queue': syncJobsQueue,
  '20261201_0430_orphan_grace': orphanGrace,
  '20261201_0700_busy_record_grace': busyRecordGrace,
}

class StaticMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations
  }
}

export function createMigrator(db: Db): Migrator {
  // Features land in any order (a database may hold 0006 before 0005 arrives); each migration
  // stands alone, so a later-numbered one already applied does not block an earlier new one.
  return new Migrator({ db, provider: new StaticMigrationProvider(), allowUnorderedMigrations: true })
}

export async function migrate(db: Db): Promise<void> {
  if (await allMigrationsApplied(db)) return
  const { error, results } = await createMigrator(db).migrateToLatest()
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')
    throw new Error(`Database migration ${failed?.migrationName ?? ''} failed`, { cause: error })
  }
}

/**
 * The usual start: every migration is applied already. One read of the migration table answers
 * that; the migrator would first read the whole catalog to see whether its tables exist (~0.2 s of
 * the embedded database's start) and take its lock. Any migration missing (or no table yet: a new
 * database), or one applied that this code does not know, goes through the migrator, which applies
 * it under its lock or refuses to start.
 */
async function allMigrationsApplied(db: Db): Promise<boolean> {
  try {
    const { rows } = await sql<{ name: string }>`select name from kysely_migration`.execute(db)
    const applied = new Set(rows.map((r) => r.name))
    // Exactly these: a migration this code does not know (a newer build's) is the migrator's to refuse.
    return applied.size === Object.keys(migrations).length && Object.keys(migrations).every((name) => applied.has(name))
  } catch {
    // No table yet (a new database), or the database away: the migrator meets it and reports.
    return false
  }
}
