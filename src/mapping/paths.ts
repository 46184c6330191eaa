/** Dotted paths with array indexes (`name.first`, `phones[0]`, `addresses[0].city`) into plain JSON. */
type Segment = string | number

/**
 * The path's segments, or null when it is not a path. Parsed once per path and kept: a push maps
 * the same few dozen fields (a connection's mapping, a connector's catalog) for every patient, and
 * each parse ran a regular expression and a matchAll per part. The cache is bounded, in case paths
 * ever come from somewhere without end; the segments are frozen, as callers share them.
 */
export function parsePath(path: string): readonly Segment[] | null {
  const known = parsed.get(path)
  if (known !== undefined) return known
  const segments = parseUncached(path)
  if (parsed.size >= MAX_PARSED_PATHS) parsed.clear()
  parsed.set(path, segments)
  return segments
}

const MAX_PARSED_PATHS = 1000
const parsed = new Map<string, readonly Segment[] | null>()
const PATH = /^[A-Za-z_][A-Za-z0-9_]*(\[\d+\])*(\.[A-Za-z_][A-Za-z0-9_]*(\[\d+\])*)*$/

function parseUncached(path: string): readonly Segment[] | null {
  if (!PATH.test(path)) return null
  const segments: Segment[] = []
  for (const part of path.split('.')) {
    const name = part.split('[')[0]!
    segments.push(name)
    for (const index of part.matchAll(/\[(\d+)\]/g)) segments.push(Number(index[1]))
  }
  return Object.freeze(segments)
}

export function getPath(source: unknown, path: string): unknown {
  const segments = parsePath(path)
  if (!segments) return undefined
  let current: unknown = source
  for (const segment of segments) {
    if (current === null || current === undefined || typeof current !== 'object') return undefined
    current = (current as Record<string | number, unknown>)[segment]
  }
  return current
}

/** Sets a value, creating objects and arrays on the way; array holes are compacted by `compactArrays`. */
export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const segments = parsePath(path)
  if (!segments) throw new Error(`Invalid field path: ${path}`)
  let current: Record<string | number, unknown> = target
  const last = segments.length - 1
  for (let i = 0; i < last; i++) {
    const segment = segments[i]!
    if (current[segment] === undefined || current[segment] === null) current[segment] = typeof segments[i + 1] === 'number' ? [] : {}
    current = current[segment] as Record<string | number, unknown>
  }
  current[segments[last]!] = value
}

/** Removes the holes left in arrays when some indexed fields had no value (phones[1] without phones[0]). */
export function compactArrays<T>(value: T): T {
  if (Array.isArray(value)) return value.filter((v) => v !== undefined).map(compactArrays) as T
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, compactArrays(v)])) as T
  }
  return value
}
