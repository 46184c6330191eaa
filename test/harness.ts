import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import pg from 'pg'
import { hubCommand } from './build.js'
import { leakError, noteApiTraffic, registerSecret, scanDatabase, scanOutput, type Finding } from './secretScan.js'
import { copyDatabaseTemplate } from './template.js'

/**
 * Starts the real hub as a child process (`node [npm start's flags] src/main.js`, compiled once per run by
 * test/globalSetup.ts as `npm start` compiles it) on a loopback port it
 * picks itself (PORT=0; the port is read from the address it prints), on the embedded database
 * in a temporary directory (a copy of the run's migrated template, test/globalSetup.ts) — or,
 * when TEST_DATABASE_URL is set, on a fresh PostgreSQL database created for this hub and dropped
 * at the end. `stop()` removes the temporary directory.
 *
 * Every hub keeps its process output, and when it ends (stop, restart, kill) the after-suite
 * scan (test/secretScan.ts) searches that output for every secret and test patient's PHI the
 * suite registered or sent through `api()`, and — at the stop of the last process on a database —
 * every row of that database for every secret; a hit fails the stop with what leaked and where.
 */
export interface RunningHub {
  url: string
  pid: number
  dataDir: string
  databaseUrl: string | undefined
  output(): string
  /** False once the process has exited, for whatever reason. */
  running(): boolean
  api<T = any>(method: string, path: string, body?: unknown, key?: string): Promise<{ status: number; body: T; headers: Headers }>
  /**
   * Graceful stop (SIGTERM); the end of this hub: the data directory the harness made goes too,
   * unless `keepData` (to look at it, then `restart()` or `stop()` again).
   */
  stop(options?: { keepData?: boolean }): Promise<void>
  /** Abrupt death (SIGKILL), as a crash or power loss; the data stays for `restart()`. */
  kill(): Promise<void>
  /**
   * A new process on the same data directory and database, with the same settings (plus `env`),
   * after a graceful stop — or none, when this one was killed. The new hub owns the directory.
   */
  restart(env?: Record<string, string>): Promise<RunningHub>
}

export const ADMIN_KEY = 'test-admin-key-0123456789'
export const TEST_SECRET_KEY = 'a'.repeat(64)
registerSecret('the admin API key', ADMIN_KEY)
registerSecret("the hub's secret key", TEST_SECRET_KEY)

/**
 * How long tests wait for what they wait for, on a 2-core machine shared with other suites (a
 * hub process each, its database and its simulators): sized from the work, not from a happy run.
 */
export const WAIT = {
  /** One job of one record: the queue's poll (0.5 s), a few calls to a simulator on loopback, the settle. */
  job: 30_000,
  /** `n` jobs through one hub's four workers, on top of one job's budget. */
  jobs: (n: number) => 30_000 + n * 1_000,
  /** A hub process from spawn to healthy: loading the compiled hub, the embedded database's start and migrations. */
  start: 120_000,
} as const

export interface HubOptions {
  dataDir?: string
  databaseUrl?: string
  env?: Record<string, string>
  /** `worker` processes serve no HTTP: they are ready once they say they are running. */
  role?: 'all' | 'api' | 'worker'
  /** The embedded database initialised and migrated by the hub itself, as on a real first start (no copy of the run's template). */
  freshDatabase?: boolean
}

/** The hubs running on each database (its URL, or the embedded one's data directory): the last to stop scans it. */
const runningOn = new Map<string, Set<ChildProcess>>()

/** Every process and temporary directory this test file's harness made, for the exit below. */
const liveChildren = new Set<ChildProcess>()
const ownedDirs = new Set<string>()
process.once('exit', () => {
  // A test file that failed before its afterAll ran must not leave hubs running or data behind.
  for (const child of liveChildren) child.kill('SIGKILL')
  for (const dir of ownedDirs) rmSync(dir, { recursive: true, force: true })
})

export async function startHub(options: HubOptions = {}): Promise<RunningHub> {
  const ownsDataDir = options.dataDir === undefined
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'carebridge-test-'))
  if (ownsDataDir) ownedDirs.add(dataDir)
  try {
    // On the embedded database, the run's migrated copy (test/globalSetup.ts) spares the hub its first initialisation.
    if (ownsDataDir && !options.databaseUrl && !options.freshDatabase) await copyDatabaseTemplate(dataDir)
    return await spawnHub({ ...options, dataDir }, ownsDataDir)
  } catch (err) {
    if (ownsDataDir) removeDir(dataDir)
    throw err
  }
}

async function spawnHub(options: HubOptions & { dataDir: string }, ownsDataDir: boolean): Promise<RunningHub> {
  const { dataDir, databaseUrl } = options
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    // The hub binds a free port itself and prints its address: no window for another process to take it.
    PORT: '0',
    CAREBRIDGE_DATA_DIR: dataDir,
    CAREBRIDGE_DEMO: '0',
    CAREBRIDGE_ADMIN_KEY: ADMIN_KEY,
    CAREBRIDGE_SECRET_KEY: TEST_SECRET_KEY,
    CAREBRIDGE_RETRY_BASE_MS: '200',
    CAREBRIDGE_RETRY_MAX_MS: '5000',
    CAREBRIDGE_QUEUE_POLL_SECONDS: '0.5',
    CAREBRIDGE_JOB_LEASE_SECONDS: '3',
    CAREBRIDGE_HTTP_TIMEOUT_MS: '3000',
    LOG_LEVEL: 'warn',
    CAREBRIDGE_ROLE: options.role ?? 'all',
    ...options.env,
  }
  delete env.DATABASE_URL
  delete env.CAREBRIDGE_PUBLIC_URL
  delete env.CAREBRIDGE_TEST_OWNED_DIR
  if (databaseUrl) env.DATABASE_URL = databaseUrl
  if (ownsDataDir) env.CAREBRIDGE_TEST_OWNED_DIR = dataDir
  const secretKey = env.CAREBRIDGE_SECRET_KEY!
  registerSecret("the hub's secret key", secretKey)
  let output = ''
  // test/orphanGuard.ts ends the hub if this test process dies without stopping it.
  const child: ChildProcess = spawn(process.execPath, hubCommand(), { env, stdio: ['ignore', 'pipe', 'pipe'] })
  liveChildren.add(child)
  child.stdout!.on('data', (d) => (output += d))
  child.stderr!.on('data', (d) => (output += d))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  void exited.then(() => liveChildren.delete(child))
  // A hub that dies on its own (not ended below, not killed by its test) says why in its last
  // lines: printed at once, since the test usually fails later on what that death caused.
  let ending = false
  child.once('exit', (code, signal) => {
    // A failed test may already be stopping a hub that died first (its sockets closed before
    // the exit was reported): a stop ends it with code 0 or by a signal, a death of its own not.
    if (ending && (code === 0 || signal !== null)) return
    const last = output.split('\n').slice(-80).join('\n')
    console.error(`hub pid ${child.pid}${testFile() ? ` (${testFile()})` : ''} exited by itself (code ${code}, signal ${signal}); its last output:\n${last}`)
  })
  const databaseKey = databaseUrl ?? dataDir
  const onDatabase = runningOn.get(databaseKey) ?? new Set<ChildProcess>()
  runningOn.set(databaseKey, onDatabase)
  onDatabase.add(child)
  void exited.then(() => onDatabase.delete(child))

  let url = ''
  const deadline = Date.now() + WAIT.start
  for (;;) {
    if (child.exitCode !== null) throw new Error(`The hub exited during start-up:\n${output}`)
    // The banner comes once the hub is ready: "carebridge is running …" and, with an API, "API: http://…/api".
    if (output.includes('carebridge is running')) {
      if (options.role === 'worker') break
      url = /^\s*API:\s+(http:\/\/\S+?)\/api\s/m.exec(output)?.[1] ?? ''
      if (url && (await healthy(url))) break
    }
    if (Date.now() > deadline) {
      ending = true
      child.kill('SIGKILL')
      await exited
      throw new Error(`The hub did not become healthy in ${WAIT.start / 1000} s:\n${output}`)
    }
    await sleep(100)
  }

  const who = `hub pid ${child.pid} (${options.role ?? 'all'}${testFile() ? `, ${testFile()}` : ''})`
  let outputScanned = false
  /**
   * Ends the process the way `how` says, after scanning its database when it is the last one
   * running on it (the embedded one is reachable only while the hub runs), then its output.
   */
  const endAndScan = async (how: 'SIGTERM' | 'SIGKILL', scanTheDatabase: boolean) => {
    const findings: Finding[] = []
    const alive = child.exitCode === null && child.signalCode === null
    if (scanTheDatabase && alive && [...onDatabase].every((c) => c === child)) {
      const url = databaseUrl ?? /^\s*Database:\s+(postgres:\/\/\S+)/m.exec(output)?.[1]
      try {
        if (!url) throw new Error(`the secret scan cannot find the database of ${who}: its output names none`)
        findings.push(...(await scanDatabase(url, secretKey, `the database of ${who}`)))
      } catch (err) {
        await end(how)
        throw err
      }
    }
    await end(how)
    if (!outputScanned) {
      outputScanned = true
      findings.push(...scanOutput(output, `the output of ${who}`))
    }
    return findings
  }

  const end = async (signal: 'SIGTERM' | 'SIGKILL') => {
    ending = true
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal)
      if (signal === 'SIGTERM') {
        await Promise.race([exited, sleep(15_000)])
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      }
    }
    await exited
  }

  let owner = ownsDataDir
  const hub: RunningHub = {
    url,
    pid: child.pid!,
    dataDir,
    databaseUrl,
    output: () => output,
    running: () => child.exitCode === null && child.signalCode === null,
    async api(method, path, body, key = ADMIN_KEY) {
      let res: Response
      try {
        res = await fetch(`${url}${path}`, {
          method,
          headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
          body: body !== undefined ? JSON.stringify(body) : undefined,
        })
      } catch (err) {
        // A refused connection is the symptom; why the hub went away is in what it last said.
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`The hub (pid ${child.pid}) has exited (${child.exitCode ?? child.signalCode}) before ${method} ${path}; its last output:\n${output.slice(-4_000)}`, { cause: err })
        }
        throw err
      }
      const text = await res.text()
      let parsed: any = text
      try {
        parsed = JSON.parse(text)
      } catch {
        // keep text
      }
      // What the suite sends and gets back (credentials, minted keys and secrets, patients' PHI) is what the scan looks for.
      noteApiTraffic(body, parsed)
      return { status: res.status, body: parsed, headers: res.headers }
    },
    async stop(stopOptions = {}) {
      let findings: Finding[]
      try {
        findings = await endAndScan('SIGTERM', true)
      } finally {
        if (owner && !stopOptions.keepData) removeDir(dataDir)
      }
      if (findings.length > 0) throw leakError(findings)
    },
    async kill() {
      const findings = await endAndScan('SIGKILL', false)
      if (findings.length > 0) throw leakError(findings)
    },
    async restart(extraEnv = {}) {
      // The database goes on with the next process: it is scanned when the last one stops.
      const findings = await endAndScan('SIGTERM', false)
      if (findings.length > 0) throw leakError(findings)
      const next = await spawnHub({ ...options, env: { ...options.env, ...extraEnv } }, owner)
      // The directory is the new process's now; this (ended) hub's stop() must not remove it.
      owner = false
      return next
    },
  }
  return hub
}

/**
 * Under vitest, its `expect` (to name the test file a hub was started for); none when the harness
 * starts hubs outside a test run (`npm run bench`), where importing vitest throws.
 */
const vitest = process.env.VITEST ? await import('vitest') : null

/** The test file this hub was started for, to say where a leak came from. */
function testFile(): string | undefined {
  const path = vitest?.expect.getState().testPath
  return path ? relative(process.cwd(), path) : undefined
}

async function healthy(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/health`)).status === 200
  } catch {
    return false
  }
}

function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
  ownedDirs.delete(dir)
}

/**
 * A fresh PostgreSQL database for one test file when TEST_DATABASE_URL is set; undefined otherwise.
 * Its name starts with the name of TEST_DATABASE_URL's database, so whoever made that one (e.g.
 * `.ci/run`) can find and drop what a killed run left behind, and nothing of another run's.
 */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  const base = process.env.TEST_DATABASE_URL
  if (!base) return undefined
  const name = testDatabaseName(new URL(base).pathname.slice(1) || 'postgres')
  const admin = new pg.Client({ connectionString: base })
  await admin.connect()
  await admin.query(`create database ${name}`)
  await admin.end()
  const url = new URL(base)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: base })
      await c.connect()
      await c.query(`drop database if exists ${name} with (force)`)
      await c.end()
    },
  }
}

/** `<base>_t_<unique>`, within PostgreSQL's 63-byte names (a long base is cut). */
export function testDatabaseName(base: string): string {
  const unique = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`
  const prefix = base.toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(0, 63 - 3 - unique.length)
  return `${prefix}_t_${unique}`
}

/**
 * Polls `probe` until it returns something truthy, for at most `timeoutMs` — give
 * each call a budget sized from what it waits for (see WAIT). A probe that throws is asked again
 * (a server may be restarting), but a failed `expect` inside it ends the wait at once: it will not
 * come true by waiting. At the timeout the error names what was awaited, the last value the probe
 * returned and the last error it threw (also as the error's cause). The first looks come 100 ms
 * apart, later ones up to 500 ms: a probe that reads many records every 100 ms through a wait of
 * minutes kept a hub busy answering it (a tenth of the suite's CPU in the real-clock files).
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs: number = WAIT.job): Promise<T> {
  const started = Date.now()
  let lastError: unknown
  let lastValue: unknown
  let looks = 0
  for (;;) {
    try {
      const value = await probe()
      if (value) return value
      lastValue = value
    } catch (err) {
      if (err instanceof Error && err.name === 'AssertionError') throw err
      lastError = err
    }
    if (Date.now() - started > timeoutMs) {
      const parts = [`Timed out after ${Math.round((Date.now() - started) / 1000)} s waiting for ${what}`, `the probe last returned ${JSON.stringify(lastValue) ?? 'undefined'}`]
      if (lastError !== undefined) parts.push(`and last threw: ${lastError instanceof Error ? `${lastError.name}: ${lastError.message}${causeOf(lastError)}` : String(lastError)}`)
      throw new Error(parts.join('; '), { cause: lastError })
    }
    await sleep(Math.min(100 * 1.5 ** looks++, 500))
  }
}

function causeOf(err: Error): string {
  const cause = err.cause as { message?: string; code?: string } | undefined
  return cause ? ` (cause: ${cause.code ?? ''}${cause.code && cause.message ? ' ' : ''}${cause.message ?? ''})` : ''
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
