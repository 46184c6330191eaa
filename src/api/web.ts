import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import cookie from '@fastify/cookie'
import helmet from '@fastify/helmet'
import staticFiles from '@fastify/static'

/** Where `npm install` / `npm start` put the built admin UI (src/web, built by src/web/build.ts). */
export const WEB_DIST = fileURLToPath(new URL('../web/dist/', import.meta.url))

/**
 * Serving the admin UI makes the hub a web site: every answer carries security headers (a
 * Content Security Policy without inline scripts, no framing, nosniff) and no CORS headers.
 */
export async function registerWebSecurity(app: FastifyInstance, options: { publicUrl: string }): Promise<void> {
  const tls = options.publicUrl.startsWith('https:')
  await app.register(cookie)
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'self'"],
        'style-src': ["'self'"],
        'img-src': ["'self'", 'data:'],
        'font-src': ["'self'"],
        'connect-src': ["'self'"],
        'object-src': ["'none'"],
        'base-uri': ["'self'"],
        'form-action': ["'self'"],
        'frame-ancestors': ["'none'"],
        ...(tls ? { 'upgrade-insecure-requests': [] } : {}),
      },
    },
    frameguard: { action: 'deny' },
    // HSTS means something only when the hub is reached over TLS.
    strictTransportSecurity: tls ? { maxAge: 15_552_000, includeSubDomains: false } : false,
    referrerPolicy: { policy: 'no-referrer' },
  })
}

/**
 * The built UI at `/` (hashed assets cached for good, the page itself never). When the UI is not
 * built, `/` says how to build it rather than a bare 404.
 */
export async function registerWebUi(app: FastifyInstance): Promise<void> {
  if (!existsSync(`${WEB_DIST}index.html`)) {
    app.get('/', { config: { role: 'public' }, schema: { hide: true } }, async (_request, reply) =>
      reply.code(503).type('text/plain').send('The admin UI is not built: run "npm run build:web" (npm install and npm start build it).\n'),
    )
    return
  }
  await app.register(staticFiles, {
    root: WEB_DIST,
    prefix: '/',
    wildcard: true,
    index: 'index.html',
    // Our own cache rule below, not the plugin's `max-age=0` for everything.
    cacheControl: false,
    setHeaders(res, path) {
      res.setHeader('cache-control', /[\\/]assets[\\/]/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache')
    },
  })
}

const NOT_UI = /^\/(api|jwks|health|metrics)(\/|$|\?)/

/** A browser opening a UI address directly (e.g. /connections/…) gets the page, which routes itself. */
export function sendUiPage(request: FastifyRequest, reply: FastifyReply): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false
  if (NOT_UI.test(request.url) || !String(request.headers.accept ?? '').includes('text/html')) return false
  if (!existsSync(`${WEB_DIST}index.html`)) return false
  void reply.header('cache-control', 'no-cache').sendFile('index.html')
  return true
}
