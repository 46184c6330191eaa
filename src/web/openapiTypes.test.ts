import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { SCHEMA_FILE, generateApiTypes } from './openapiTypes.js'

describe("the UI's API types", () => {
  it("are the ones the hub's OpenAPI document gives today (else: npm run web:types)", async () => {
    const committed = readFileSync(SCHEMA_FILE, 'utf8')
    const fresh = await generateApiTypes()
    expect(committed === fresh, 'src/web/src/api/schema.d.ts is stale: run "npm run web:types"').toBe(true)
  })
})
