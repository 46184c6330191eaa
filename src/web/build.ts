import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Builds the admin UI (src/web → src/web/dist) when its sources changed since the last build, so
 * `npm install` and `npm start` keep a fresh clone working while a start with the build in place
 * costs only a hash of the sources. `--force` builds anyway.
 */
const WEB = fileURLToPath(new URL('.', import.meta.url))
const ROOT = join(WEB, '..', '..')
const DIST = join(WEB, 'dist')
const STAMP = join(DIST, '.sources-hash')
const LOCK = join(WEB, 'dist.lock')
/** A build takes well under this; a lock older than it was left by a killed build. */
const STALE_LOCK_MS = 5 * 60_000

export async function ensureWebBuilt(options: { force?: boolean; log?: (line: string) => void } = {}): Promise<'built' | 'fresh'> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`))
  const hash = sourcesHash()
  if (!options.force && currentHash() === hash) return 'fresh'
  await withLock(async () => {
    // Another process may have built it while this one waited.
    if (!options.force && currentHash() === hash) return
    log('Building the admin UI (src/web)…')
    const { build } = await import('vite')
    const staging = `${DIST}.staging-${process.pid}`
    rmSync(staging, { recursive: true, force: true })
    await build({ configFile: join(WEB, 'vite.config.ts'), build: { outDir: staging, emptyOutDir: true }, logLevel: 'warn' })
    writeFileSync(join(staging, '.sources-hash'), hash)
    // Swap the new build in whole: a reader never sees half of one.
    const old = `${DIST}.old-${process.pid}`
    if (existsSync(DIST)) renameSync(DIST, old)
    renameSync(staging, DIST)
    rmSync(old, { recursive: true, force: true })
    log('Admin UI built.')
  })
  return 'built'
}

/** What the build depends on: the UI's sources and config, and the locked dependency versions. */
function sourcesHash(): string {
  const hash = createHash('sha256')
  const files = [join(WEB, 'index.html'), join(WEB, 'vite.config.ts'), join(ROOT, 'package-lock.json'), ...listFiles(join(WEB, 'src'))]
  for (const file of files) {
    hash.update(file.slice(ROOT.length))
    hash.update(existsSync(file) ? readFileSync(file) : '')
  }
  return hash.digest('hex')
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => (entry.isDirectory() ? listFiles(join(dir, entry.name)) : [join(dir, entry.name)]))
}

function currentHash(): string | null {
  return existsSync(STAMP) && existsSync(join(DIST, 'index.html')) ? readFileSync(STAMP, 'utf8') : null
}

async function withLock(work: () => Promise<void>): Promise<void> {
  for (;;) {
    try {
      mkdirSync(LOCK)
      break
    } catch {
      const age = Date.now() - (statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now())
      if (age > STALE_LOCK_MS) rmSync(LOCK, { recursive: true, force: true })
      else await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }
  try {
    await work()
  } finally {
    rmSync(LOCK, { recursive: true, force: true })
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  ensureWebBuilt({ force: process.argv.includes('--force') }).catch((err) => {
    process.stderr.write(`The admin UI could not be built: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exit(1)
  })
}
