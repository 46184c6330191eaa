import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { ExchangeFilter, getExchange, listExchanges } from '../../exchanges/log.js'
import { getJob, toJobView } from '../../engine/jobs.js'
import { applyCursor, toPage } from '../../db/cursor.js'
import { z } from 'zod'
import { NotFoundError } from '../../errors.js'
import { audit } from '../../security/audit.js'
import type { Hub } from '../../hub.js'
import { ExchangeDetail, ExchangeSummary, Job, JobStarted, errorResponses, listOf } from './responses.js'
import { IdParams, ListQuery } from './common.js'

/** The integration log (F18), replay (F17) and job progress. */
export function logRoutes(hub: Hub): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/exchanges', { schema: { tags: ['log'], summary: 'Exchanges with external systems, newest first', querystring: ExchangeFilter, response: { 200: listOf(ExchangeSummary), ...errorResponses } } }, async (request) =>
      listExchanges(hub.db, request.actor.organizationId, request.query),
    )

    app.get(
      '/exchanges/:id',
      { schema: { tags: ['log'], summary: 'One exchange with request and response bodies (PHI redacted for non-admins)', params: IdParams, response: { 200: ExchangeDetail, ...errorResponses } } },
      async (request) => {
        const showPhi = request.actor.role === 'admin'
        const exchange = await getExchange(hub.db, request.actor.organizationId, request.params.id, { showPhi })
        if (!exchange) throw new NotFoundError('Exchange')
        await audit(hub.db, request.actor, 'exchange.view', { type: 'exchange', id: exchange.id }, { phiShown: showPhi, recordId: exchange.recordId })
        return exchange
      },
    )

    app.post(
      '/exchanges/:id/replay',
      { config: { role: 'admin' }, schema: { tags: ['log'], summary: 'Run the job of this exchange again (after fixing data or mapping)', params: IdParams, response: { 202: JobStarted, ...errorResponses } } },
      async (request, reply) => {
        const { jobId } = await hub.engine.replayExchange(request.actor.organizationId, request.params.id)
        await audit(hub.db, request.actor, 'exchange.replay', { type: 'exchange', id: request.params.id }, { jobId })
        return reply.code(202).send({ jobId })
      },
    )

    app.get(
      '/jobs',
      {
        schema: {
          tags: ['log'],
          summary: 'Sync jobs, newest first (e.g. the pulls of a connection)',
          querystring: ListQuery.extend({
            connectionId: z.string().uuid().optional(),
            kind: z.enum(['push_patient', 'pull']).optional(),
            state: z.enum(['queued', 'running', 'retrying', 'succeeded', 'failed', 'needs_attention']).optional(),
          }),
          response: { 200: listOf(Job), ...errorResponses },
        },
      },
      async (request) => {
        let query = hub.db.selectFrom('sync_jobs').selectAll().where('organization_id', '=', request.actor.organizationId)
        if (request.query.connectionId) query = query.where('connection_id', '=', request.query.connectionId)
        if (request.query.kind) query = query.where('kind', '=', request.query.kind)
        if (request.query.state) query = query.where('state', '=', request.query.state)
        const rows = await applyCursor(query, { cursor: request.query.cursor, limit: request.query.limit, timeColumn: 'created_at' }).execute()
        return toPage(rows, request.query.limit, (r) => ({ at: r.created_at, id: r.id }), toJobView)
      },
    )

    app.get('/jobs/:id', { schema: { tags: ['log'], summary: 'A sync job: state, attempts, steps done, progress, last error', params: IdParams, response: { 200: Job, ...errorResponses } } }, async (request) => {
      const job = await getJob(hub.db, request.actor.organizationId, request.params.id)
      if (!job) throw new NotFoundError('Job')
      return job
    })
  }
}
