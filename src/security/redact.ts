/**
 * Redaction of exchange bodies. Credentials are removed before anything is stored; PHI is removed
 * from what non-admins are shown. Matching is by key name, at any depth, so it covers every
 * connector's payloads (Ritten JSON, FHIR resources, KIPU documents) without a list per system.
 */
const CREDENTIAL_KEYS = new Set([
  'client_secret',
  'clientsecret',
  'secret',
  'secret_key',
  'secretkey',
  'access_token',
  'accesstoken',
  'refresh_token',
  'id_token',
  'client_assertion',
  'password',
  'authorization',
  'apikey',
  'api_key',
])

const PHI_KEYS = new Set([
  // names
  'first', 'middle', 'last', 'chosenname', 'firstname', 'middlename', 'lastname', 'preferredname', 'first_name',
  'middle_name', 'last_name', 'given', 'family', 'name', 'text', 'full_name', 'subscriber',
  // dates of birth
  'dob', 'birthdate', 'birth_date', 'subscriberdob',
  // contact
  'phone', 'phones', 'alternatephone', 'phone_home', 'phone_alt', 'email', 'emails', 'telecom', 'value',
  'address', 'addresses', 'line', 'line1', 'line2', 'city', 'postalcode', 'postal_code', 'street',
  // identifiers
  'ssn', 'memberid', 'memberidentifier', 'member_id', 'policy_no', 'groupnumber', 'group_number', 'mrn', 'mr_number',
  'identifier', 'subscriberphonenumber',
])

export const REDACTED = '[redacted]'

/** Removes credentials from a JSON value (used before an exchange is stored). */
export function redactCredentials<T>(value: T): T {
  return redactKeys(value, CREDENTIAL_KEYS) as T
}

/**
 * Removes PHI from a JSON value (used when a non-admin reads an exchange). `extraKeys` are the
 * PHI field names of the exchange's connector (its catalog's `phi` fields, e.g. KIPU's
 * `alternate_phone`, `address_street`), which the common list cannot know.
 */
export function redactPhi<T>(value: T, extraKeys?: ReadonlySet<string>): T {
  return redactKeys(value, extraKeys && extraKeys.size > 0 ? new Set([...PHI_KEYS, ...extraKeys]) : PHI_KEYS) as T
}

/** Same, for a stored body that may or may not be JSON; non-JSON text is withheld whole. */
export function redactPhiText(body: string | null, extraKeys?: ReadonlySet<string>): string | null {
  if (body === null || body === '') return body
  try {
    return JSON.stringify(redactPhi(JSON.parse(body), extraKeys))
  } catch {
    return REDACTED
  }
}

/** The key names under which a connector's catalog puts PHI: the last segment of each `phi` field's path (and its read name). */
export function phiKeysOf(fields: readonly { path: string; pullPath?: string; phi?: boolean }[]): Set<string> {
  const keys = new Set<string>()
  for (const field of fields) {
    if (!field.phi) continue
    for (const path of [field.path, field.pullPath]) {
      const leaf = path?.split('.').at(-1)?.replace(/\[\d+\]/g, '')
      if (leaf) keys.add(leaf.toLowerCase())
    }
  }
  return keys
}

/**
 * Below this depth a value is left out, not walked: what was not checked must not be stored or
 * shown, and a body a peer (or a forger) nests a hundred thousand levels deep would overflow the
 * stack. No message of any EMR nests this deep.
 */
export const MAX_REDACT_DEPTH = 64
export const TOO_DEEP = '[left out: nested deeper than 64 levels]'

function redactKeys(value: unknown, keys: Set<string>, depth = 0): unknown {
  if (value && typeof value === 'object' && depth >= MAX_REDACT_DEPTH) return TOO_DEEP
  if (Array.isArray(value)) return value.map((v) => redactKeys(v, keys, depth + 1))
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, keys.has(k.toLowerCase()) && v !== null && v !== undefined ? REDACTED : redactKeys(v, keys, depth + 1)]),
    )
  }
  return value
}

// A Standard Webhooks signature is an authenticator too: whoever reads the log must not be able to resend it.
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'api-key', 'x-auth-token', 'webhook-signature'])

/**
 * Request headers as they may be stored: credentials masked, the rest kept (a signature's Date,
 * Content-MD5 and Content-Type are what a 401 is debugged with). An authorization keeps its scheme,
 * and for KIPU's `APIAuth {access_id}:{signature}` the access id, which is not a secret.
 */
export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    const key = name.toLowerCase()
    if (key === 'authorization' || key === 'proxy-authorization') {
      const apiAuth = /^APIAuth ([^\s:]+):/.exec(value)
      const scheme = /^([A-Za-z][\w-]*)\s+\S/.exec(value)?.[1]
      out[key] = apiAuth ? `APIAuth ${apiAuth[1]}:${REDACTED}` : scheme ? `${scheme} ${REDACTED}` : REDACTED
    } else if (CREDENTIAL_HEADERS.has(key) || CREDENTIAL_KEYS.has(key.replaceAll('-', '_'))) out[key] = REDACTED
    else out[key] = value
  }
  return out
}

/** Credentials in a URL's query string (e.g. a token passed as a parameter) never reach the log. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    for (const key of [...parsed.searchParams.keys()]) {
      if (CREDENTIAL_KEYS.has(key.toLowerCase())) parsed.searchParams.set(key, REDACTED)
    }
    if (parsed.password) parsed.password = REDACTED
    return parsed.toString()
  } catch {
    return url
  }
}

/**
 * The PHI values held in these JSON values: every string (or number) whose own key — or whose
 * array's key — is a PHI key, at any depth. Free text (a message, a URL, an EMR's error) cannot be
 * redacted by key, so these values are what is looked for in it.
 */
export function phiValuesIn(...values: unknown[]): Set<string> {
  return phiValuesUnder(undefined, ...values)
}

/** Same, with a connector's own PHI key names (`phiKeysOf` its catalog) besides the common ones. */
export function phiValuesUnder(extraKeys: ReadonlySet<string> | undefined, ...values: unknown[]): Set<string> {
  const found = new Set<string>()
  // No deeper than redaction walks: what lies below is left out of every view anyway.
  const visit = (value: unknown, underPhiKey: boolean, depth = 0): void => {
    if (depth >= MAX_REDACT_DEPTH) return
    if (Array.isArray(value)) {
      for (const v of value) visit(v, underPhiKey, depth + 1)
    } else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) visit(v, PHI_KEYS.has(k.toLowerCase()) || (extraKeys?.has(k.toLowerCase()) ?? false), depth + 1)
    } else if (underPhiKey && (typeof value === 'string' || typeof value === 'number')) {
      const text = String(value).trim()
      if (text.length >= MIN_PHI_VALUE_LENGTH) found.add(text)
    }
  }
  for (const value of values) visit(value, false)
  return found
}

/** Shorter values (a middle initial, a two-letter code) would redact ordinary words. */
const MIN_PHI_VALUE_LENGTH = 3

/**
 * Removes each of `values` from free text: whole words in any case and, for numbers of seven
 * digits or more (phones, member ids, birth dates), the same digits with any punctuation between.
 */
export function redactPhiValues(text: string, values: Set<string>): string {
  let out = text
  for (const value of [...values].sort((a, b) => b.length - a.length)) {
    out = out.replace(new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(value)}(?![\\p{L}\\p{N}])`, 'giu'), REDACTED)
    const digits = value.replace(/\D/g, '')
    if (digits.length >= 7 && digits.length * 2 >= value.length) {
      // A US phone is written with or without its country code: look for its last ten digits.
      const core = digits.length === 11 && digits.startsWith('1') ? digits.slice(1) : digits
      out = out.replace(new RegExp(`(?<!\\d)${core.split('').join('[\\s().+/-]{0,2}')}(?!\\d)`, 'g'), REDACTED)
    }
  }
  return out
}

/** A JSON value with PHI keys redacted, and PHI values removed from every string left. */
export function redactPhiDeep<T>(value: T, values: Set<string>, extraKeys?: ReadonlySet<string>): T {
  const visit = (v: unknown): unknown => {
    if (typeof v === 'string') return redactPhiValues(v, values)
    if (Array.isArray(v)) return v.map(visit)
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, visit(x)]))
    return v
  }
  return visit(redactPhi(value, extraKeys)) as T
}

/**
 * A URL as a non-admin sees it: search parameter values withheld (a search by name or birth date
 * is PHI), result controls such as `_count` and `_getpagesoffset` kept, PHI values removed from the path.
 */
export function redactPhiInUrl(url: string, values: Set<string>): string {
  try {
    const parsed = new URL(url)
    for (const key of [...new Set(parsed.searchParams.keys())]) {
      const kept = key.startsWith('_') ? parsed.searchParams.getAll(key).map((v) => redactPhiValues(v, values)) : parsed.searchParams.getAll(key).map(() => REDACTED)
      parsed.searchParams.delete(key)
      for (const v of kept) parsed.searchParams.append(key, v)
    }
    parsed.pathname = parsed.pathname
      .split('/')
      .map((segment) => {
        const decoded = safeDecode(segment)
        const redacted = redactPhiValues(decoded, values)
        return redacted === decoded ? segment : encodeURIComponent(redacted)
      })
      .join('/')
    parsed.hash = ''
    return parsed.toString()
  } catch {
    return redactPhiValues(url, values)
  }
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
