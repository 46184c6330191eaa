import type { FastifyRequest } from 'fastify'
import { InputError } from '../errors.js'

/**
 * How deep a request's JSON may nest. No route's input goes beyond a handful of levels, while
 * every walk over it (validation, redaction, JSON.stringify, PostgreSQL's jsonb) recurses: a body
 * nested a hundred thousand levels deep fits in a few hundred kilobytes and would overflow a stack.
 */
export const MAX_INPUT_DEPTH = 32

/**
 * Input the database cannot store, refused once at the door for every route (preValidation), in
 * the path parameters, the query string and the JSON body (values and keys, at any depth), with a
 * 400 naming the field — instead of a 500 from deep inside:
 * - the NUL character (U+0000): PostgreSQL refuses it in text and jsonb;
 * - a lone surrogate (half of a UTF-16 pair, e.g. "\ud800"): not Unicode text; jsonb refuses it
 *   and text would silently turn it into U+FFFD;
 * - nesting deeper than MAX_INPUT_DEPTH.
 * The walk is iterative: the check itself must not overflow the stack it protects.
 */
export async function refuseUnstorableInput(request: FastifyRequest): Promise<void> {
  const inputs = [
    ['params', request.params],
    ['querystring', request.query],
    ['body', request.body],
  ] as const
  for (const [where, value] of inputs) {
    const problem = findUnstorable(value)
    if (problem) throw new InputError(problem.path.length > 0 ? problem.path.map(printable).join('.') : where, problem.message)
  }
}

interface Problem {
  path: string[]
  message: string
}

/** The first string, key or container (in document order) the database cannot take, or null. */
export function findUnstorable(root: unknown): Problem | null {
  const stack: { value: unknown; path: string[] }[] = [{ value: root, path: [] }]
  while (stack.length > 0) {
    const { value, path } = stack.pop()!
    if (typeof value === 'string') {
      const message = textProblem(value)
      if (message) return { path, message }
      continue
    }
    const children: { value: unknown; path: string[] }[] = []
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) children.push({ value: value[i], path: [...path, String(i)] })
    } else if (isTextRecord(value)) {
      for (const [key, inner] of Object.entries(value)) {
        const message = textProblem(key)
        if (message) return { path: [...path, key], message }
        children.push({ value: inner, path: [...path, key] })
      }
    } else {
      continue
    }
    if (children.length > 0 && path.length >= MAX_INPUT_DEPTH) {
      return { path: path.slice(0, 1), message: `nests deeper than ${MAX_INPUT_DEPTH} levels; no field of this API needs that` }
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!)
  }
  return null
}

/** With the u flag a proper pair is one code point; only a half standing alone matches. */
const LONE_SURROGATE = /\p{Surrogate}/u

function textProblem(text: string): string | null {
  if (text.includes('\u0000')) return 'must not contain a NUL character (\\u0000)'
  if (LONE_SURROGATE.test(text)) return 'must be valid Unicode text (it holds half of a UTF-16 surrogate pair, e.g. \\ud800, alone)'
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

/** A field name fit to show back: NUL and lone surrogates written as escapes. */
function printable(segment: string): string {
  return segment.replaceAll('\u0000', '\\u0000').replace(/\p{Surrogate}/gu, (c) => `\\u${c.charCodeAt(0).toString(16)}`)
}
