import pg from 'pg'
import { SecretBox } from '../src/security/secrets.js'

/**
 * The after-suite scan (issue 15): what a hub wrote — its process output, and every row of its
 * database — is searched for every secret the suite made or saw, and its output for the PHI of
 * test patients. The harness feeds it (test/harness.ts: the API traffic of `hub.api`, the sealed
 * credentials and tokens of the hub's own database) and runs it when a hub stops; a suite adds
 * what only it sees (e.g. a simulator's tokens on the wire) with `registerSecret`/`registerPhi`.
 *
 * A hit names what leaked and where, never the value itself (the failure is printed to CI logs).
 * A scan that cannot run throws: a scan that saw nothing proves nothing.
 */

/** Registered values, each with what it is ("Ritten access token", "patient last name"). */
const secrets = new Map<string, string>()
const phi = new Map<string, string>()

/** Shorter values would be found by chance in unrelated text (an id, a word); none of ours is. */
const MIN_SECRET_LENGTH = 8
const MIN_PHI_LENGTH = 4

export function registerSecret(what: string, value: unknown): void {
  if (typeof value === 'string' && value.length >= MIN_SECRET_LENGTH && value !== REDACTED) secrets.set(value, what)
}

export function registerPhi(what: string, value: unknown): void {
  if (typeof value === 'string' && value.trim().length >= MIN_PHI_LENGTH) phi.set(value.trim(), what)
}

/** The registered secrets' values (a suite checks its scan looks for what it should, and may search more places with them). */
export function registeredSecrets(): string[] {
  return [...secrets.keys()]
}

const REDACTED = '[redacted]'
/** JSON keys whose string value is a credential (compared lower-case, without `_` or `-`). */
const SECRET_KEYS = new Set(['clientsecret', 'secret', 'secretkey', 'signingsecret', 'apikey', 'password', 'accesstoken', 'refreshtoken', 'clientassertion', 'privatekey', 'token'])
/**
 * `key` is an API key where the API takes one (`POST /api/session`) or makes one (`POST /api/keys`,
 * `cbk_…`); elsewhere an answer's `key` is a name, e.g. ECW's writeback error key in a logged exchange.
 */
const isApiKey = (name: string, value: string, source: string) => name === 'key' && (source === 'sent to the API' || value.startsWith('cbk_'))
/** The private members of a JSON Web Key (RFC 7518 §6.3.2); n and e are public. */
const PRIVATE_JWK_MEMBERS = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi'])
/** JSON keys of a patient's or an account's PHI in API bodies. */
const PHI_KEYS = new Set(['firstname', 'lastname', 'middlename', 'preferredname', 'dob', 'phone', 'homephone', 'mobilephone', 'workphone', 'email'])

/** Registers the credentials and PHI in one request to the hub's API and its answer. */
export function noteApiTraffic(requestBody: unknown, responseBody: unknown): void {
  collect(requestBody, 'sent to the API')
  collect(responseBody, 'answered by the API')
}

function collect(value: unknown, source: string, depth = 0): void {
  if (depth > 32 || value === null || typeof value !== 'object') return
  if (Array.isArray(value)) {
    for (const item of value) collect(item, source, depth + 1)
    return
  }
  const isJwk = typeof (value as { kty?: unknown }).kty === 'string'
  for (const [key, inner] of Object.entries(value)) {
    const name = key.toLowerCase().replace(/[_-]/g, '')
    if (typeof inner === 'string') {
      if (SECRET_KEYS.has(name) || isApiKey(name, inner, source) || (isJwk && PRIVATE_JWK_MEMBERS.has(key))) registerSecret(`${key} ${source}`, inner)
      else if (PHI_KEYS.has(name)) registerPhi(`${key} ${source}`, inner)
    } else collect(inner, source, depth + 1)
  }
}

/** What looks like a credential whatever its value: a signed JWT (a client assertion, an id token), a PEM private key, a bearer token. */
const CREDENTIAL_SHAPES: [string, RegExp][] = [
  ['a JSON Web Token', /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/],
  ['a PEM private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
  ['a bearer token', /Bearer\s+(?!\[redacted\])[A-Za-z0-9._~+/-]{16,}/],
]

export interface Finding {
  what: string
  where: string
}

/** Every registered secret, PHI value and credential shape in a process's output. */
export function scanOutput(kept: string, where: string): Finding[] {
  if (!kept.includes('carebridge')) throw new Error(`the secret scan has no output to read for ${where}: the hub's output was not kept`)
  // The start banner shows the admin key on purpose, as the README says: the demo's, or one made at
  // a first start (shown once). Blanked, not dropped, so line numbers stay those of the output.
  const output = kept.replace(/^(\s*Admin key:).*$/gm, '$1')
  const findings: Finding[] = []
  for (const [value, what] of secrets) if (output.includes(value)) findings.push({ what, where: `${where}, line ${lineOf(output, value)}` })
  for (const [value, what] of phi) if (output.includes(value)) findings.push({ what: `PHI (${what})`, where: `${where}, line ${lineOf(output, value)}` })
  for (const [what, shape] of CREDENTIAL_SHAPES) {
    const match = shape.exec(output)
    if (match) findings.push({ what, where: `${where}, line ${lineOf(output, match[0])}` })
  }
  return findings
}

function lineOf(text: string, value: string): number {
  return text.slice(0, text.indexOf(value)).split('\n').length
}

/**
 * Every row of every table of the hub's database (the hub's and the queue's), as text, searched
 * for every registered secret and credential shape. The database's own sealed credentials and
 * tokens are opened with the hub's secret key first, so what the hub holds is looked for too —
 * in clear, anywhere else. PHI is not looked for here: the records are where it belongs.
 */
export async function scanDatabase(connectionString: string, secretKey: string, where: string): Promise<Finding[]> {
  // Bounded: a database that does not answer fails the scan (and the stop), it does not hang it.
  const client = new pg.Client({ connectionString, application_name: 'carebridge-secret-scan', connectionTimeoutMillis: 30_000, query_timeout: 120_000 })
  try {
    await client.connect()
  } catch (err) {
    throw new Error(`the secret scan cannot open ${where}: ${(err as Error).message}`, { cause: err })
  }
  try {
    const tables = (
      await client.query<{ schema: string; name: string }>(
        `select table_schema as schema, table_name as name from information_schema.tables
          where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')`,
      )
    ).rows
    if (!tables.some((t) => t.name === 'exchanges')) throw new Error(`the secret scan found no exchanges table in ${where}: not the hub's database`)
    await registerSealed(client, new SecretBox(Buffer.from(secretKey, 'hex')))

    const values = [...secrets.keys()]
    const likes = values.map((v) => `%${v.replace(/[\\%_]/g, (c) => `\\${c}`)}%`)
    const shapes = CREDENTIAL_SHAPES.map(([, shape]) => shape.source)
    const findings: Finding[] = []
    for (const { schema, name } of tables) {
      const table = `"${schema.replaceAll('"', '""')}"."${name.replaceAll('"', '""')}"`
      // The database does the searching: only the rows that hold something come back.
      const { rows } = await client.query<{ row: string }>(`select t::text as row from ${table} t where t::text like any($1::text[]) or t::text ~ any($2::text[])`, [likes, shapes])
      for (const { row } of rows) {
        for (const value of values) if (row.includes(value)) findings.push({ what: secrets.get(value)!, where: `${where}, table ${schema}.${name}` })
        for (const [what, shape] of CREDENTIAL_SHAPES) if (shape.test(row)) findings.push({ what, where: `${where}, table ${schema}.${name}` })
      }
    }
    return dedupe(findings)
  } catch (err) {
    throw new Error(`the secret scan of ${where} failed: ${(err as Error).message}`, { cause: err })
  } finally {
    await client.end()
  }
}

/** The connections' sealed credentials and the sealed access tokens, opened: what must appear nowhere in clear. */
async function registerSealed(client: pg.Client, box: SecretBox): Promise<void> {
  const open = (sealed: string, what: string) => {
    try {
      return box.open(sealed)
    } catch (err) {
      throw new Error(`the secret scan cannot open ${what} with the hub's secret key`, { cause: err })
    }
  }
  for (const c of (await client.query<{ connector: string; secrets: string | null }>('select connector, secrets from connections')).rows) {
    if (c.secrets) collect(JSON.parse(open(c.secrets, `a ${c.connector} connection's credentials`)), `(${c.connector} connection credentials)`)
  }
  for (const t of (await client.query<{ connector: string; token: string | null }>('select c.connector, t.token from connection_tokens t join connections c on c.id = t.connection_id')).rows) {
    if (t.token) registerSecret(`${t.connector} access token`, open(t.token, `a ${t.connector} access token`))
  }
}

function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>()
  return findings.filter((f) => {
    const key = `${f.what}\u0000${f.where}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

/** The error a hit fails the suite with: what and where, one line each. */
export function leakError(findings: Finding[]): Error {
  return new Error(`The secret scan found ${findings.length} leak(s):\n${findings.map((f) => `  - ${f.what} in ${f.where}`).join('\n')}`)
}
