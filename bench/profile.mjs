/**
 * A CPU profile of a hub process, for the bench: `BENCH_HUB_NODE_OPTIONS=--import=./bench/profile.mjs`
 * (an absolute path: the hubs run from their own directory) with `PROFILE_DIR` set. Node refuses
 * `--cpu-prof` in NODE_OPTIONS, so this starts node:inspector's sampling profiler as the process
 * starts and writes `<PROFILE_DIR>/<pid>.cpuprofile` when it exits (a graceful stop; a killed
 * process writes nothing). Plain JavaScript: the hubs run compiled, without a TypeScript loader.
 * Rank a profile with `npx tsx bench/profileRank.ts <files>`.
 */
import { Session } from 'node:inspector'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'

const dir = process.env.PROFILE_DIR
if (!dir) throw new Error('bench/profile.mjs: set PROFILE_DIR to the directory the profiles go to')
const session = new Session()
session.connect()
session.post('Profiler.enable')
// Every 0.5 ms (the default is 1 ms): a push is a few milliseconds of CPU, spread over many functions.
session.post('Profiler.setSamplingInterval', { interval: 500 })
session.post('Profiler.start')
process.once('exit', () => {
  // The in-process session answers synchronously, so the profile is written before the process ends.
  session.post('Profiler.stop', (err, result) => {
    if (err) console.error('bench/profile.mjs: the profiler did not stop', err)
    else writeFileSync(join(dir, `${process.pid}.cpuprofile`), JSON.stringify(result.profile))
  })
})
