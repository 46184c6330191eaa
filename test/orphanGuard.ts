import { rmSync } from 'node:fs'

/**
 * Loaded into every hub the harness starts (`--import`): a hub whose test process died ends too.
 * A test file's process can end without stopping its hubs — a beforeAll that timed out while a
 * hub was still starting (the hub arrives after afterAll ran), a worker ended by a signal, where
 * no exit handler runs — and the orphan would go on working (polling its queue, holding its
 * embedded database) beside the rest of the run, slowing it, with its data directory left behind.
 */
const parent = process.ppid
const ownedDir = process.env.CAREBRIDGE_TEST_OWNED_DIR

setInterval(() => {
  if (process.ppid === parent) return
  // The directory is the dead test's to remove, and nobody else's now.
  if (ownedDir) rmSync(ownedDir, { recursive: true, force: true })
  process.exit(1)
}, 1_000).unref()
