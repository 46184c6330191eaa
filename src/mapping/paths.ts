/** Dotted paths with array indexes (`name.first`, `phones[0]`, `addresses[0].city`) into plain JSON. */
type Segment = string | number

/**
 * Parsed paths, by path: a pull sets and reads each mapped field of every record by path (a
 * 100,000-patient pull parsed the same twenty-odd paths millions of times, with a regular
 * expression and two splits each). Field maps are small; the bound only keeps arbitrary paths from
 * growing it without end. Callers only read the segments.
 */
const parsed = new Map<string, readonly Segment[] | null>()
const MAX_PARSED = 1_000

export function parsePath(path: string): readonly Segment[] | null {
  let segments = parsed.get(path)
  if (segments === undefined) {
    if (parsed.size >= MAX_PARSED) parsed.clear()
    segments = parseSegments(path)
    parsed.set(path, segments)
  }
  return segments
}

function parseSegments(path: string): Segment[] | null {
  if (!/^[A-Za-z_][A-Za-z0-9_]*(\[\d+\])*(\.[A-Za-z_][A-Za-z0-9_]*(\[\d+\])*)*$/.test(path)) return null
  const segments: Segment[] = []
  for (const part of path.split('.')) {
    const name = part.split('[')[0]!
    segments.push(name)
    for (const index of part.matchAll(/\[(\d+)\]/g)) segments.push(Number(index[1]))
  }
  return segments
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
  segments.forEach((segment, i) => {
    if (i === segments.length - 1) {
      current[segment] = value
      return
    }
    const next = segments[i + 1]
    if (current[segment] === undefined || current[segment] === null) current[segment] = typeof next === 'number' ? [] : {}
    current = current[segment] as Record<string | number, unknown>
  })
}

/** Removes the holes left in arrays when some indexed fields had no value (phones[1] without phones[0]). */
export function compactArrays<T>(value: T): T {
  if (Array.isArray(value)) return value.filter((v) => v !== undefined).map(compactArrays) as T
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, compactArrays(v)])) as T
  }
  return value
}
