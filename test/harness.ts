import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'

/**
 * Starts the real hub as a child process (`node --import tsx src/main.ts`) on a loopback port,
 * on the embedded database — or, when TEST_DATABASE_URL is set, on a fresh PostgreSQL database
 * created for this hub and dropped at the end.
 */
export interface RunningHub {
  url: string
  pid: number
  dataDir: string
  databaseUrl: string | undefined
  output(): string
  /** False once the process has exited, for whatever reason. */
  running(): boolean
  api<T = any>(method: string, path: string, body?: unknown, key?: string): Promise<{ status: number; body: T }>
  /** Graceful stop (SIGTERM). */
  stop(): Promise<void>
  /** Abrupt death (SIGKILL), as a crash or power loss. */
  kill(): Promise<void>
}

export const ADMIN_KEY = 'test-admin-key-0123456789'
export const TEST_SECRET_KEY = 'a'.repeat(64)

export interface HubOptions {
  dataDir?: string
  databaseUrl?: string
  env?: Record<string, string>
  /** `worker` processes serve no HTTP: they are ready once they say they are running. */
  role?: 'all' | 'api' | 'worker'
}

export async function startHub(options: HubOptions = {}): Promise<RunningHub> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'carebridge-test-'))
  const databaseUrl = options.databaseUrl
  const port = await freePort()
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    PORT: String(port),
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
  if (databaseUrl) env.DATABASE_URL = databaseUrl
  let output = ''
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout!.on('data', (d) => (output += d))
  child.stderr!.on('data', (d) => (output += d))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const url = `http://127.0.0.1:${port}`

  const deadline = Date.now() + 90_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`The hub exited during start-up:\n${output}`)
    if (options.role === 'worker') {
      if (output.includes('carebridge is running')) break
    } else {
      try {
        const res = await fetch(`${url}/health`)
        if (res.status === 200) break
      } catch {
        // not listening yet
      }
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`The hub did not become healthy in time:\n${output}`)
    }
    await sleep(200)
  }

  return {
    url,
    pid: child.pid!,
    dataDir,
    databaseUrl,
    output: () => output,
    running: () => child.exitCode === null && child.signalCode === null,
    async api(method, path, body, key = ADMIN_KEY) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      })
      const text = await res.text()
      let parsed: any = text
      try {
        parsed = JSON.parse(text)
      } catch {
        // keep text
      }
      return { status: res.status, body: parsed }
    },
    async stop() {
      if (child.exitCode !== null) return
      child.kill('SIGTERM')
      await Promise.race([exited, sleep(15_000)])
      if (child.exitCode === null) child.kill('SIGKILL')
      await exited
    },
    async kill() {
      child.kill('SIGKILL')
      await exited
    },
  }
}

/** A fresh PostgreSQL database for one test file when TEST_DATABASE_URL is set; undefined otherwise. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  const base = process.env.TEST_DATABASE_URL
  if (!base) return undefined
  const name = `carebridge_t_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
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

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const value = await probe()
      if (value) return value
    } catch (err) {
      last = err
    }
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`)
    await sleep(100)
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}
