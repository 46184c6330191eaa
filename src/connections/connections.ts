import { newId } from '../db/ids.js'
import { isDeepStrictEqual } from 'node:util'
import { z } from 'zod'
import { sql, type Selectable } from 'kysely'
import type { Database } from '../db/schema.js'
import type { DbOrTx } from '../db/database.js'
import { patientPushRefusal, type Connector, type FieldMapping, type ResolvedMapping, type ValueMaps } from '../connectors/connector.js'
import { ConnectorError } from '../connectors/errors.js'
import { getConnector, listConnectors } from '../connectors/registry.js'
import { InputError, NotFoundError } from '../errors.js'
import { checkFieldMap, checkReferralFieldMap, checkValueMaps, resolveMapping } from '../mapping/mapping.js'
import { isCrmPatientField } from '../mapping/crmFields.js'
import type { SecretBox } from '../security/secrets.js'
import type { Ownership } from '../mapping/reconcile.js'

type ConnectionRow = Selectable<Database['connections']>

const ConnectionFields = {
  name: z.string().trim().min(1).max(100),
  baseUrl: z.string().url('must be an absolute http(s) URL').refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URL'),
  enabled: z.boolean(),
  settings: z.record(z.string(), z.unknown()),
  credentials: z.record(z.string(), z.unknown()),
}

/** A PATCH's settings are merged into the stored ones (RFC 7396): `null` removes a setting, so its default applies again. */
const SettingsPatch = z
  .record(z.string(), z.unknown())
  .describe('merged into the stored settings; a key set to null is removed (its default applies again)')

export const ConnectionInput = z
  .object({
    connector: z.string().min(1),
    ...ConnectionFields,
    enabled: ConnectionFields.enabled.default(true),
    settings: ConnectionFields.settings.default({}),
    credentials: ConnectionFields.credentials.default({}),
  })
  .strict()

/**
 * No defaults here: a field left out of a PATCH stays as it is (a default would enable a disabled
 * connection, or count as new credentials and throw the cached token away, on every PATCH).
 */
export const ConnectionPatch = z.object({ ...ConnectionFields, settings: SettingsPatch }).partial().strict()

const OwnershipRule = z.enum(['crm', 'emr', 'newest'])
export const MappingInput = z
  .object({
    fieldMap: z.array(z.object({ crm: z.string().min(1), emr: z.string().min(1) }).strict()).nullable().optional(),
    valueMaps: z.record(z.string(), z.record(z.string(), z.string())).optional(),
    /** Who wins a field changed on both sides (F16): CRM, EMR, or the newest change. */
    ownership: z.object({ default: OwnershipRule, fields: z.record(z.string(), OwnershipRule).default({}) }).strict().nullable().optional(),
  })
  .strict()

export interface ConnectionView {
  id: string
  connector: string
  name: string
  baseUrl: string
  enabled: boolean
  settings: Record<string, unknown>
  /** Which credentials are set; their values are never returned. */
  credentials: Record<string, 'set'>
  /** Where the external system fetches this connection's public keys (path on the hub), if it uses any. */
  jwksPath: string | null
  /** Where the external system sends its webhooks (path on the hub), if it sends any. */
  inboundPath: string | null
  createdAt: string
  updatedAt: string
}

export interface RunnableConnection {
  row: ConnectionRow
  /** The row's version as loaded (its xmin: every committed change of the row makes a new one). */
  version: string
  connector: Connector<unknown, unknown>
  settings: unknown
  secrets: unknown
  mapping: ResolvedMapping
}

/**
 * Adds a connection. Credentials the connector makes itself and the admin must copy to the other
 * system (its `shownOnce`, e.g. Caredove's signing secret) are returned this once, never again.
 */
export async function createConnection(
  db: DbOrTx,
  box: SecretBox,
  organizationId: string,
  input: z.output<typeof ConnectionInput>,
): Promise<ConnectionView & { shownOnce?: Record<string, string> }> {
  const connector = requireConnector(input.connector)
  const settings = parseWith(connector.settingsSchema, input.settings, 'settings')
  const generated = connector.generateSecrets ? await connector.generateSecrets() : {}
  const secrets = parseWith(connector.secretsSchema, { ...generated, ...input.credentials }, 'credentials')
  const row = await db
    .insertInto('connections')
    .values({
      id: newId(),
      organization_id: organizationId,
      connector: connector.kind,
      name: input.name,
      base_url: input.baseUrl,
      enabled: input.enabled,
      settings: JSON.stringify(settings),
      secrets: box.sealJson(secrets),
      value_maps: JSON.stringify({}),
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  const shown = (connector.shownOnce ?? []).filter((key) => key in generated && !(key in input.credentials))
  const view = toView(row, box)
  if (shown.length === 0) return view
  const opened = secrets as Record<string, unknown>
  return { ...view, shownOnce: Object.fromEntries(shown.map((key) => [key, String(opened[key])])) }
}

/** Settings are validated whole after merging; credentials replace only the keys sent. */
export async function updateConnection(
  db: DbOrTx,
  box: SecretBox,
  organizationId: string,
  id: string,
  patch: z.output<typeof ConnectionPatch>,
): Promise<{ before: ConnectionView; after: ConnectionView }> {
  const row = await getRow(db, organizationId, id)
  const connector = requireConnector(row.connector)
  // Keys a newer schema dropped are left behind, or the admin could never save again (strict schemas).
  const storedSettings = stripUnknownKeys(connector.settingsSchema, row.settings).value
  const settings = patch.settings !== undefined ? parseWith(connector.settingsSchema, mergeSettings(storedSettings, patch.settings), 'settings') : row.settings
  const currentSecrets = row.secrets ? stripUnknownKeys(connector.secretsSchema, box.openJson<Record<string, unknown>>(row.secrets)).value : {}
  const secrets =
    patch.credentials !== undefined ? parseWith(connector.secretsSchema, { ...currentSecrets, ...patch.credentials }, 'credentials') : currentSecrets
  const updated = await db
    .updateTable('connections')
    .set({
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.baseUrl !== undefined ? { base_url: patch.baseUrl } : {}),
      ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
      settings: JSON.stringify(settings),
      secrets: box.sealJson(secrets),
      updated_at: new Date(),
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
  if (patch.credentials !== undefined || patch.baseUrl !== undefined || patch.settings !== undefined) {
    // A token minted with the old credentials or for the old system must not be reused.
    await db.deleteFrom('connection_tokens').where('connection_id', '=', id).execute()
  }
  return { before: toView(row, box), after: toView(updated, box) }
}

/** JSON Merge Patch of the top-level settings: sent keys replace, `null` removes. */
export function mergeSettings(stored: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...stored }
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key]
    else merged[key] = value
  }
  return merged
}

export async function getConnectionView(db: DbOrTx, box: SecretBox, organizationId: string, id: string): Promise<ConnectionView> {
  return toView(await getRow(db, organizationId, id), box)
}

export async function listConnections(db: DbOrTx, box: SecretBox, organizationId: string): Promise<ConnectionView[]> {
  const rows = await db.selectFrom('connections').selectAll().where('organization_id', '=', organizationId).orderBy('created_at').execute()
  return rows.map((r) => toView(r, box))
}

/**
 * Enabled connections whose connector can receive patients (F11: one job per enabled EMR), by the
 * same check the runner and the link route make (its capability and a push flow).
 */
export async function pushTargets(db: DbOrTx, organizationId: string, _dataType: 'patient'): Promise<{ id: string; connector: string }[]> {
  const rows = await db
    .selectFrom('connections')
    .select(['id', 'connector'])
    .where('organization_id', '=', organizationId)
    .where('enabled', '=', true)
    .execute()
  const taking = patientPushConnectors()
  return rows.filter((r) => taking.includes(r.connector))
}

let takingPatients: readonly string[] | null = null

/**
 * The kinds of the installed connectors that can receive patients: the one answer for
 * `pushTargets` and the API create's own pushes (Engine.newPatientPushes). The registry is fixed
 * once the process has loaded it, so it is worked out once.
 */
export function patientPushConnectors(): readonly string[] {
  takingPatients ??= listConnectors().filter((c) => patientPushRefusal(c) === null).map((c) => c.kind)
  return takingPatients
}

/**
 * Everything a job needs to run against a connection, with its secrets opened. Settings and
 * credentials stored under an older schema are migrated to the current one (keys it no longer
 * knows dropped, new defaults filled in) and saved in that form. What cannot be migrated — a new
 * required setting, a value the schema now refuses — is a `settings_invalid` (or
 * `credentials_invalid`) ConnectorError naming the setting: the job and the link wait for a person
 * instead of retrying a fault no retry can fix.
 */
export async function loadRunnableConnection(db: DbOrTx, box: SecretBox, id: string): Promise<RunnableConnection> {
  const found = await db.selectFrom('connections').selectAll().select(sql<string>`xmin::text`.as('version')).where('id', '=', id).executeTakeFirst()
  if (!found) throw new NotFoundError('Connection')
  const { version, ...row } = found
  const connector = requireConnector(row.connector)
  const storedSecrets: unknown = row.secrets ? box.openJson(row.secrets) : {}
  const settings = migrateStored(connector.settingsSchema, row.settings, 'settings', id)
  const secrets = migrateStored(connector.secretsSchema, storedSecrets, 'credentials', id)
  if (!isDeepStrictEqual(settings, row.settings)) {
    // Only over the form just read: an admin's change saved meanwhile is never overwritten.
    await db
      .updateTable('connections')
      .set({ settings: JSON.stringify(settings) })
      .where('id', '=', id)
      .where(sql<boolean>`settings = ${JSON.stringify(row.settings)}::jsonb`)
      .execute()
  }
  if (row.secrets && !isDeepStrictEqual(secrets, storedSecrets)) {
    await db.updateTable('connections').set({ secrets: box.sealJson(secrets) }).where('id', '=', id).where('secrets', '=', row.secrets).execute()
  }
  return {
    row,
    version,
    connector,
    settings,
    secrets,
    mapping: resolveMapping(connector.defaults, { fieldMap: row.field_map as FieldMapping[] | null, valueMaps: row.value_maps, ownership: row.ownership }),
  }
}

/** Per database handle: each connection as last loaded, with the row version it was loaded from. */
const runnableCache = new WeakMap<object, Map<string, RunnableConnection>>()

/**
 * `loadRunnableConnection` for a worker that already knows the row's current version (its claim
 * read it): while the version is the one cached, the cached connection is returned without a
 * query, a decryption or a schema check. Any committed change of the row (settings, credentials,
 * mappings, a pull's bookkeeping) makes a new version, so the next job loads it afresh. A load
 * that fails is not cached: the next job tries again and names the fault again.
 */
export async function runnableConnection(db: DbOrTx, box: SecretBox, id: string, version: string | null): Promise<RunnableConnection> {
  let cache = runnableCache.get(db)
  if (!cache) runnableCache.set(db, (cache = new Map()))
  const cached = cache.get(id)
  if (cached && version !== null && cached.version === version) return cached
  const loaded = await loadRunnableConnection(db, box, id)
  cache.set(id, loaded)
  return loaded
}

/** A stored value under the schema in force now; throws the ConnectorError naming what a person must set. */
function migrateStored<T>(schema: z.ZodType<T>, stored: unknown, field: 'settings' | 'credentials', connectionId: string): T {
  const parsed = schema.safeParse(stripUnknownKeys(schema, stored).value)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]!
  const path = [field, ...issue.path.map(String)].join('.')
  throw new ConnectorError({
    code: `${field}_invalid`,
    message: `The connection's stored ${field} no longer fit this version of the connector: ${path}: ${issue.message}. Set it with PATCH /api/connections/${connectionId}`,
    retryable: false,
    details: { field: path },
  })
}

/**
 * `value` without the object keys `schema` refuses as unknown (at any depth), and their paths.
 * Strict schemas name every such key in one pass per level, so a few passes reach any depth.
 */
export function stripUnknownKeys<V>(schema: z.ZodType, value: V): { value: V; dropped: string[] } {
  let current = structuredClone(value)
  const dropped: string[] = []
  for (let pass = 0; pass < 8; pass++) {
    const result = schema.safeParse(current)
    const unknown = result.success ? [] : result.error.issues.filter((i) => i.code === 'unrecognized_keys')
    if (unknown.length === 0) break
    for (const issue of unknown) {
      const owner = issue.path.reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined), current)
      if (!owner || typeof owner !== 'object') continue
      for (const key of issue.keys) {
        delete (owner as Record<string, unknown>)[key]
        dropped.push([...issue.path.map(String), key].join('.'))
      }
    }
  }
  return { value: current, dropped }
}

export interface MappingView {
  connectionId: string
  /** The field map in force; `custom` says whether it is the connection's own or the connector's default. */
  fieldMap: FieldMapping[]
  custom: boolean
  /** Value maps in force (defaults overlaid by the connection's entries). */
  valueMaps: ValueMaps
  /** The connection's own value-map entries, as stored. */
  overrides: ValueMaps
  ownership: Ownership
}

export async function getMappings(db: DbOrTx, organizationId: string, id: string): Promise<MappingView> {
  const row = await getRow(db, organizationId, id)
  const connector = requireConnector(row.connector)
  const resolved = resolveMapping(connector.defaults, { fieldMap: row.field_map as FieldMapping[] | null, valueMaps: row.value_maps, ownership: row.ownership })
  return {
    connectionId: id,
    fieldMap: resolved.fieldMap,
    custom: row.field_map !== null,
    valueMaps: resolved.valueMaps,
    overrides: row.value_maps,
    ownership: resolved.ownership,
  }
}

/**
 * Replaces the connection's mappings. `fieldMap: null` returns to the connector's defaults;
 * omitted parts stay as they are. Everything is checked against the connector's catalog first.
 */
export async function putMappings(db: DbOrTx, organizationId: string, id: string, input: z.output<typeof MappingInput>): Promise<{ before: MappingView; after: MappingView }> {
  const row = await getRow(db, organizationId, id)
  const connector = requireConnector(row.connector)
  const referral = connector.crmRecord === 'referral'
  const problems = [
    ...(input.fieldMap ? (referral ? checkReferralFieldMap(input.fieldMap, connector.fields, connector.title) : checkFieldMap(input.fieldMap, connector.fields, connector.title)) : []),
    ...(input.valueMaps ? checkValueMaps(input.valueMaps, connector.defaults, connector.fields) : []),
    ...Object.keys(input.ownership?.fields ?? {})
      .filter((field) => !isCrmPatientField(field))
      .map((field) => ({ field: `ownership.fields.${field}`, message: 'is not a CRM patient field' })),
  ]
  const [first, ...others] = problems
  if (first) throw new InputError(first.field, [first.message, ...others.map((p) => `${p.field}: ${p.message}`)].join('; '))
  const before = await getMappings(db, organizationId, id)
  await db
    .updateTable('connections')
    .set({
      ...(input.fieldMap !== undefined ? { field_map: input.fieldMap === null ? null : JSON.stringify(input.fieldMap) } : {}),
      ...(input.valueMaps !== undefined ? { value_maps: JSON.stringify(input.valueMaps) } : {}),
      ...(input.ownership !== undefined ? { ownership: input.ownership === null ? null : JSON.stringify(input.ownership) } : {}),
      updated_at: new Date(),
    })
    .where('id', '=', id)
    .execute()
  return { before, after: await getMappings(db, organizationId, id) }
}

export function requireConnector(kind: string): Connector<unknown, unknown> {
  const connector = getConnector(kind)
  if (!connector) {
    throw new InputError('connector', `"${kind}" is not an available connector; available: ${listConnectors().map((c) => c.kind).join(', ')}`)
  }
  return connector
}

async function getRow(db: DbOrTx, organizationId: string, id: string): Promise<ConnectionRow> {
  const row = await db.selectFrom('connections').selectAll().where('id', '=', id).where('organization_id', '=', organizationId).executeTakeFirst()
  if (!row) throw new NotFoundError('Connection')
  return row
}

function parseWith<T>(schema: z.ZodType<T>, value: unknown, field: string): T {
  const parsed = schema.safeParse(value)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const path = [field, ...issue.path.map(String)].join('.')
    throw new InputError(path, issue.message)
  }
  return parsed.data
}

function toView(row: ConnectionRow, box: SecretBox): ConnectionView {
  const secrets = row.secrets ? box.openJson<Record<string, unknown>>(row.secrets) : {}
  return {
    id: row.id,
    connector: row.connector,
    name: row.name,
    baseUrl: row.base_url,
    enabled: row.enabled,
    settings: row.settings,
    credentials: Object.fromEntries(Object.keys(secrets).map((k) => [k, 'set' as const])),
    jwksPath: getConnector(row.connector)?.publicKeys ? `/jwks/${row.id}` : null,
    inboundPath: getConnector(row.connector)?.inbound ? `/api/inbound/${row.connector}/${row.id}` : null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  }
}
