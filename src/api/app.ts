import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify'
import swagger from '@fastify/swagger'
import { jsonSchemaTransform, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod'
import { checkedSerializer } from './checkedSerializer.js'
import type { Hub } from '../hub.js'
import { registry } from '../observability/metrics.js'
import { loadRunnableConnection } from '../connections/connections.js'
import { z } from 'zod'
import { sql } from 'kysely'
import { authenticate } from './auth.js'
import { SignInGuard } from './signInGuard.js'
import { createErrorHandler, databaseUnavailable, retryShortly } from './errors.js'
import { refuseUnstorableInput } from './textInput.js'
import { API_BODY_LIMIT } from './bodyLimits.js'
import { BodyAdmission } from './admission.js'
import { parseJsonBody } from './jsonBody.js'
import { adminRoutes } from './routes/admin.js'
import { connectionRoutes } from './routes/connections.js'
import { logRoutes } from './routes/log.js'
import { recordRoutes } from './routes/records.js'
import { dashboardRoutes } from './routes/dashboard.js'
import { mappingAidRoutes } from './routes/mappingAids.js'
import { sessionRoutes } from './routes/sessions.js'
import { registerWebSecurity, registerWebUi, sendUiPage } from './web.js'
import { inboundRoutes } from './routes/inbound.js'
import { eventRoutes } from './routes/events.js'
import { referralRoutes } from './routes/referrals.js'

/** Builds the HTTP API (not listening); tests may use it with `inject`. */
export async function buildApi(hub: Hub, options: { logger?: FastifyBaseLogger }): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    // Our own faults are logged by the error handler; per-request lines are not (URLs carry ids, bodies PHI).
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: API_BODY_LIMIT,
  }).withTypeProvider<ZodTypeProvider>()
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parseJsonBody)
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(checkedSerializer)
  app.setErrorHandler(createErrorHandler(hub.availability))
  app.addHook('preValidation', refuseUnstorableInput)
  app.setNotFoundHandler((request, reply) => {
    if (sendUiPage(request, reply)) return reply
    return reply.code(404).send({ error: 'not_found', message: `No route ${request.method} ${request.url.split('?')[0]}` })
  })
  await registerWebSecurity(app, { publicUrl: hub.config.publicUrl })

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'carebridge API',
        version: '0.1.0',
        description: 'Integration hub for behavioral-health intake: CRM records, EMR connections, mappings, the integration log.',
      },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key (admin or staff)' } } },
      security: [{ apiKey: [] }],
    },
    transform: jsonSchemaTransform,
  })

  // Liveness: the process is up and serving (a supervisor restarts it only when this fails).
  app.get('/health/live', { config: { role: 'public' }, schema: { hide: true } }, async () => ({ status: 'ok' }))
  // Readiness: migrations ran, workers run, and the database answers (a load balancer sends work
  // only while this is 200). `/health` is the same check, as the contract names it.
  const readiness = async (_request: unknown, reply: FastifyReply) => {
    if (!hub.ready()) return reply.code(503).send({ status: 'starting' })
    if (hub.availability.up) {
      try {
        await withTimeout(sql`select 1`.execute(hub.db), 5000)
        return { status: 'ok' }
      } catch (err) {
        // Slow is not down: a busy database (the embedded one runs a statement at a time) is not
        // ready for more work, but no outage is declared for it.
        if (!hub.availability.noteFailure(err)) return retryShortly(reply, { status: 'database_busy', since: null })
      }
    }
    return retryShortly(reply, { status: 'database_unavailable', since: hub.availability.since?.toISOString() ?? null })
  }
  app.get('/health', { config: { role: 'public' }, schema: { hide: true } }, readiness)
  app.get('/health/ready', { config: { role: 'public' }, schema: { hide: true } }, readiness)

  app.get('/metrics', { config: { role: 'public' }, schema: { hide: true } }, async (_request, reply) => {
    return reply.type(registry.contentType).send(await registry.metrics())
  })

  app.get(
    '/jwks/:connectionId',
    { config: { role: 'public' }, schema: { hide: true, params: z.object({ connectionId: z.string().uuid() }) } },
    async (request, reply) => {
      // Public by design: the EMR fetches the hub's public keys from here (SMART Backend Services).
      const connection = await loadRunnableConnection(hub.db, hub.box, request.params.connectionId).catch(() => null)
      if (!connection?.connector.publicKeys) return reply.code(404).send({ error: 'not_found', message: 'No public keys for this connection' })
      return reply.header('cache-control', 'max-age=300').send(connection.connector.publicKeys(connection.secrets))
    },
  )

  const signInGuard = new SignInGuard(hub.db)
  const bodyAdmission = new BodyAdmission()
  await app.register(
    async (api) => {
      // While the database is away every /api request is answered at once, instead of each one
      // waiting for a connection that cannot come.
      api.addHook('onRequest', async (_request, reply) => {
        if (!hub.availability.up) return databaseUnavailable(reply)
      })
      api.addHook('onRequest', authenticate(hub.db, signInGuard, { publicUrl: hub.config.publicUrl }))
      // After authentication: a caller refused for its key never takes a share of the memory budget.
      api.addHook('onRequest', bodyAdmission.hook())
      api.get('/openapi.json', { config: { role: 'public' }, schema: { hide: true } }, async () => app.swagger())
      await api.register(recordRoutes(hub))
      await api.register(connectionRoutes(hub))
      await api.register(logRoutes(hub))
      await api.register(adminRoutes(hub, signInGuard))
      await api.register(sessionRoutes(hub, signInGuard))
      await api.register(dashboardRoutes(hub))
      await api.register(mappingAidRoutes(hub))
      await api.register(inboundRoutes(hub))
      await api.register(eventRoutes(hub))
      await api.register(referralRoutes(hub))
    },
    { prefix: '/api' },
  )
  await registerWebUi(app)
  return app
}

/** Rejects when `work` takes longer than `ms` (a busy or hung database). */
function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the database did not answer within ${ms} ms`)), ms)
  })
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer))
}
