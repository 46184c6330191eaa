import { createHash, randomBytes } from 'node:crypto'
import { newId } from '../db/ids.js'
import type { DbOrTx } from '../db/database.js'

export type Role = 'admin' | 'staff'

export interface Actor {
  keyId: string
  name: string
  role: Role
  organizationId: string
}

/** Keys are stored as SHA-256 hashes: a database dump does not reveal them. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex')
}

export async function findActor(db: DbOrTx, key: string): Promise<Actor | null> {
  const row = await db
    .selectFrom('api_keys')
    .select(['id', 'name', 'role', 'organization_id'])
    .where('key_hash', '=', hashKey(key))
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  return row ? { keyId: row.id, name: row.name, role: row.role, organizationId: row.organization_id } : null
}

/** Creates a key and returns it in clear — the only time it is ever shown. */
export async function createApiKey(db: DbOrTx, options: { organizationId: string; name: string; role: Role; key?: string }): Promise<{ id: string; key: string }> {
  const key = options.key ?? `cbk_${randomBytes(24).toString('base64url')}`
  const id = newId()
  await db
    .insertInto('api_keys')
    .values({ id, organization_id: options.organizationId, name: options.name, role: options.role, key_hash: hashKey(key), revoked_at: null })
    .onConflict((oc) => oc.column('key_hash').doNothing())
    .execute()
  return { id, key }
}
