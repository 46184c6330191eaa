import type { FastifyRequest } from 'fastify'
import { InputError } from '../errors.js'

/**
 * PostgreSQL refuses the NUL character (U+0000) in text and jsonb, so a NUL that reached a query
 * would be a 500. This preValidation hook refuses it once, at the door, for every route: in the
 * path parameters, the query string and the JSON body (values and keys, at any depth), with a 400
 * naming the field.
 */
export async function refuseNulCharacters(request: FastifyRequest): Promise<void> {
  const inputs = [
    ['params', request.params],
    ['querystring', request.query],
    ['body', request.body],
  ] as const
  for (const [where, value] of inputs) {
    const path = pathOfNul(value, [])
    if (path) throw new InputError(path.length > 0 ? path.map(printable).join('.') : where, 'must not contain a NUL character (\\u0000)')
  }
}

/** The path to the first string (or object key) holding a NUL, or null when there is none. */
function pathOfNul(value: unknown, path: string[]): string[] | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = pathOfNul(value[i], [...path, String(i)])
      if (found) return found
    }
    return null
  }
  if (isTextRecord(value)) {
    for (const [key, inner] of Object.entries(value)) {
      if (key.includes('\u0000')) return [...path, key]
      const found = pathOfNul(inner, [...path, key])
      if (found) return found
    }
  }
  return null
}

/**
 * Parsed JSON, query strings and path parameters are plain records (the last two with a
 * prototype of their own); binary bodies and streams are not text input.
 */
function isTextRecord(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return false
  return typeof (value as { pipe?: unknown }).pipe !== 'function'
}

/** A field name fit to show back: its NUL written as an escape. */
function printable(segment: string): string {
  return segment.replaceAll('\u0000', '\\u0000')
}
