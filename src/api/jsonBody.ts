import type { FastifyRequest } from 'fastify'
import { InputError } from '../errors.js'
import { MAX_INPUT_DEPTH } from './textInput.js'

/**
 * The API's JSON body parser, in place of fastify's, which answers every bad body with the same
 * "Body is not valid JSON" (a `__proto__` key in valid JSON included). This one says what is
 * wrong: where the JSON breaks, or which key is refused. `__proto__` keys, and `constructor`
 * keys holding a `prototype`, are refused at any depth, as fastify does: code that copies
 * input with Object.assign or a merge would otherwise change the prototype of its objects.
 */
export function parseJsonBody(_request: FastifyRequest, body: string, done: (err: Error | null, value?: unknown) => void): void {
  if (body.length === 0) return done(new InputError('body', 'is empty: send a JSON object'))
  let value: unknown
  try {
    value = JSON.parse(body)
  } catch (err) {
    return done(new InputError('body', `is not valid JSON (${(err as Error).message.slice(0, 200)})`))
  }
  const polluting = findPrototypeKey(value)
  if (polluting) return done(new InputError(polluting, 'is refused: a key that could change the prototype of objects (send data, not "__proto__" or "constructor.prototype")'))
  done(null, value)
}

/**
 * The path to the first `__proto__` key, or `constructor` key holding a `prototype`; null when
 * none. Iterative, and no deeper than the API takes input at all: a deeper body is refused by
 * `refuseUnstorableInput` before any route sees it.
 */
function findPrototypeKey(root: unknown): string | null {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value: root, path: '', depth: 0 }]
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop()!
    if (value === null || typeof value !== 'object' || depth > MAX_INPUT_DEPTH) continue
    for (const key of Object.keys(value)) {
      const inner = (value as Record<string, unknown>)[key]
      const at = path ? `${path}.${key}` : key
      if (key === '__proto__') return at
      if (key === 'constructor' && inner !== null && typeof inner === 'object' && Object.hasOwn(inner, 'prototype')) return `${at}.prototype`
      stack.push({ value: inner, path: at, depth: depth + 1 })
    }
  }
  return null
}
