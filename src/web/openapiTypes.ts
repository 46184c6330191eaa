import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import openapiTS, { astToString } from 'openapi-typescript'
import { buildApi } from '../api/app.js'
import { loadConfig } from '../config.js'
import type { Hub } from '../hub.js'

/**
 * The UI's API types come from the hub's own OpenAPI document, never written by hand:
 * `npm run web:types` regenerates src/web/src/api/schema.d.ts, and a test fails while it is stale.
 */
export const SCHEMA_FILE = fileURLToPath(new URL('./src/api/schema.d.ts', import.meta.url))

export async function generateApiTypes(): Promise<string> {
  // Describing the routes needs no database or workers: the parts routes use at request time are absent.
  const absent = new Proxy({}, { get: () => { throw new Error('not available while describing the API') } })
  const hub: Hub = { config: loadConfig({}), db: absent as Hub['db'], engine: absent as Hub['engine'], box: absent as Hub['box'], availability: absent as Hub['availability'], ready: () => false }
  const app = await buildApi(hub, {})
  await app.ready()
  const document = app.swagger() as Parameters<typeof openapiTS>[0]
  await app.close()
  const types = astToString(await openapiTS(document, { alphabetize: true }))
  return `/* Generated from the hub's OpenAPI document by \`npm run web:types\` (src/web/openapiTypes.ts). Do not edit. */\n\n${types}`
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(SCHEMA_FILE, await generateApiTypes())
  process.stdout.write(`wrote ${SCHEMA_FILE}\n`)
}
