import { sql, type SelectQueryBuilder } from 'kysely'
import { InputError } from '../errors.js'

/** Keyset pagination over (timestamp, id): stable while rows are inserted, cheap at any depth. */
export interface Page<T> {
  items: T[]
  next: string | null
}

export function encodeCursor(at: Date, id: string): string {
  return Buffer.from(`${at.toISOString()}|${id}`).toString('base64url')
}

export function decodeCursor(cursor: string): { at: Date; id: string } | null {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|')
  if (!at || !id || Number.isNaN(Date.parse(at))) return null
  return { at: new Date(at), id }
}

/**
 * Applies "older than the cursor" (newest first) and the limit (+1 to know whether a next page
 * exists) to a query over a table with `timeColumn` and `id`.
 */
export function applyCursor<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  options: { cursor: string | undefined; limit: number; timeColumn: string; idColumn?: string },
): SelectQueryBuilder<DB, TB, O> {
  const idColumn = options.idColumn ?? 'id'
  let q = query
  const position = options.cursor ? decodeCursor(options.cursor) : null
  if (options.cursor && !position) throw new InputError('cursor', 'is not a cursor this API gave: pass the `next` of the page before, or leave it out for the first page')
  if (position) {
    q = q.where(
      sql<boolean>`(${sql.ref(options.timeColumn)}, ${sql.ref(idColumn)}) < (${position.at}, ${position.id})`,
    )
  }
  return q
    .orderBy(sql.ref(options.timeColumn), 'desc')
    .orderBy(sql.ref(idColumn), 'desc')
    .limit(options.limit + 1)
}

export function toPage<R, T>(rows: R[], limit: number, position: (row: R) => { at: Date; id: string }, map: (row: R) => T): Page<T> {
  const more = rows.length > limit
  const items = (more ? rows.slice(0, limit) : rows)
  const last = items[items.length - 1]
  return {
    items: items.map(map),
    next: more && last ? encodeCursor(position(last).at, position(last).id) : null,
  }
}
