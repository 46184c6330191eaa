import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import {
  ConnectionInput,
  ConnectionPatch,
  MappingInput,
  createConnection,
  getConnectionView,
  getMappings,
  listConnections,
  loadRunnableConnection,
  putMappings,
  requireConnector,
  updateConnection,
  type ConnectionView,
} from '../../connections/connections.js'
import { listConnectors } from '../../connectors/registry.js'
import { REFERENCE_KINDS, type CapabilityMatrix, type Connector } from '../../connectors/connector.js'
import { buildConnectorContext } from '../../engine/context.js'
import { NotFoundError } from '../../errors.js'
import { audit } from '../../security/audit.js'
import type { Hub } from '../../hub.js'
import { Capabilities, Connection, ConnectorInfo, Mappings, PullStarted, ReferenceValue, TestResult, UnmappedValue, WaitingRecord, errorResponses, listOf } from './responses.js'
import { IdParams, ListQuery } from './common.js'
import { applyCursor, toPage } from '../../db/cursor.js'

/** EMR connections (F6), their mappings (F7, F8) and capabilities (F9). */
export function connectionRoutes(hub: Hub): FastifyPluginAsyncZod {
  /** Adds the full URL the external system fetches the connection's public keys from (to allow-list at ECW). */
  const publicView = (view: ConnectionView): ConnectionView & { jwksUrl: string | null; inboundUrl: string | null } => ({
    ...view,
    jwksUrl: view.jwksPath ? `${hub.config.publicUrl}${view.jwksPath}` : null,
    inboundUrl: view.inboundPath ? `${hub.config.publicUrl}${view.inboundPath}` : null,
  })
  return async (app) => {
    app.get('/connectors', { schema: { tags: ['connections'], summary: 'Available connectors: settings schema, capabilities, field catalog, default mappings', response: { 200: listOf(ConnectorInfo), ...errorResponses } } }, async () => ({
      items: await Promise.all(listConnectors().map(async (c) => ({
        kind: c.kind,
        title: c.title,
        settingsSchema: z.toJSONSchema(c.settingsSchema, { io: 'input' }),
        credentialsSchema: z.toJSONSchema(c.secretsSchema, { io: 'input' }),
        generatedCredentials: await generatedCredentialKeys(c),
        defaultPullSchedule: c.defaultPullSchedule ?? null,
        capabilities: capabilityList(c.capabilities),
        fields: c.fields,
        defaults: c.defaults,
        inbound: c.inbound?.description ?? null,
        crmRecord: c.crmRecord ?? 'patient',
      }))),
      next: null,
    }))

    app.get('/connections', { schema: { tags: ['connections'], summary: 'List connections (credentials never returned)', response: { 200: listOf(Connection), ...errorResponses } } }, async (request) => ({
      items: (await listConnections(hub.db, hub.box, request.actor.organizationId)).map(publicView),
      next: null,
    }))

    app.post(
      '/connections',
      { config: { role: 'admin' }, schema: { tags: ['connections'], summary: 'Add a connection; credentials are stored encrypted', body: ConnectionInput, response: { 201: Connection, ...errorResponses } } },
      async (request, reply) => {
        const connection = await hub.db.transaction().execute(async (trx) => {
          const created = await createConnection(trx, hub.box, request.actor.organizationId, request.body)
          await audit(trx, request.actor, 'connection.create', { type: 'connection', id: created.id }, {
            connector: created.connector,
            name: created.name,
            baseUrl: created.baseUrl,
            settings: created.settings,
            credentialsSet: Object.keys(created.credentials),
          })
          return created
        })
        return reply.code(201).send(publicView(connection))
      },
    )

    app.get('/connections/:id', { schema: { tags: ['connections'], summary: 'Read a connection', params: IdParams, response: { 200: Connection, ...errorResponses } } }, async (request) =>
      publicView(await getConnectionView(hub.db, hub.box, request.actor.organizationId, request.params.id)),
    )

    app.patch(
      '/connections/:id',
      { config: { role: 'admin' }, schema: { tags: ['connections'], summary: 'Change a connection; credentials replace only the keys sent', params: IdParams, body: ConnectionPatch, response: { 200: Connection, ...errorResponses } } },
      async (request) =>
        hub.db.transaction().execute(async (trx) => {
          const { before, after } = await updateConnection(trx, hub.box, request.actor.organizationId, request.params.id, request.body)
          await audit(trx, request.actor, 'connection.update', { type: 'connection', id: after.id }, {
            before: { name: before.name, baseUrl: before.baseUrl, enabled: before.enabled, settings: before.settings },
            after: { name: after.name, baseUrl: after.baseUrl, enabled: after.enabled, settings: after.settings },
            credentialsChanged: Object.keys(request.body.credentials ?? {}),
          })
          return publicView(after)
        }),
    )

    app.post(
      '/connections/:id/test',
      { config: { role: 'admin' }, schema: { tags: ['connections'], summary: 'Test a connection: authenticate and read; the result names the exact cause', params: IdParams, response: { 200: TestResult, ...errorResponses } } },
      async (request) => {
        const connection = await loadOwnConnection(hub, request.actor.organizationId, request.params.id)
        const ctx = buildConnectorContext({ db: hub.db, box: hub.box, httpTimeoutMs: hub.config.httpTimeoutMs }, connection, {
          organizationId: request.actor.organizationId,
          syncJobId: null,
          recordType: null,
          recordId: null,
          attempt: 1,
        })
        const result = await connection.connector.test(ctx)
        await audit(hub.db, request.actor, 'connection.test', { type: 'connection', id: connection.row.id }, { ok: result.ok, message: result.message })
        return result
      },
    )

    app.get('/connections/:id/capabilities', { schema: { tags: ['connections'], summary: 'What this connection can push and pull, with reasons (F9)', params: IdParams, response: { 200: Capabilities, ...errorResponses } } }, async (request) => {
      const view = await getConnectionView(hub.db, hub.box, request.actor.organizationId, request.params.id)
      const connector = requireConnector(view.connector)
      return { connectionId: view.id, connector: connector.kind, items: capabilityList(connector.capabilities) }
    })

    app.post(
      '/connections/:id/pull',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['connections'],
          summary: 'Pull now: start a pull from the EMR; follow it at GET /api/jobs/{jobId}. `?full=true` reads everything again (KIPU: the census) instead of what changed since the last pull',
          params: IdParams,
          querystring: z.object({ full: z.enum(['true', 'false']).optional().describe('read everything again, e.g. after mapping values a pull left out') }).strict(),
          response: { 202: PullStarted, ...errorResponses },
        },
      },
      async (request, reply) => {
        const result = await hub.engine.startPull(request.actor.organizationId, request.params.id, { full: request.query.full === 'true' })
        await audit(hub.db, request.actor, 'connection.pull', { type: 'connection', id: request.params.id }, result)
        return reply.code(202).send(result)
      },
    )

    app.get(
      '/connections/:id/reference-values',
      {
        schema: {
          tags: ['connections'],
          summary: 'Values pulled from the EMR that CRM fields offer as dropdowns (practitioners, locations)',
          params: IdParams,
          querystring: z.object({ kind: z.enum(REFERENCE_KINDS).optional() }).strict(),
          response: { 200: listOf(ReferenceValue), ...errorResponses },
        },
      },
      async (request) => {
        await getConnectionView(hub.db, hub.box, request.actor.organizationId, request.params.id)
        let query = hub.db.selectFrom('reference_values').selectAll().where('connection_id', '=', request.params.id)
        if (request.query.kind) query = query.where('kind', '=', request.query.kind)
        const rows = await query.orderBy('kind').orderBy('label').execute()
        return { items: rows.map((r) => ({ kind: r.kind, value: r.external_id, label: r.label, data: r.data })), next: null }
      },
    )

    app.get(
      '/connections/:id/waiting',
      {
        schema: {
          tags: ['connections'],
          summary: 'Records the EMR holds that are not pulled yet, with what each still misses (F15: KIPU pulls a patient only once admitted)',
          params: IdParams,
          querystring: ListQuery,
          response: { 200: listOf(WaitingRecord), ...errorResponses },
        },
      },
      async (request) => {
        await getConnectionView(hub.db, hub.box, request.actor.organizationId, request.params.id)
        const query = hub.db
          .selectFrom('pull_waiting as w')
          .leftJoin('links as l', (join) => join.onRef('l.connection_id', '=', 'w.connection_id').onRef('l.external_id', '=', 'w.external_id').onRef('l.record_type', '=', 'w.record_type'))
          .selectAll('w')
          .select('l.record_id')
          .where('w.connection_id', '=', request.params.id)
        const rows = await applyCursor(query, { cursor: request.query.cursor, limit: request.query.limit, timeColumn: 'w.first_seen_at', idColumn: 'w.external_id' }).execute()
        await audit(hub.db, request.actor, 'connection.waiting', { type: 'connection', id: request.params.id }, { count: rows.length })
        return toPage(rows, request.query.limit, (r) => ({ at: r.first_seen_at, id: r.external_id }), (r) => ({
          recordType: r.record_type,
          externalId: r.external_id,
          label: r.label,
          missing: r.missing,
          linkedPatientId: r.record_id,
          firstSeenAt: r.first_seen_at.toISOString(),
          lastSeenAt: r.last_seen_at.toISOString(),
        }))
      },
    )

    app.get(
      '/connections/:id/unmapped-pulled-values',
      {
        schema: {
          tags: ['mappings'],
          summary: 'Values pulled from the EMR that no value map translates (kept out of the CRM): add them to the named value map',
          params: IdParams,
          response: { 200: listOf(UnmappedValue), ...errorResponses },
        },
      },
      async (request) => {
        const connection = await loadOwnConnection(hub, request.actor.organizationId, request.params.id)
        const rows = await hub.db.selectFrom('unmapped_values').selectAll().where('connection_id', '=', request.params.id).orderBy('last_seen_at', 'desc').limit(500).execute()
        // A value mapped since it was seen is no longer waiting for the admin.
        const open = rows.filter((r) => !r.value_map || !Object.values(connection.mapping.valueMaps[r.value_map] ?? {}).some((code) => code.toLowerCase() === r.value.toLowerCase()))
        return {
          items: open.map((r) => ({
            field: r.field,
            value: r.value,
            valueMap: r.value_map,
            reason: r.reason,
            externalId: r.external_id,
            seen: r.seen,
            firstSeenAt: r.first_seen_at.toISOString(),
            lastSeenAt: r.last_seen_at.toISOString(),
          })),
          next: null,
        }
      },
    )

    app.get('/connections/:id/mappings', { schema: { tags: ['mappings'], summary: 'Field and value maps in force (defaults overlaid by this connection)', params: IdParams, response: { 200: Mappings, ...errorResponses } } }, async (request) =>
      getMappings(hub.db, request.actor.organizationId, request.params.id),
    )

    app.put(
      '/connections/:id/mappings',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['mappings'],
          summary: 'Replace field map and/or value maps (payer codes, programs, locations…); checked against the connector catalog',
          params: IdParams,
          body: MappingInput,
          response: { 200: Mappings, ...errorResponses },
        },
      },
      async (request) =>
        hub.db.transaction().execute(async (trx) => {
          const { before, after } = await putMappings(trx, request.actor.organizationId, request.params.id, request.body)
          await audit(trx, request.actor, 'mappings.update', { type: 'connection', id: request.params.id }, {
            before: { fieldMap: before.custom ? before.fieldMap : null, valueMaps: before.overrides },
            after: { fieldMap: after.custom ? after.fieldMap : null, valueMaps: after.overrides },
          })
          return after
        }),
    )
  }
}

async function loadOwnConnection(hub: Hub, organizationId: string, id: string) {
  const connection = await loadRunnableConnection(hub.db, hub.box, id)
  if (connection.row.organization_id !== organizationId) throw new NotFoundError('Connection')
  return connection
}

/** Which credentials the hub makes itself when a connection is added (a form does not ask for them); learnt once per connector. */
const generatedKeys = new Map<string, Promise<string[]>>()
function generatedCredentialKeys(connector: Connector<unknown, unknown>): Promise<string[]> {
  let keys = generatedKeys.get(connector.kind)
  if (!keys) {
    keys = connector.generateSecrets ? connector.generateSecrets().then((secrets) => Object.keys(secrets)) : Promise.resolve([])
    generatedKeys.set(connector.kind, keys)
  }
  return keys
}

export function capabilityList(matrix: CapabilityMatrix) {
  return Object.entries(matrix).flatMap(([dataType, directions]) =>
    Object.entries(directions).map(([direction, c]) => ({
      dataType,
      direction,
      supported: c.supported,
      ...(c.supported ? (c.note ? { note: c.note } : {}) : { reason: c.reason }),
    })),
  )
}
