import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { compileHubForRun } from './compileHub.js'
import { TEMPLATE_ENV, TEMPLATE_FAILED, TEMPLATE_READY } from './template.js'

/**
 * Once per `vitest run` on the embedded database: one PGlite data directory, initialised and
 * migrated (the hub's migrations), that every hub and unit-test database of
 * the run starts from as a copy (test/template.ts) instead of initialising and migrating its own —
 * most of a hub's start on a busy machine.
 *
 * It is kept between runs under node_modules/.cache, named by a hash of everything that decides
 * its contents (the database code and migrations, the builder, the versions of PGlite,
 * Kysely and pg): a second run with the same migrations skips the build; a changed migration makes
 * a new one. When it must be built (a clean clone, a changed migration), a process of its own
 * builds it in a directory beside the kept ones while vitest forks its workers and imports the
 * test files (in vitest's own process PGlite's WebAssembly would hold all of that up), and the run
 * keeps it once it ends. On PostgreSQL
 * (TEST_DATABASE_URL) each suite's fresh database migrates itself, which is quick there.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const CACHE = join(ROOT, 'node_modules', '.cache', 'carebridge-test-template')
/** What decides the template's contents, besides the packages below. */
const SOURCES = ['src/db', 'test/templateBuild.ts', 'test/template.ts', 'test/globalSetup.ts']
const PACKAGES = ['@electric-sql/pglite', 'kysely', 'pg']
/** A build directory this old belongs to a run that was killed before it could keep or remove it. */
const ABANDONED_MS = 60 * 60_000

export default async function setup(): Promise<() => Promise<void>> {
  const removeBuild = await compileHubForRun()
  const removeTemplate = templateSetup()
  return async () => {
    await removeTemplate()
    removeBuild()
  }
}

function templateSetup(): () => Promise<void> {
  if (process.env.TEST_DATABASE_URL) return async () => undefined
  const key = templateKey()
  const kept = join(CACHE, key)
  if (existsSync(join(kept, TEMPLATE_READY))) {
    // The test workers are forked after this and inherit the environment.
    process.env[TEMPLATE_ENV] = kept
    return async () => {
      delete process.env[TEMPLATE_ENV]
    }
  }
  mkdirSync(CACHE, { recursive: true })
  removeStale(key)
  const dir = mkdtempSync(join(CACHE, `${key}.building-`))
  process.env[TEMPLATE_ENV] = dir
  const built = build(dir).then(
    () => {
      writeFileSync(join(dir, TEMPLATE_READY), '')
      return true
    },
    // Without a template every database initialises itself, as before: slower, not wrong.
    (err: unknown) => {
      writeFileSync(join(dir, TEMPLATE_FAILED), err instanceof Error ? (err.stack ?? err.message) : String(err))
      return false
    },
  )
  return async () => {
    const ready = await built
    delete process.env[TEMPLATE_ENV]
    // Kept only once no test copies it any more; a run beside this one may have kept the same template first.
    if (ready && !existsSync(kept)) renameSync(dir, kept)
    else rmSync(dir, { recursive: true, force: true })
  }
}

/** The hash naming a template: the contents of SOURCES (every non-test file, by path) and the PACKAGES' versions. */
function templateKey(): string {
  const hash = createHash('sha256')
  const files = SOURCES.flatMap((source) => filesUnder(join(ROOT, source))).filter((file) => !file.endsWith('.test.ts'))
  for (const file of files.sort()) hash.update(`${relative(ROOT, file)}\0`).update(readFileSync(file)).update('\0')
  for (const name of PACKAGES) hash.update(`${name}@${JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version}\0`)
  return hash.digest('hex').slice(0, 16)
}

function filesUnder(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path]
  return readdirSync(path).flatMap((name) => filesUnder(join(path, name)))
}

/** Templates of other migrations, and build directories whose run died: never used again. */
function removeStale(key: string): void {
  for (const name of readdirSync(CACHE)) {
    const path = join(CACHE, name)
    const building = name.includes('.building-')
    if (building ? Date.now() - statSync(path).mtimeMs > ABANDONED_MS : name !== key) rmSync(path, { recursive: true, force: true })
  }
}

/** test/templateBuild.ts in a child process; its output is the error when it fails. */
function build(dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test', 'templateBuild.ts'), dir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (d) => (output += d))
    child.stderr.on('data', (d) => (output += d))
    child.once('error', reject)
    child.once('exit', (code, signal) => {
      if (code === 0) resolve()
      else reject(new Error(`building the test database template failed (${code ?? signal}):\n${output}`))
    })
  })
}
