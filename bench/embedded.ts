/**
 * Part `embedded`: the embedded default as a new user meets it. The hub is started as `npm start`
 * starts it (package.json's `node … .build/src/main.js` after its prestart compile: demo mode, embedded database, the simulators in a child process) on a
 * fresh data directory, stopped, and started again on the reopened one: time to the banner and to
 * /health answering 200, and resident memory after BENCH_EMBEDDED_IDLE_SECONDS (default 20) idle.
 * Then the start taken apart (bench/embeddedPieces.ts, its own process on the same directory):
 * how long each piece takes and what memory it adds.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sleep } from '../test/harness.js'
import { line, load, rss } from './kit.js'
import { BUILD_DIR, compile } from '../src/compile.js'
import { npmStartCommand } from '../test/startCommand.js'

const IDLE_SECONDS = Number(process.env.BENCH_EMBEDDED_IDLE_SECONDS ?? 20)

export async function embeddedBench(): Promise<void> {
  console.log(`embedded — \`npm start\` (demo mode, embedded PGlite), ${IDLE_SECONDS} s idle (load average ${load()})`)
  // npm start's prestart (the admin UI is already built here): the compile, and the bench's probe beside it.
  const compiled = await compile({ also: ['bench/embeddedPieces.ts'] })
  line('embedded: prestart compile (src and simulators → .build)', `${compiled.files} files in ${compiled.ms} ms (load average ${load()})`)
  const dataDir = mkdtempSync(join(tmpdir(), 'carebridge-bench-embedded-'))
  try {
    for (const label of ['first start, fresh data directory', 'later start, reopened directory']) {
      const start = await startAsNpmStartDoes(dataDir)
      try {
        line(`embedded: ${label} — to banner / to healthy`, `${(start.bannerMs / 1000).toFixed(1)} s / ${(start.healthyMs / 1000).toFixed(1)} s`)
        await sleep(IDLE_SECONDS * 1000)
        line(`embedded: ${label} — hub RSS at healthy / after ${IDLE_SECONDS} s idle`, `${start.rssAtHealthy} MB / ${rss(start.pid)} MB`)
        line(`embedded: ${label} — the demo simulators' process RSS after idle`, `${childrenRss(start.pid)} MB`)
      } finally {
        await start.stop()
      }
    }
    for (const piece of await pieces(dataDir)) {
      const child = piece.childRssMB === undefined ? '' : `; its child ${piece.childRssMB} MB`
      line(`embedded: start piece — ${piece.piece}`.slice(0, 100), `+${piece.ms} ms (at ${(piece.atMs / 1000).toFixed(1)} s), RSS ${piece.rssMB} MB, heap ${piece.heapMB} MB${child}`)
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
}

interface Started {
  pid: number
  bannerMs: number
  healthyMs: number
  rssAtHealthy: number
  stop(): Promise<void>
}

/** What `npm start` runs after its prestart (`node [flags] .build/src/main.js`), from package.json: the bench starts the same. */
function npmStartArgs(): string[] {
  const { nodeFlags, script } = npmStartCommand()
  return [...nodeFlags, script]
}

/** `npm start`'s process (its prestart compiled it), timed from spawn. */
async function startAsNpmStartDoes(dataDir: string): Promise<Started> {
  const env: Record<string, string> = { ...(process.env as Record<string, string>), PORT: '0', CAREBRIDGE_DATA_DIR: dataDir, CAREBRIDGE_DEMO: '1', LOG_LEVEL: 'warn' }
  for (const name of ['DATABASE_URL', 'CAREBRIDGE_ADMIN_KEY', 'CAREBRIDGE_SECRET_KEY', 'CAREBRIDGE_PUBLIC_URL', 'CAREBRIDGE_ROLE', 'NODE_OPTIONS']) delete env[name]
  const t0 = performance.now()
  const child = spawn(process.execPath, npmStartArgs(), { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (d) => (output += d))
  child.stderr.on('data', (d) => (output += d))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await Promise.race([exited, sleep(20_000)])
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited
  }
  try {
    let bannerMs = 0
    const deadline = Date.now() + 180_000
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the hub exited during start-up:\n${output}`)
      if (Date.now() > deadline) throw new Error(`the hub was not healthy in 180 s:\n${output}`)
      const api = /^\s*API:\s+(http:\/\/\S+?)\/api\s/m.exec(output)?.[1]
      if (api) {
        bannerMs ||= performance.now() - t0
        const health = await fetch(`${api}/health`).catch(() => null)
        if (health?.ok) return { pid: child.pid!, bannerMs, healthyMs: performance.now() - t0, rssAtHealthy: rss(child.pid!), stop }
      }
      await sleep(20)
    }
  } catch (err) {
    await stop()
    throw err
  }
}

interface Piece {
  piece: string
  ms: number
  atMs: number
  rssMB: number
  heapMB: number
  /** The simulators' process, beside the hub's own figure. */
  childRssMB?: number
}

/** Resident memory of a process's children (the hub's: the demo simulators' process), in MB. */
function childrenRss(pid: number): number {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)
  return children.reduce((sum, child) => sum + rss(Number(child)), 0)
}

async function pieces(dataDir: string): Promise<Piece[]> {
  const child = spawn(process.execPath, ['--expose-gc', join(BUILD_DIR, 'bench', 'embeddedPieces.js'), dataDir], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (d) => (output += d))
  child.stderr.on('data', (d) => (output += d))
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  if (code !== 0) throw new Error(`bench/embeddedPieces.ts failed (${code}):\n${output}`)
  return output.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Piece)
}
