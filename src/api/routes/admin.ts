import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { applyCursor, toPage } from '../../db/cursor.js'
import { createApiKey } from '../../security/apiKeys.js'
import { audit } from '../../security/audit.js'
import type { Hub } from '../../hub.js'
import { ApiKey, AuditEvent, CreatedApiKey, errorResponses, listOf } from './responses.js'
import { IdParams, ListQuery } from './common.js'
import { ConflictError, NotFoundError } from '../../errors.js'
import type { SignInGuard } from '../signInGuard.js'

/** API keys and the audit trail (F26); admins only. */
export function adminRoutes(hub: Hub, keys: SignInGuard): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/keys',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['admin'],
          summary: 'Create an API key; the key is shown once in the answer',
          body: z.object({ name: z.string().trim().min(1).max(100), role: z.enum(['admin', 'staff']) }).strict(),
          response: { 201: CreatedApiKey, ...errorResponses },
        },
      },
      async (request, reply) => {
        const created = await hub.db.transaction().execute(async (trx) => {
          const key = await createApiKey(trx, { organizationId: request.actor.organizationId, name: request.body.name, role: request.body.role })
          await audit(trx, request.actor, 'api_key.create', { type: 'api_key', id: key.id }, { name: request.body.name, role: request.body.role })
          return key
        })
        return reply.code(201).send({ id: created.id, name: request.body.name, role: request.body.role, key: created.key })
      },
    )

    app.delete(
      '/keys/:id',
      { config: { role: 'admin' }, schema: { tags: ['admin'], summary: 'Revoke an API key: refused at once by this process, by other API processes on the same database within 5 s (they trust a confirmed key that long)', params: IdParams, response: { 204: z.void().describe('revoked'), ...errorResponses } } },
      async (request, reply) => {
        if (request.params.id === request.actor.keyId) throw new ConflictError('An admin cannot revoke the key it is using; use another admin key')
        const revoked = await hub.db.transaction().execute(async (trx) => {
          const row = await trx
            .updateTable('api_keys')
            .set({ revoked_at: new Date() })
            .where('id', '=', request.params.id)
            .where('organization_id', '=', request.actor.organizationId)
            .where('revoked_at', 'is', null)
            .returning(['id', 'name'])
            .executeTakeFirst()
          if (row) await audit(trx, request.actor, 'api_key.revoke', { type: 'api_key', id: row.id }, { name: row.name })
          return row
        })
        if (!revoked) throw new NotFoundError('Active API key')
        // This process may trust the key for a few seconds without a lookup: not any more.
        keys.forget(revoked.id)
        return reply.code(204).send()
      },
    )

    app.get('/keys', { config: { role: 'admin' }, schema: { tags: ['admin'], summary: 'List API keys (never the keys themselves)', response: { 200: listOf(ApiKey), ...errorResponses } } }, async (request) => ({
      items: (
        await hub.db
          .selectFrom('api_keys')
          .select(['id', 'name', 'role', 'created_at', 'revoked_at'])
          .where('organization_id', '=', request.actor.organizationId)
          .orderBy('created_at')
          .execute()
      ).map((k) => ({ id: k.id, name: k.name, role: k.role, createdAt: k.created_at.toISOString(), revokedAt: k.revoked_at?.toISOString() ?? null })),
      next: null,
    }))

    app.get(
      '/audit',
      { config: { role: 'admin' }, schema: { tags: ['admin'], summary: "Audit trail: settings changes, PHI views and sign-ins, newest first; with the installation's own events (unknown keys presented: `auth.failed`, `auth.blocked`)", querystring: ListQuery.extend({ action: z.string().max(60).optional() }), response: { 200: listOf(AuditEvent), ...errorResponses } } },
      async (request) => {
        // The organization's events and the installation's (e.g. unknown keys presented), which belong to no organization.
        let query = hub.db
          .selectFrom('audit_events')
          .selectAll()
          .where((eb) => eb.or([eb('organization_id', '=', request.actor.organizationId), eb('organization_id', 'is', null)]))
        if (request.query.action) query = query.where('action', '=', request.query.action)
        const rows = await applyCursor(query, { cursor: request.query.cursor, limit: request.query.limit, timeColumn: 'at' }).execute()
        return toPage(rows, request.query.limit, (r) => ({ at: r.at, id: r.id }), (r) => ({
          id: r.id,
          at: r.at.toISOString(),
          actor: r.actor_name,
          actorKeyId: r.actor_key_id,
          action: r.action,
          targetType: r.target_type,
          targetId: r.target_id,
          details: r.details,
        }))
      },
    )
  }
}
