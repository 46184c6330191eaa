import type { FastifyReply, FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { audit } from '../../security/audit.js'
import { SESSION_MAX_MS, createSession, deleteSession } from '../../security/sessions.js'
import type { Hub } from '../../hub.js'
import { CSRF_HEADER, SESSION_COOKIE } from '../auth.js'
import { crossSiteReason } from '../sameOrigin.js'
import { errorResponses } from './responses.js'
import type { SignInGuard } from '../signInGuard.js'

const SessionView = z.object({
  name: z.string().describe("the API key's name"),
  role: z.enum(['admin', 'staff']),
  via: z.enum(['session', 'key']).describe('how this request was authenticated'),
  csrfToken: z.string().nullable().describe(`send it in the ${CSRF_HEADER} header with every change made with the session cookie; null for a key`),
  expiresAt: z.string().nullable().describe('when the session ends at the latest (it also ends after an hour unused)'),
})

/**
 * Browser sign-in for the admin UI: an API key is exchanged for an HttpOnly, SameSite=Strict
 * session cookie (Secure when the hub is reached over TLS), so the key never sits in the page.
 */
export function sessionRoutes(hub: Hub, guard: SignInGuard): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/session',
      {
        config: { role: 'public' },
        schema: {
          tags: ['session'],
          summary: 'Sign in: exchange an API key for a session cookie (admin UI)',
          security: [],
          body: z.object({ key: z.string({ error: 'send the API key as "key"' }).trim().min(1, 'send the API key as "key"').max(200) }).strict(),
          response: { 200: SessionView, ...errorResponses },
        },
      },
      async (request, reply) => {
        const crossSite = crossSiteReason(request, hub.config.publicUrl)
        if (crossSite) return reply.code(403).send({ error: 'cross_site_refused', message: crossSite })
        const actor = await guard.check(request, reply, request.body.key, 'sign_in')
        if (!actor) return reply
        const session = await createSession(hub.db, actor)
        await audit(hub.db, actor, 'session.create', { type: 'api_key', id: actor.keyId })
        setSessionCookie(request, reply, hub.config.publicUrl, session.token)
        return { name: actor.name, role: actor.role, via: 'session' as const, csrfToken: session.csrfToken, expiresAt: session.expiresAt.toISOString() }
      },
    )

    app.get('/session', { schema: { tags: ['session'], summary: 'Who is signed in (or whose key this is), with the CSRF token of the session', response: { 200: SessionView, ...errorResponses } } }, async (request) => ({
      name: request.actor.name,
      role: request.actor.role,
      via: request.browserSession ? ('session' as const) : ('key' as const),
      csrfToken: request.browserSession?.csrfToken ?? null,
      expiresAt: request.browserSession?.expiresAt.toISOString() ?? null,
    }))

    app.delete('/session', { schema: { tags: ['session'], summary: 'Sign out: the session ends at once and its cookie is cleared', response: { 204: z.void().describe('signed out'), ...errorResponses } } }, async (request, reply) => {
      if (request.browserSession) {
        await deleteSession(hub.db, request.browserSession.token)
        await audit(hub.db, request.actor, 'session.delete', { type: 'api_key', id: request.actor.keyId })
      }
      reply.clearCookie(SESSION_COOKIE, cookieOptions(request, hub.config.publicUrl))
      return reply.code(204).send()
    })
  }
}

function setSessionCookie(request: FastifyRequest, reply: FastifyReply, publicUrl: string, token: string): void {
  reply.setCookie(SESSION_COOKIE, token, { ...cookieOptions(request, publicUrl), maxAge: Math.floor(SESSION_MAX_MS / 1000) })
}

function cookieOptions(request: FastifyRequest, publicUrl: string) {
  return sessionCookieOptions(request.protocol, publicUrl)
}

/** Secure whenever the browser reaches the hub over TLS: directly, or through a proxy the public URL names. */
export function sessionCookieOptions(protocol: string, publicUrl: string) {
  return { path: '/', httpOnly: true, sameSite: 'strict' as const, secure: protocol === 'https' || publicUrl.startsWith('https:') }
}
