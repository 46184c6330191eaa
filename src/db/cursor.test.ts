import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { openTestDatabase, type TestDatabase } from '../../test/database.js'
import { createPatients, listPatients, PatientInput } from '../crm/patients.js'

/**
 * Paging a list must return every row once, also rows written in one statement (one `now()`): a
 * pull stores its patients a page at a time, and an API page may end anywhere among them.
 */
let database: TestDatabase
const organizationId = randomUUID()

beforeAll(async () => {
  database = await openTestDatabase()
  await database.db.insertInto('organizations').values({ id: organizationId, name: 'Paging' }).execute()
}, 240_000)

afterAll(async () => {
  await database?.close()
})

it('pages through patients created together, each exactly once, whatever the page size', async () => {
  const batch = Array.from({ length: 23 }, (_, i) => PatientInput.parse({ firstName: 'Page', lastName: `Patient${i}`, dob: '1990-01-01' }))
  const created = await createPatients(database.db, organizationId, batch)
  await createPatients(database.db, organizationId, batch.slice(0, 4))
  for (const limit of [1, 3, 5, 10]) {
    const seen: string[] = []
    let cursor: string | undefined
    for (;;) {
      const page = await listPatients(database.db, organizationId, { limit, ...(cursor ? { cursor } : {}) })
      seen.push(...page.items.map((p) => p.id))
      if (!page.next) break
      cursor = page.next
    }
    expect(seen).toHaveLength(27)
    expect(new Set(seen).size).toBe(27)
    for (const { id } of created) expect(seen).toContain(id)
  }
})
