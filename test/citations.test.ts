import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

/**
 * Whoever clones the repository has only the repository: files must cite vendor documents by
 * their public names and addresses, never a folder of the machine they were written on or a
 * sibling of the checkout, and must keep inside the repository every fact the code needs.
 */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const SCANNED = ['src', 'simulators', 'test', 'bench', '.ci', 'docs']
/** Folders whose citations other branches are rewriting at the same time; remove each once merged. */
const FIXED_ON_OTHER_BRANCHES: string[] = []
const OUTSIDE = [
  { what: 'a machine folder', pattern: /\/work\// },
  { what: 'a folder beside the checkout', pattern: /\.\.\/shared\b|\bshared\/(specs|seeds)\b/ },
  { what: 'a planning document that is not in the repository', pattern: /\b(CONTRACT|MISSION|DESIGN|EXTERNAL-APIS)\.md\b/ },
  { what: 'a source document by its local number', pattern: /\bseeds? 0\d\d\b/i },
]

function filesUnder(dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    // Built and generated output (the UI's bundle) is not the repository's text.
    if (name === 'node_modules' || name === '.git' || name === 'dist') continue
    const path = join(dir, name)
    if (statSync(path).isDirectory()) out.push(...filesUnder(path))
    else out.push(path)
  }
  return out
}

function repositoryFiles(): string[] {
  const top = readdirSync(ROOT).filter((name) => /\.(md|json|ts)$/.test(name) && name !== 'package-lock.json').map((name) => join(ROOT, name))
  const nested = SCANNED.flatMap((dir) => {
    try {
      return filesUnder(join(ROOT, dir))
    } catch {
      return []
    }
  })
  return [...top, ...nested]
    .map((path) => relative(ROOT, path))
    .filter((path) => path !== 'test/citations.test.ts' && !FIXED_ON_OTHER_BRANCHES.some((dir) => path.startsWith(`${dir}/`)))
}

describe('the repository stands alone', () => {
  it('cites no path outside the repository', () => {
    const found: string[] = []
    for (const path of repositoryFiles()) {
      const lines = readFileSync(join(ROOT, path), 'utf8').split('\n')
      lines.forEach((line, i) => {
        for (const { what, pattern } of OUTSIDE) if (pattern.test(line)) found.push(`${path}:${i + 1} cites ${what}: ${line.trim().slice(0, 120)}`)
      })
    }
    expect(found).toEqual([])
  })
})
