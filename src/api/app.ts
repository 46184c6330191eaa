import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import swagger from '@fastify/swagger'
import { jsonSchemaTransform, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod'
import { checkedSerializer } from './checkedSerializer.js'
import type { Hub } from '../hub.js'
import { registry } from '../observability/metrics.js'
import { loadRunnableConnection } from '../connections/connections.js'
import { z } from 'zod'
import { authenticate } from './auth.js'
import { errorHandler } from './errors.js'
import { adminRoutes } from './routes/admin.js'
import { connectionRoutes } from './routes/connections.js'
import { logRoutes } from './routes/log.js'
import { recordRoutes } from './routes/records.js'
import { inboundRoutes } from './routes/inbound.js'

/** Builds the HTTP API (not listening); tests may use it with `inject`. */
export async function buildApi(hub: Hub, options: { logger?: FastifyBaseLogger }): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    // Our own faults are logged by the error handler; per-request lines are not (URLs carry ids, bodies PHI).
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 5 * 1024 * 1024,
  }).withTypeProvider<ZodTypeProvider>()
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(checkedSerializer)
  app.setErrorHandler(errorHandler)
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: 'not_found', message: `No route ${request.method} ${request.url.split('?')[0]}` }),
  )

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

  app.get('/health', { config: { role: 'public' }, schema: { hide: true } }, async (_request, reply) => {
    if (!hub.ready()) return reply.code(503).send({ status: 'starting' })
    return { status: 'ok' }
  })

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

  await app.register(
    async (api) => {
      api.addHook('onRequest', authenticate(hub.db))
      api.get('/openapi.json', { config: { role: 'public' }, schema: { hide: true } }, async () => app.swagger())
      await api.register(recordRoutes(hub))
      await api.register(connectionRoutes(hub))
      await api.register(logRoutes(hub))
      await api.register(adminRoutes(hub))
      await api.register(inboundRoutes(hub))
    },
    { prefix: '/api' },
  )
  return app
}
