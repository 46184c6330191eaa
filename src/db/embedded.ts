import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { PgliteServer } from './pgliteServer.js'

/** The embedded PostgreSQL (PGlite) served on a loopback socket so `pg` clients use it as a server. */
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
    const pgdata = join(dataDir, 'pglite')
    if (!existsSync(join(pgdata, 'PG_VERSION'))) await initialiseInChildProcess(pgdata)
    const db = await PGlite.create({ dataDir: pgdata, startParams: embeddedStartParams() })
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
 * A new data directory is initialised (initdb) by a short-lived node process of its own. PGlite
 * runs initdb in a second WebAssembly Postgres inside the process and keeps what it used: measured
 * +430 MB of external memory that no garbage collection gives back, all of a first start's idle
 * RSS above a reopened start's. A process that ends gives it all back, for ~1 s more on the first
 * start only. PGlite's CommonJS entry is required by its resolved path, whatever the working directory.
 */
async function initialiseInChildProcess(pgdata: string): Promise<void> {
  const pglite = createRequire(import.meta.url).resolve('@electric-sql/pglite')
  // The IPC channel ties the child to this process: should the hub die (even by SIGKILL), the channel
  // closes and initdb stops, instead of writing on into a directory someone may be removing.
  const script = [
    `process.on('disconnect', () => process.exit(1))`,
    `require(${JSON.stringify(pglite)}).PGlite.create(${JSON.stringify({ dataDir: pgdata, startParams: embeddedStartParams() })})`,
    `  .then((db) => db.close()).then(() => process.exit(0), (err) => { console.error(err?.message ?? err); process.exit(1) })`,
  ].join('\n')
  const child = spawn(process.execPath, ['-e', script], { env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] })
  let stderr = ''
  child.stderr!.on('data', (d) => (stderr += d))
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null]
  if (code !== 0) {
    const why = stderr.trim().split('\n').at(-1) || (signal ?? `exit code ${code}`)
    throw new Error(`The embedded database could not be initialised in ${pgdata}: ${why}`)
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
