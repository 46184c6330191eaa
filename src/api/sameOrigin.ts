import type { FastifyRequest } from 'fastify'

/**
 * Why a browser request is not from the hub's own pages, or null when it is (or cannot tell: a
 * client that is not a browser sends neither header). Browsers send `Sec-Fetch-Site` and
 * `Origin` on state changes; a page of another site cannot forge either.
 */
export function crossSiteReason(request: FastifyRequest, publicUrl: string): string | null {
  const site = request.headers['sec-fetch-site']
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') {
    return `Refused: a change made with the session cookie must come from this hub's own pages (the browser says the request is ${site})`
  }
  const origin = request.headers.origin
  if (typeof origin === 'string' && !ownOrigins(request, publicUrl).includes(origin)) {
    return `Refused: a change made with the session cookie must come from this hub's own pages, not from ${origin}`
  }
  return null
}

function ownOrigins(request: FastifyRequest, publicUrl: string): string[] {
  const origins = [`${request.protocol}://${request.host}`]
  try {
    origins.push(new URL(publicUrl).origin)
  } catch {
    // publicUrl is validated at start-up; nothing to add if it is not a URL
  }
  return origins
}
