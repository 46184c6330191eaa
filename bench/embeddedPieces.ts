/**
 * The hub's start taken apart, run by part `embedded` as its own process, compiled as `npm start`
 * runs the hub (`node --expose-gc .build/bench/embeddedPieces.js <data dir>`) on a data directory a hub
 * made and left: each piece `main.ts` starts, in its order (the pieces after the fork overlap the simulators' start), with the time since the process began
 * and the resident memory after it (after a GC). Prints one JSON line per piece; measures from
 * outside the product, which carries no timing code for this.
 */
import { readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'

const dataDir = process.argv[2]
if (!dataDir) throw new Error('usage: embeddedPieces.ts <data dir>')
const quiet = { warn() {}, error() {}, info() {} }
let last = 0
let inGc = 0
const mark = (piece: string, extra: { childRssMB?: number } = {}) => {
  const now = performance.now()
  // The collection that makes the memory figures comparable is left out of the times.
  ;(globalThis as { gc?: () => void }).gc?.()
  console.log(JSON.stringify({ piece, ms: Math.round(now - last), atMs: Math.round(now - inGc), rssMB: Math.round(process.memoryUsage().rss / 1024 / 1024), heapMB: Math.round(process.memoryUsage().heapUsed / 1024 / 1024), ...extra }))
  inGc += performance.now() - now
  last = performance.now()
}

mark('node started')
// As main.ts: the simulators' process is forked first and comes up while the hub loads and opens its database.
const { startSimulatorProcess } = await import('../src/demo/simulatorProcess.js')
const simulatorsStarting = startSimulatorProcess()
mark("demo simulators' process forked (Ritten, ECW, KIPU, CRMS, Caredove come up beside what follows)")
const { openDatabase } = await import('../src/db/database.js')
mark('database module imported (PGlite, kysely)')
await import('../src/engine/engine.js')
await import('../src/api/app.js')
mark('engine and API modules imported (Fastify, zod schemas, connectors, OpenAPI)')
await import('../src/demo/demo.js')
mark('demo module imported (the simulators run in a process of their own)')
const database = await openDatabase({ dataDir, poolSize: 14, log: quiet })
mark('embedded database opened (reopened directory, migrations checked)')
const simulators = await simulatorsStarting
mark('demo simulators ready (the wait left after the pieces above)', { childRssMB: childrenRss() })
const { validateEcwPatient } = await import('../src/connectors/ecw/validation.js')
validateEcwPatient({ resourceType: 'Patient', name: [{ family: 'Rivers', given: ['Dana'] }], gender: 'female', birthDate: '2001-05-27' })
mark('FHIR R4 and US Core definitions indexed (the first ECW push validates its patient)')
await simulators.close()
await database.close()
process.exit(0)

/** Resident memory of this process's children (the simulators' process), in MB. */
function childrenRss(): number {
  const children = readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)
  // As kit.ts's rss(), which this process does not import: its modules would count in the first piece.
  const rss = (pid: string) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024
  return Math.round(children.reduce((sum, pid) => sum + rss(pid), 0))
}
