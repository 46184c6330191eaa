import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Db } from '../db/database.js'
import type { Actor, Role } from '../security/apiKeys.js'
import type { SignInGuard } from './signInGuard.js'
import { csrfMatches, findSession } from '../security/sessions.js'
import { crossSiteReason } from './sameOrigin.js'

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor
    /** Set when the request was authenticated by the admin UI's session cookie (not by a key). */
    browserSession?: { token: string; csrfToken: string; expiresAt: Date }
  }
  interface FastifyContextConfig {
    /** The least role a route needs; `staff` by default. `public` routes need no key. */
    role?: Role | 'public'
  }
}

export const SESSION_COOKIE = 'carebridge_session'
/** The header the admin UI sends its session's CSRF token in, on every state change. */
export const CSRF_HEADER = 'x-csrf-token'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * Bearer API key, or the admin UI's session cookie → actor; then the route's role. 401 without
 * valid credentials, 403 with too small a role. A state change made with the cookie must come
 * from the hub's own pages (same origin, and the session's CSRF token in a header), because a
 * browser attaches cookies to requests other sites make; a key in a header needs no such check.
 * Keys are checked by the guard, which slows down an address that guesses.
 */
export function authenticate(db: Db, guard: SignInGuard, options: { publicUrl: string }) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const needed = request.routeOptions.config.role ?? 'staff'
    if (needed === 'public') return
    const header = request.headers.authorization
    let actor: Actor | null
    if (header) {
      const match = /^Bearer\s+(\S+)$/i.exec(header)
      if (!match) return reply.code(401).send({ error: 'unauthorized', message: 'Send an API key as "Authorization: Bearer <key>"' })
      actor = await guard.check(request, reply, match[1]!, 'api_key')
      if (!actor) return reply
    } else {
      const token = request.cookies[SESSION_COOKIE]
      if (!token) return reply.code(401).send({ error: 'unauthorized', message: 'Send an API key as "Authorization: Bearer <key>", or sign in' })
      const session = await findSession(db, token)
      if (!session) return reply.code(401).send({ error: 'session_ended', message: 'Your session has ended (signed out, expired, or its key was revoked): sign in again' })
      if (!SAFE_METHODS.has(request.method)) {
        const crossSite = crossSiteReason(request, options.publicUrl)
        if (crossSite) return reply.code(403).send({ error: 'cross_site_refused', message: crossSite })
        const sent = request.headers[CSRF_HEADER]
        if (!csrfMatches(session.csrfToken, typeof sent === 'string' ? sent : undefined)) {
          return reply.code(403).send({ error: 'csrf_refused', message: `A change made with the session cookie needs the session's CSRF token in the ${CSRF_HEADER} header` })
        }
      }
      actor = session.actor
      request.browserSession = { token, csrfToken: session.csrfToken, expiresAt: session.expiresAt }
    }
    if (needed === 'admin' && actor.role !== 'admin') {
      return reply.code(403).send({ error: 'forbidden', message: 'This action needs an admin API key' })
    }
    request.actor = actor
  }
}
