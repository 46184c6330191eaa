import { execFileSync } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'

/**
 * A PostgreSQL server of a test's own (initdb in a temporary directory, its own port), for tests
 * that stop and start the database or kill its connections — never the machine's shared server.
 * As root it runs the server as the `postgres` user, as PostgreSQL requires.
 */
export interface TestCluster {
  url(database?: string): string
  port: number
  start(): Promise<void>
  /** `pg_ctl stop -m fast`: what a restart, a failover or a maintenance window does to clients. */
  stop(): Promise<void>
  /** Ends every backend of clients whose application_name starts with `prefix`. */
  terminateConnections(prefix: string): Promise<number>
  destroy(): Promise<void>
}

/** Why this machine cannot make a cluster, or null when it can. */
export function clusterUnavailableReason(): string | null {
  if (!pgBin()) return 'no PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql'
  if (process.getuid?.() === 0 && !existsSync('/usr/sbin/runuser')) return 'running as root without runuser to start PostgreSQL as postgres'
  return null
}

export async function createTestCluster(): Promise<TestCluster> {
  const bin = pgBin()
  if (!bin) throw new Error(clusterUnavailableReason()!)
  const dir = mkdtempSync(join(tmpdir(), 'carebridge-pg-'))
  const dataDir = join(dir, 'data')
  const asRoot = process.getuid?.() === 0
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim())
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim())
    chownSync(dir, uid, gid)
    chmodSync(dir, 0o700)
  }
  const run = (tool: string, args: string[]) => {
    const command = asRoot ? ['/usr/sbin/runuser', '-u', 'postgres', '--', join(bin, tool), ...args] : [join(bin, tool), ...args]
    return execFileSync(command[0]!, command.slice(1), { stdio: 'pipe', timeout: 120_000 }).toString()
  }
  run('initdb', ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8'])

  let port = 0
  const options = () => `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`
  const start = async () => {
    run('pg_ctl', ['-D', dataDir, '-o', options(), '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start'])
  }
  // A random port; another process may hold it, so try a few.
  for (let tries = 0; ; tries++) {
    port = 20_000 + Math.floor(Math.random() * 20_000)
    try {
      await start()
      break
    } catch (err) {
      if (tries >= 4) throw new Error(`the test cluster did not start: ${logOf(dir)}`, { cause: err })
    }
  }
  const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`
  return {
    url,
    port,
    start,
    async stop() {
      run('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', '-t', '60', 'stop'])
    },
    async terminateConnections(prefix) {
      const client = new pg.Client({ connectionString: url() })
      await client.connect()
      try {
        const result = await client.query(
          `select pg_terminate_backend(pid) from pg_stat_activity where application_name like $1 and pid <> pg_backend_pid()`,
          [`${prefix}%`],
        )
        return result.rowCount ?? 0
      } finally {
        await client.end()
      }
    },
    async destroy() {
      try {
        run('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop'])
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

function pgBin(): string | null {
  const root = '/usr/lib/postgresql'
  if (!existsSync(root)) return null
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a))
  return versions[0] ? join(root, versions[0], 'bin') : null
}

function logOf(dir: string): string {
  try {
    return readFileSync(join(dir, 'server.log'), 'utf8').slice(-2000)
  } catch {
    return '(no server log)'
  }
}
