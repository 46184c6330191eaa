import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Db } from '../db/database.js'
import { findActor, type Actor, type Role } from '../security/apiKeys.js'

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor
  }
  interface FastifyContextConfig {
    /** The least role a route needs; `staff` by default. `public` routes need no key. */
    role?: Role | 'public'
  }
}

/** Bearer API key → actor; then the route's role. 401 without a valid key, 403 with too small a role. */
export function authenticate(db: Db) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const needed = request.routeOptions.config.role ?? 'staff'
    if (needed === 'public') return
    const header = request.headers.authorization
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null
    if (!match) {
      return reply.code(401).send({ error: 'unauthorized', message: 'Send an API key as "Authorization: Bearer <key>"' })
    }
    const actor = await findActor(db, match[1]!)
    if (!actor) return reply.code(401).send({ error: 'unauthorized', message: 'The API key is unknown or revoked' })
    if (needed === 'admin' && actor.role !== 'admin') {
      return reply.code(403).send({ error: 'forbidden', message: 'This action needs an admin API key' })
    }
    request.actor = actor
  }
}
