/**
 * `npx tsx bench/profileRank.ts <file.cpuprofile>… [--top=N]`: where the profiled processes (see
 * bench/profile.mjs) spent their busy time, as a share of the samples that were not idle — self
 * time by function and by module (a package, a node: module, a file of the hub's own), and each
 * dependency's self time (Kysely, zod, pg) charged to the nearest function of the hub's own
 * above it, which says which of our statements or schemas cost it.
 */
import { readFileSync } from 'node:fs'
import { z } from 'zod'

const Profile = z.object({
  nodes: z.array(z.object({ id: z.number(), callFrame: z.object({ functionName: z.string(), url: z.string(), lineNumber: z.number() }), children: z.array(z.number()).optional() })),
  samples: z.array(z.number()),
})
type Node = z.infer<typeof Profile>['nodes'][number]

const args = process.argv.slice(2)
const top = Number(args.find((a) => a.startsWith('--top='))?.slice(6) ?? 30)
const files = args.filter((a) => !a.startsWith('--'))
if (files.length === 0) throw new Error('usage: npx tsx bench/profileRank.ts <file.cpuprofile>… [--top=N]')

/** The hub's own files: compiled under .build/ (npm start) or the test build's directory (the bench). */
const OWN = /(?:\.build|carebridge-test-build\/[^/]+)\/((?:src|simulators)\/.*)$/
const own = (url: string) => OWN.exec(url)?.[1]
const moduleOf = (url: string, name: string) => (url ? (own(url) ?? /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? url) : name)
const label = (n: Node) => `${n.callFrame.functionName || '(anonymous)'} ${own(n.callFrame.url) ?? moduleOf(n.callFrame.url, '')}:${n.callFrame.lineNumber + 1}`

const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1)
const byFunction = new Map<string, number>()
const byModule = new Map<string, number>()
const charged = new Map<string, number>()
let busy = 0
let idle = 0
for (const file of files) {
  const profile = Profile.parse(JSON.parse(readFileSync(file, 'utf8')))
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  for (const id of profile.samples) {
    const n = nodes.get(id)!
    if (n.callFrame.functionName === '(idle)') {
      idle += 1
      continue
    }
    busy += 1
    bump(byFunction, label(n))
    const module = moduleOf(n.callFrame.url, n.callFrame.functionName)
    bump(byModule, module)
    if (['kysely', 'zod', 'pg', 'pg-protocol'].includes(module)) {
      let caller: Node | undefined
      for (let at = parent.get(id); at !== undefined && !caller; at = parent.get(at)) if (own(nodes.get(at)!.callFrame.url)) caller = nodes.get(at)
      bump(charged, `${module} ← ${caller ? label(caller) : '(none of ours)'}`)
    }
  }
}
const print = (title: string, m: Map<string, number>) => {
  console.log(`\n${title}`)
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${((100 * v) / busy).toFixed(1).padStart(6)}%  ${k}`)
}
console.log(`${files.length} profile(s): ${busy} busy samples, idle ${((100 * idle) / (busy + idle)).toFixed(0)}% of all`)
print('self time by function (% of busy)', byFunction)
print('self time by module', byModule)
print("dependencies' self time by the hub's own caller nearest above", charged)
