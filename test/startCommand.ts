import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

/**
 * What `npm start` runs after its prestart, read from package.json's "start" script
 * (`node [flags] .build/src/main.js`): the one list of the hub's node flags. The hubs the tests
 * and the bench start take their flags from here, so they run (and measure memory) as a
 * deployed hub does — a second copy of the list would drift from it.
 */
export function npmStartCommand(): { nodeFlags: string[]; script: string } {
  const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }
  const [command, ...args] = scripts.start.trim().split(/\s+/)
  const script = args.at(-1)
  if (command !== 'node' || !script || script.startsWith('-')) throw new Error(`npm start runs "${scripts.start}"; hubs are started only as \`node [flags] <script>\``)
  return { nodeFlags: args.slice(0, -1), script: join(ROOT, script) }
}
