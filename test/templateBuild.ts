import { openDatabase } from '../src/db/database.js'

/**
 * Builds the migrated embedded database the tests copy (test/globalSetup.ts) in the data directory
 * given as the argument: the hub's migrations. A process of its own, because
 * PGlite's initialisation is seconds of WebAssembly on the thread that runs it — in vitest's own
 * process it would hold up the start of every test file.
 */
async function build(dir: string): Promise<void> {
  const database = await openDatabase({ dataDir: dir })
  await database.close()
}

const dir = process.argv[2]
if (!dir) throw new Error('usage: node --import tsx test/templateBuild.ts <data directory>')
await build(dir)
