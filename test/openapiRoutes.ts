import fc from 'fast-check'

/**
 * The hub's routes as its own OpenAPI document states them, and fast-check arbitraries built from
 * their schemas: values that fit the schema, and hostile ones (wrong types, too long, unknown or
 * prototype keys, deep nesting, unicode the database cannot hold, missing fields).
 */
export interface JsonSchema {
  type?: string
  enum?: unknown[]
  nullable?: boolean
  format?: string
  pattern?: string
  minLength?: number
  maxLength?: number
  minimum?: number
  maximum?: number
  minItems?: number
  maxItems?: number
  items?: JsonSchema
  properties?: Record<string, JsonSchema>
  required?: string[]
  additionalProperties?: boolean | JsonSchema
  anyOf?: JsonSchema[]
  oneOf?: JsonSchema[]
  allOf?: JsonSchema[]
  default?: unknown
}

export interface Parameter {
  name: string
  in: 'path' | 'query' | 'header' | 'cookie'
  required?: boolean
  schema: JsonSchema
}

export interface Operation {
  method: string
  /** As the document writes it: `/api/patients/{id}`. */
  path: string
  parameters: Parameter[]
  body: JsonSchema | null
}

/** Every operation of an OpenAPI document, in document order. */
export function operationsOf(doc: { paths: Record<string, Record<string, any>> }): Operation[] {
  const operations: Operation[] = []
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue
      operations.push({
        method: method.toUpperCase(),
        path,
        parameters: (op.parameters ?? []) as Parameter[],
        body: op.requestBody?.content?.['application/json']?.schema ?? null,
      })
    }
  }
  return operations
}

/** `METHOD /path/{param}`: how tables name a route. */
export function routeName(op: Pick<Operation, 'method' | 'path'>): string {
  return `${op.method} ${op.path}`
}

/** The path with its `{param}`s filled (each value URL-encoded). */
export function fillPath(path: string, params: Record<string, string>): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => encodeLoosely(params[name] ?? ''))
}

/**
 * URL-encodes any text, a lone surrogate included (encodeURIComponent throws on one): it goes as
 * the bytes of no valid UTF-8, which is what a hostile client would send.
 */
export function encodeLoosely(text: string): string {
  try {
    return encodeURIComponent(text)
  } catch {
    return `${encodeURIComponent(text.replace(/\p{Surrogate}/gu, ''))}%ED%A0%80`
  }
}

export interface FitOptions {
  /** A value for a string schema of this format (e.g. uri → a loopback address only). */
  formats?: Record<string, fc.Arbitrary<string>>
  /** Values offered for a property of this name (e.g. ids of records that exist). */
  named?: Record<string, fc.Arbitrary<unknown>>
}

/** Values that fit `schema` (most of the time: patterns other than dates are not modelled). */
export function fitting(schema: JsonSchema, options: FitOptions = {}, depth = 0, name?: string): fc.Arbitrary<unknown> {
  if (name && options.named?.[name]) return options.named[name]!
  const inner = fittingNonNull(schema, options, depth)
  return schema.nullable ? fc.option(inner, { nil: null, freq: 5 }) : inner
}

function fittingNonNull(schema: JsonSchema, options: FitOptions, depth: number): fc.Arbitrary<unknown> {
  const choices = schema.anyOf ?? schema.oneOf
  if (choices?.length) return fc.oneof(...choices.map((c) => fitting(c, options, depth)))
  if (schema.allOf?.length) return fitting(schema.allOf[0]!, options, depth)
  if (schema.enum?.length) return fc.constantFrom(...schema.enum)
  switch (schema.type) {
    case 'string': {
      if (schema.format && options.formats?.[schema.format]) return options.formats[schema.format]!
      if (schema.format === 'uuid') return fc.uuid()
      if (schema.format === 'email') return fc.constantFrom('a@example.org', 'first.last@clinic.example.com')
      if (schema.format === 'date-time') return fc.date({ min: new Date('2000-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }).map((d) => d.toISOString())
      if (schema.pattern === '^\\d{4}-\\d{2}-\\d{2}$') return fc.date({ min: new Date('1920-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10))
      const minLength = schema.minLength ?? 0
      const maxLength = Math.max(minLength, Math.min(schema.maxLength ?? 24, 24))
      return fc.string({ minLength, maxLength }).filter((s) => s.trim().length >= minLength)
    }
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1000 })
    case 'number':
      return fc.double({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1000, noNaN: true })
    case 'boolean':
      return fc.boolean()
    case 'array':
      if (depth > 3) return fc.constant([])
      return fc.array(fitting(schema.items ?? {}, options, depth + 1), { minLength: schema.minItems ?? 0, maxLength: Math.max(schema.minItems ?? 0, 3) })
    case 'object': {
      if (depth > 3) return fc.constant({})
      const properties = schema.properties ?? {}
      if (Object.keys(properties).length > 0) {
        const model = Object.fromEntries(Object.entries(properties).map(([key, s]) => [key, fitting(s, options, depth + 1, key)]))
        return fc.record(model, { requiredKeys: (schema.required ?? []).filter((k) => k in properties) as never })
      }
      if (typeof schema.additionalProperties === 'object') return fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fitting(schema.additionalProperties, options, depth + 1), { maxKeys: 3 })
      return fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 })
    }
    default:
      return fc.jsonValue({ maxDepth: 2 })
  }
}

/** Nested `levels` deep: `[[[…]]]` or `{"a":{"a":…}}`. */
export function nested(levels: number, kind: 'array' | 'object'): unknown {
  let value: unknown = 'bottom'
  for (let i = 0; i < levels; i++) value = kind === 'array' ? [value] : { a: value }
  return value
}

/** JSON text nested `levels` deep (as text: JSON.stringify itself would overflow the stack on such a value). */
export function deepText(levels: number): string {
  return `${'{"a":['.repeat(levels)}1${']}'.repeat(levels)}`
}

/** Strings and values that have broken servers: each is sent in place of a field or a whole body. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    true,
    0,
    -1,
    1e308,
    -0,
    1.5,
    '',
    ' ',
    '\u202e\u200b',
    '\ud800',
    'a\udc00b',
    'zero\u0000byte',
    '🙂'.repeat(300),
    "'; drop table patients; --",
    '<script>alert(1)</script>',
    '../../etc/passwd',
    '%00%ff',
    '__proto__',
    'constructor',
    'x'.repeat(70_000),
    [],
    {},
    { __proto__: null, toString: 'x' },
    Array.from({ length: 20_000 }, (_, i) => i),
    nested(40, 'array'),
    nested(200, 'object'),
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.jsonValue({ maxDepth: 3 }),
)

/** Bodies that are not the JSON the route expects, as raw text (sent with `content-type: application/json`). */
export const hostileRawBody: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    '{',
    '{"a":',
    '[1,2',
    'nul',
    'NaN',
    '{"a":1}}',
    '\u0000',
    '"\\ud800"',
    '{"__proto__":{"admin":true}}',
    '{"constructor":{"prototype":{"admin":true}}}',
    '{"a":{"__proto__":{"isAdmin":true}}}',
    '['.repeat(100_000) + ']'.repeat(100_000),
    '{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000),
    '['.repeat(10_000),
    '{"firstName":"\\u0000"}',
    '{"firstName":"a","firstName":"b"}',
    `{"x":"${'y'.repeat(200_000)}"}`,
  ),
  fc.string({ unit: 'binary', maxLength: 200 }),
)

/** Which way a body is spoilt. */
export type BodyCase =
  | { kind: 'json'; value: unknown; how: string }
  | { kind: 'raw'; text: string; contentType: string; how: string }

/**
 * A body for a route whose body schema is `schema`: most are a fitting body with one field spoilt
 * (wrong type, too long, unknown, removed, a prototype key), some random JSON, some not JSON at all.
 */
export function hostileBody(schema: JsonSchema, options: FitOptions = {}): fc.Arbitrary<BodyCase> {
  const base = fitting(schema, options)
  const properties = Object.keys(schema.properties ?? {})
  const spoilt = fc.tuple(base, fc.nat(), hostileValue, fc.constantFrom('replace', 'remove', 'unknown', 'proto', 'constructor', 'deep')).map(([value, pick, bad, how]): BodyCase => {
    if (!isRecord(value) || properties.length === 0) return { kind: 'json', value: bad, how: 'body replaced' }
    const key = properties[pick % properties.length]!
    const copy: Record<string, unknown> = { ...value }
    switch (how) {
      case 'replace':
        copy[key] = bad
        return { kind: 'json', value: copy, how: `${key} replaced` }
      case 'remove':
        delete copy[key]
        return { kind: 'json', value: copy, how: `${key} removed` }
      case 'unknown':
        copy[`unknown_${key}`] = bad
        return { kind: 'json', value: copy, how: `unknown field beside ${key}` }
      case 'deep': {
        const text = JSON.stringify({ ...copy, [key]: '__deep__' }).replace('"__deep__"', deepText(30_000))
        return { kind: 'raw', text, contentType: 'application/json', how: `${key} nested 60,000 levels deep` }
      }
      default: {
        // Written into the text by hand: an object literal's __proto__ would set the prototype, not a key.
        const text = JSON.stringify(copy).replace(/^\{/, how === 'proto' ? '{"__proto__":{"role":"admin"},' : '{"constructor":{"prototype":{"role":"admin"}},').replace(/,\}$/, '}')
        return { kind: 'raw', text, contentType: 'application/json', how: `${how} key` }
      }
    }
  })
  return fc.oneof(
    { weight: 6, arbitrary: spoilt },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((value): BodyCase => ({ kind: 'json', value, how: 'random JSON' })) },
    { weight: 2, arbitrary: hostileRawBody.map((text): BodyCase => ({ kind: 'raw', text, contentType: 'application/json', how: 'malformed JSON' })) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16'), fc.string({ maxLength: 50 }))
        .map(([contentType, text]): BodyCase => ({ kind: 'raw', text, contentType, how: `sent as ${contentType}` })),
    },
  )
}

/** A query string for a route: its own parameters with fitting or hostile values, repeated, or unknown ones. */
export function hostileQuery(parameters: Parameter[], options: FitOptions = {}): fc.Arbitrary<string> {
  const query = parameters.filter((p) => p.in === 'query')
  const pair = (p: Parameter): fc.Arbitrary<[string, string][]> =>
    fc.oneof(
      fitting(p.schema, options, 0, p.name).map((v) => [[p.name, String(v)]] as [string, string][]),
      fc.oneof(fc.string({ unit: 'binary', maxLength: 30 }), fc.constantFrom('', '-1', '1e9', 'NaN', 'true', 'x'.repeat(5_000), '\u0000', '\ud800', '[object Object]')).map((v) => [[p.name, v]] as [string, string][]),
      fc.tuple(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 })).map(([a, b]) => [[p.name, a], [p.name, b]] as [string, string][]),
      fc.constant([] as [string, string][]),
    )
  const known = query.length > 0 ? fc.tuple(...query.map(pair)).map((pairs) => pairs.flat()) : fc.constant([] as [string, string][])
  const extra = fc.option(
    fc.constantFrom<[string, string]>(['__proto__', 'x'], ['constructor[prototype][admin]', 'true'], ['unknown', '1'], ['limit[]', '2'], ['a'.repeat(2_000), 'b']),
    { nil: undefined },
  )
  return fc.tuple(known, extra).map(([pairs, more]) => {
    const all = more ? [...pairs, more] : pairs
    return all.length > 0 ? `?${all.map(([k, v]) => `${encodeLoosely(k)}=${encodeLoosely(v)}`).join('&')}` : ''
  })
}

/** A path parameter: a record that exists, a random id, or hostile text. */
export function hostilePathValue(param: Parameter, existing: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    ...(existing.length > 0 ? [{ weight: 4, arbitrary: fc.constantFrom(...existing) }] : []),
    { weight: 2, arbitrary: fitting(param.schema).map(String) },
    { weight: 2, arbitrary: fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.constantFrom('0', '-1', '..', '%', 'x'.repeat(3_000), '\u0000', '\ud800', "1' or '1'='1", 'null', 'undefined')) },
  )
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
