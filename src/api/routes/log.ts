import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { ExpressionBuilder } from 'kysely'
import type { Database } from '../../db/schema.js'
import { ExchangeFilter, getExchange, listExchanges } from '../../exchanges/log.js'
import { getJob, toJobView, type JobError } from '../../engine/jobs.js'
import { toLinkView } from '../../engine/links.js'
import { applyCursor, toPage } from '../../db/cursor.js'
import { z } from 'zod'
import { NotFoundError } from '../../errors.js'
import { audit } from '../../security/audit.js'
import type { Hub } from '../../hub.js'
import { ExchangeDetail, ExchangeSummary, Job, JobStarted, LinkEntry, ReferralDeliveryEntry, errorResponses, listOf } from './responses.js'
import { IdParams, ListQuery } from './common.js'

/** Links of one record type, filtered by state and connection (patients' links, referrals' deliveries). */
const LinkListQuery = ListQuery.extend({
  state: z.enum(['pending', 'partial', 'linked', 'failed', 'needs_attention']).optional(),
  connectionId: z.string().uuid().optional(),
})

/** The newest job of a link's record on its connection: the one whose last error a person replays. */
function lastJobOfLink(eb: ExpressionBuilder<Database, 'links'>) {
  return eb
    .selectFrom('sync_jobs')
    .select('sync_jobs.id')
    .whereRef('sync_jobs.record_type', '=', 'links.record_type')
    .whereRef('sync_jobs.record_id', '=', 'links.record_id')
    .whereRef('sync_jobs.connection_id', '=', 'links.connection_id')
    .orderBy('sync_jobs.created_at', 'desc')
    .limit(1)
    .as('last_job_id')
}

/** The integration log (F18), replay (F17) and job progress. */
export function logRoutes(hub: Hub): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/exchanges',
      { schema: { tags: ['log'], summary: 'Exchanges with external systems, newest first (PHI removed from messages for non-admins)', querystring: ExchangeFilter, response: { 200: listOf(ExchangeSummary), ...errorResponses } } },
      async (request) => listExchanges(hub.db, request.actor.organizationId, request.query, { showPhi: request.actor.role === 'admin' }),
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
            kind: z.enum(['push_patient', 'push_referral', 'pull', 'pull_record', 'deliver_event']).optional(),
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

    app.get(
      '/links',
      {
        schema: {
          tags: ['log'],
          summary: 'Patients\' EMR links, most recently changed first; `?state=needs_attention` is the list of what waits for a person (F17), each with the job and exchange to replay after the fix',
          querystring: LinkListQuery,
          response: { 200: listOf(LinkEntry), ...errorResponses },
        },
      },
      async (request) => {
        let query = hub.db
          .selectFrom('links')
          .innerJoin('patients', 'patients.id', 'links.record_id')
          .where('links.organization_id', '=', request.actor.organizationId)
          .where('links.record_type', '=', 'patient')
          .selectAll('links')
          .select(['patients.first_name', 'patients.last_name'])
          .select(lastJobOfLink)
        if (request.query.state) query = query.where('links.state', '=', request.query.state)
        if (request.query.connectionId) query = query.where('links.connection_id', '=', request.query.connectionId)
        const rows = await applyCursor(query, { cursor: request.query.cursor, limit: request.query.limit, timeColumn: 'links.updated_at', idColumn: 'links.id' }).execute()
        const lastErrors = await lastErrorsOf(rows.map((r) => r.last_job_id).filter((id): id is string => id !== null))
        await audit(hub.db, request.actor, 'link.list', { type: 'patient' }, { state: request.query.state ?? null, count: rows.length })
        return toPage(rows, request.query.limit, (r) => ({ at: r.updated_at, id: r.id }), (r) => ({
          ...toLinkView(r),
          patientId: r.record_id,
          patientName: `${r.first_name} ${r.last_name}`,
          updatedAt: r.updated_at.toISOString(),
          jobId: r.last_job_id,
          exchangeId: (r.last_job_id && lastErrors.get(r.last_job_id)?.exchangeId) || null,
        }))
      },
    )

    app.get(
      '/referral-deliveries',
      {
        schema: {
          tags: ['log'],
          summary:
            "Referrals' deliveries to referral destinations (CRMS), most recently changed first; `?state=needs_attention` is the list of what waits for a person (e.g. CRMS's 400 with its message), each with the job and exchange to replay after the fix",
          querystring: LinkListQuery,
          response: { 200: listOf(ReferralDeliveryEntry), ...errorResponses },
        },
      },
      async (request) => {
        let query = hub.db
          .selectFrom('links')
          .innerJoin('referrals', 'referrals.id', 'links.record_id')
          .where('links.organization_id', '=', request.actor.organizationId)
          .where('links.record_type', '=', 'referral')
          .selectAll('links')
          .select(['referrals.external_id as referral_external_id', 'referrals.fields as referral_fields'])
          .select(lastJobOfLink)
        if (request.query.state) query = query.where('links.state', '=', request.query.state)
        if (request.query.connectionId) query = query.where('links.connection_id', '=', request.query.connectionId)
        const rows = await applyCursor(query, { cursor: request.query.cursor, limit: request.query.limit, timeColumn: 'links.updated_at', idColumn: 'links.id' }).execute()
        const lastErrors = await lastErrorsOf(rows.map((r) => r.last_job_id).filter((id): id is string => id !== null))
        await audit(hub.db, request.actor, 'referral_delivery.list', { type: 'referral' }, { state: request.query.state ?? null, count: rows.length })
        return toPage(rows, request.query.limit, (r) => ({ at: r.updated_at, id: r.id }), (r) => ({
          ...toLinkView(r),
          referralId: r.record_id,
          externalReferralId: r.referral_external_id,
          registrantName: registrantName(r.referral_fields),
          updatedAt: r.updated_at.toISOString(),
          jobId: r.last_job_id,
          exchangeId: (r.last_job_id && lastErrors.get(r.last_job_id)?.exchangeId) || null,
        }))
      },
    )

    /** The last error of each job, by id (one query for a whole page of links). */
    async function lastErrorsOf(jobIds: string[]): Promise<Map<string, JobError>> {
      if (jobIds.length === 0) return new Map()
      const jobs = await hub.db.selectFrom('sync_jobs').select(['id', 'last_error']).where('id', 'in', jobIds).execute()
      return new Map(jobs.filter((j) => j.last_error).map((j) => [j.id, j.last_error as unknown as JobError]))
    }

    app.get('/jobs/:id', { schema: { tags: ['log'], summary: 'A sync job: state, attempts, steps done, progress, last error', params: IdParams, response: { 200: Job, ...errorResponses } } }, async (request) => {
      const job = await getJob(hub.db, request.actor.organizationId, request.params.id)
      if (!job) throw new NotFoundError('Job')
      return job
    })
  }
}

/** The registrant's name as the referral's CRM fields hold it (nested, or under dotted paths). */
function registrantName(fields: Record<string, unknown>): string {
  const registrant = (fields.registrant ?? {}) as Record<string, unknown>
  const part = (name: 'firstName' | 'lastName') => registrant[name] ?? fields[`registrant.${name}`]
  return [part('firstName'), part('lastName')].filter((v): v is string => typeof v === 'string' && v !== '').join(' ')
}
