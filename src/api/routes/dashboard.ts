import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { sql } from 'kysely'
import { z } from 'zod'
import type { Hub } from '../../hub.js'
import { errorResponses, listOf } from './responses.js'

const Timestamp = z.string().describe('ISO 8601 date-time')
const LINK_STATES = ['pending', 'partial', 'linked', 'failed', 'needs_attention'] as const

const ConnectionHealth = z.object({
  connectionId: z.string(),
  lastSuccessAt: Timestamp.nullable().describe('the last exchange that went well'),
  lastFailure: z.object({ at: Timestamp, message: z.string().nullable(), exchangeId: z.string() }).nullable(),
  failuresLastHour: z.number().int(),
  exchangesLastHour: z.number().int(),
  queue: z.object({ queued: z.number().int(), running: z.number().int(), retrying: z.number().int() }).describe('jobs waiting for or held by a worker'),
  links: z.object(Object.fromEntries(LINK_STATES.map((s) => [s, z.number().int()])) as Record<(typeof LINK_STATES)[number], z.ZodNumber>),
  lastPull: z.object({ jobId: z.string(), state: z.string(), createdAt: Timestamp, finishedAt: Timestamp.nullable() }).nullable(),
})

const TimelineBucket = z.object({ connectionId: z.string().nullable(), at: Timestamp.describe('start of the bucket'), ok: z.number().int(), error: z.number().int() })

/** At-a-glance figures for the admin UI: each connection's health and the log over time. */
export function dashboardRoutes(hub: Hub): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/connection-health',
      { schema: { tags: ['connections'], summary: "Each connection's health: last success, failures in the last hour, queue depth, links by state, last pull", response: { 200: listOf(ConnectionHealth), ...errorResponses } } },
      async (request) => {
        const organizationId = request.actor.organizationId
        const hourAgo = new Date(Date.now() - 60 * 60_000)
        const [connections, exchanges, lastFailures, jobs, links, pulls] = await Promise.all([
          hub.db.selectFrom('connections').select('id').where('organization_id', '=', organizationId).orderBy('created_at').execute(),
          hub.db
            .selectFrom('exchanges')
            .select((eb) => [
              'connection_id',
              eb.fn.max(sql<Date>`case when status = 'ok' then started_at end`).as('last_ok'),
              sql<number>`count(*) filter (where started_at >= ${hourAgo})::int`.as('last_hour'),
              sql<number>`count(*) filter (where started_at >= ${hourAgo} and status = 'error')::int`.as('failed_last_hour'),
            ])
            .where('organization_id', '=', organizationId)
            .where('connection_id', 'is not', null)
            .groupBy('connection_id')
            .execute(),
          hub.db
            .selectFrom('exchanges')
            .distinctOn('connection_id')
            .select(['connection_id', 'id', 'started_at', 'message'])
            .where('organization_id', '=', organizationId)
            .where('status', '=', 'error')
            .where('connection_id', 'is not', null)
            .orderBy('connection_id')
            .orderBy('started_at', 'desc')
            .execute(),
          hub.db
            .selectFrom('sync_jobs')
            .select(['connection_id', 'state', sql<number>`count(*)::int`.as('n')])
            .where('organization_id', '=', organizationId)
            .where('state', 'in', ['queued', 'running', 'retrying'])
            .groupBy(['connection_id', 'state'])
            .execute(),
          hub.db
            .selectFrom('links')
            .select(['connection_id', 'state', sql<number>`count(*)::int`.as('n')])
            .where('organization_id', '=', organizationId)
            .groupBy(['connection_id', 'state'])
            .execute(),
          hub.db
            .selectFrom('sync_jobs')
            .distinctOn('connection_id')
            .select(['connection_id', 'id', 'state', 'created_at', 'finished_at'])
            .where('organization_id', '=', organizationId)
            .where('kind', '=', 'pull')
            .orderBy('connection_id')
            .orderBy('created_at', 'desc')
            .execute(),
        ])
        const count = (rows: { connection_id: string | null; state: string; n: number }[], id: string, state: string) =>
          rows.find((r) => r.connection_id === id && r.state === state)?.n ?? 0
        return {
          items: connections.map(({ id }) => {
            const figures = exchanges.find((e) => e.connection_id === id)
            const failure = lastFailures.find((e) => e.connection_id === id)
            const pull = pulls.find((p) => p.connection_id === id)
            return {
              connectionId: id,
              lastSuccessAt: figures?.last_ok ? new Date(figures.last_ok).toISOString() : null,
              lastFailure: failure ? { at: failure.started_at.toISOString(), message: failure.message, exchangeId: failure.id } : null,
              failuresLastHour: figures?.failed_last_hour ?? 0,
              exchangesLastHour: figures?.last_hour ?? 0,
              queue: { queued: count(jobs, id, 'queued'), running: count(jobs, id, 'running'), retrying: count(jobs, id, 'retrying') },
              links: Object.fromEntries(LINK_STATES.map((s) => [s, count(links, id, s)])) as Record<(typeof LINK_STATES)[number], number>,
              lastPull: pull
                ? { jobId: pull.id, state: pull.state, createdAt: pull.created_at.toISOString(), finishedAt: pull.finished_at?.toISOString() ?? null }
                : null,
            }
          }),
          next: null,
        }
      },
    )

    app.get(
      '/exchange-timeline',
      {
        schema: {
          tags: ['log'],
          summary: 'Successes and failures over time, per connection (hourly buckets by default)',
          querystring: z
            .object({
              connectionId: z.string().uuid().optional(),
              hours: z.coerce.number().int().min(1).max(24 * 31).default(24).describe('how far back'),
              bucketMinutes: z.coerce.number().int().min(1).max(24 * 60).default(60),
            })
            .strict(),
          response: { 200: z.object({ since: Timestamp, bucketMinutes: z.number().int(), items: z.array(TimelineBucket) }), ...errorResponses },
        },
      },
      async (request) => {
        const { hours, bucketMinutes, connectionId } = request.query
        const bucketSeconds = bucketMinutes * 60
        const since = new Date(Math.floor((Date.now() - hours * 3_600_000) / (bucketSeconds * 1000)) * bucketSeconds * 1000)
        const bucket = sql<Date>`to_timestamp(floor(extract(epoch from started_at) / ${bucketSeconds}) * ${bucketSeconds})`
        let query = hub.db
          .selectFrom('exchanges')
          .select([
            'connection_id',
            bucket.as('bucket'),
            sql<number>`count(*) filter (where status = 'ok')::int`.as('ok'),
            sql<number>`count(*) filter (where status = 'error')::int`.as('error'),
          ])
          .where('organization_id', '=', request.actor.organizationId)
          .where('started_at', '>=', since)
        if (connectionId) query = query.where('connection_id', '=', connectionId)
        const rows = await query.groupBy(['connection_id', sql`2`]).orderBy(sql`2`).execute()
        return {
          since: since.toISOString(),
          bucketMinutes,
          items: rows.map((r) => ({ connectionId: r.connection_id, at: new Date(r.bucket).toISOString(), ok: r.ok, error: r.error })),
        }
      },
    )
  }
}
