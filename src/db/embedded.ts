import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { PgliteServer } from './pgliteServer.js'

/** The embedded PostgreSQL (PGlite) served on a loopback socket so `pg` and pg-boss use it as a server. */
export interface EmbeddedPostgres {
  connectionString: string
  stop(): Promise<void>
}

/**
 * Postgres settings for the embedded server, given on its command line at every start (never
 * written into the data directory's postgresql.conf, so a directory opened by another PGlite keeps
 * its own). initdb's shared_buffers of 128MB is allocated and touched inside PGlite's WebAssembly
 * heap at start — measured +120 MB of the hub's idle RSS, whatever the database holds — and
 * wal_buffers follows it (1/32). The hub's demo-sized database fits in 16MB, and a page that is
 * not there is read back from the operating system's page cache, not the disk.
 * PGlite is one single-user backend; the loopback server multiplexes every client onto it, so
 * the shared memory sized for 100 backends (locks, PGPROC slots) is ~5 MB never used.
 */
export const EMBEDDED_POSTGRES_SETTINGS: Readonly<Record<string, string>> = {
  shared_buffers: '16MB',
  max_connections: '5',
}

/** PGlite's own start parameters, plus `-c name=value` for each of `settings`. */
export function embeddedStartParams(settings: Readonly<Record<string, string>> = EMBEDDED_POSTGRES_SETTINGS): string[] {
  return [...PGlite.defaultStartParams, ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`])]
}

export async function startEmbeddedPostgres(dataDir: string): Promise<EmbeddedPostgres> {
  mkdirSync(dataDir, { recursive: true })
  const releaseLock = takeDataDirLock(dataDir)
  try {
    const db = await PGlite.create({ dataDir: join(dataDir, 'pglite'), startParams: embeddedStartParams() })
    const server = new PgliteServer(db)
    const port = await server.listen('127.0.0.1', 0)
    return {
      connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`,
      async stop() {
        await server.close()
        await db.close()
        releaseLock()
      },
    }
  } catch (err) {
    releaseLock()
    throw err
  }
}

/**
 * PGlite takes no lock of its own: two processes on one data directory would both "work" and
 * lose writes. One lockfile holding the owner's pid keeps a second process out.
 */
export function takeDataDirLock(dataDir: string): () => void {
  const lockPath = join(dataDir, 'carebridge.lock')
  try {
    writeFileSync(lockPath, String(process.pid), { flag: 'wx' })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    const owner = Number.parseInt(readFileSync(lockPath, 'utf8'), 10)
    if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) {
      throw new Error(
        `The data directory ${dataDir} is in use by process ${owner}. Stop it first, or set CAREBRIDGE_DATA_DIR to another directory (or DATABASE_URL to share a PostgreSQL server between processes).`,
      )
    }
    // The previous owner died without cleaning up: the lock is stale.
    writeFileSync(lockPath, String(process.pid))
  }
  let released = false
  return () => {
    if (released) return
    released = true
    rmSync(lockPath, { force: true })
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
