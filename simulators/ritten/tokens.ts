/**
 * The token side of Ritten: `POST /v1/oauth/token` (client_credentials against Auth0, cached by
 * Ritten's proxy) and the check of Bearer tokens on every other call. Knows nothing of HTTP
 * beyond the status each outcome maps to.
 */
import { randomBytes } from 'node:crypto'
import { TOKEN_CACHE, TOKEN_REQUEST_LIMIT } from './inferred.js'
import { RequestBuckets } from './rate-limit.js'

/** The one integrator client the simulated clinic has provisioned. */
export interface TokenClient {
  clientId: string
  clientSecret: string
  audience: string
  ttlSeconds: number
}

/** Published mint quota (Auth0 layer): 2 per hour, 3 per day, per application. */
export const MINT_QUOTA = { perHour: 2, perDay: 3 } as const

export interface TokenGrant {
  access_token: string
  token_type: 'Bearer'
  expires_in: number
  scope: string
}

export type TokenErrorCode =
  | 'invalid_request'
  | 'unsupported_grant_type'
  | 'invalid_audience'
  | 'invalid_client'
  | 'rate_limit_exceeded'

export type TokenAnswer =
  | { ok: true; grant: TokenGrant }
  | { ok: false; status: 400 | 401 | 429; body: { error: TokenErrorCode; error_description: string } }

export type BearerCheck = { ok: true; clientId: string } | { ok: false; reason: 'unknown' | 'expired' }

const REQUIRED_FIELDS = ['grant_type', 'client_id', 'client_secret', 'audience'] as const

export class TokenAuthority {
  private requests = 0
  private mintTimes: number[] = []
  private readonly issued = new Map<string, { clientId: string; expiresAt: number }>()
  /** What Ritten's proxy holds: the last minted token, served until it expires. */
  private cached: { token: string; expiresAt: number } | null = null
  /** The token endpoint's own request limit, per caller (TOKEN_REQUEST_LIMIT). */
  private readonly callers: RequestBuckets

  constructor(
    private readonly client: TokenClient,
    private readonly now: () => number,
    requestLimit: { capacity: number; refillPerSecond: number } = TOKEN_REQUEST_LIMIT,
  ) {
    this.callers = new RequestBuckets(now, requestLimit)
  }

  /**
   * Answers one token request (a parsed JSON or form body) from `caller` (its IP address): the
   * endpoint's request limit first, then the body, the credentials, the cache and the mint quota.
   */
  request(body: unknown, caller: string): TokenAnswer {
    this.requests += 1
    if (!this.callers.take(caller)) {
      return reject(
        429,
        'rate_limit_exceeded',
        'Too many token requests from this address: slow down. Reuse the access token you have (it lasts 24 hours); this endpoint serves the same token until it expires.',
      )
    }
    const fields = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {}
    const missing = REQUIRED_FIELDS.filter((name) => typeof fields[name] !== 'string' || fields[name] === '')
    if (missing.length > 0) {
      return reject(400, 'invalid_request', `Missing or invalid field(s): ${missing.join(', ')}`)
    }
    const { grant_type, client_id, client_secret, audience } = fields as Record<(typeof REQUIRED_FIELDS)[number], string>
    if (grant_type !== 'client_credentials') {
      return reject(400, 'unsupported_grant_type', `Grant type "${grant_type}" not supported: use "client_credentials"`)
    }
    if (audience !== this.client.audience) {
      return reject(400, 'invalid_audience', `Audience "${audience}" is not valid: use "${this.client.audience}"`)
    }
    if (client_id !== this.client.clientId || client_secret !== this.client.clientSecret) {
      return reject(401, 'invalid_client', 'Unauthorized: unknown client_id or wrong client_secret')
    }

    const at = this.now()
    if (this.cached && this.cached.expiresAt > at) return { ok: true, grant: this.grant(this.cached, at) }

    const quota = this.quotaProblem(at)
    if (quota) return reject(429, 'rate_limit_exceeded', quota)
    const minted = { token: randomBytes(32).toString('base64url'), expiresAt: at + this.client.ttlSeconds * 1000 }
    this.mintTimes.push(at)
    this.issued.set(minted.token, { clientId: this.client.clientId, expiresAt: minted.expiresAt })
    this.cached = minted
    return { ok: true, grant: this.grant(minted, at) }
  }

  /** Checks a Bearer token presented on an API call. */
  check(accessToken: string): BearerCheck {
    const issued = this.issued.get(accessToken)
    if (!issued) return { ok: false, reason: 'unknown' }
    if (issued.expiresAt <= this.now()) return { ok: false, reason: 'expired' }
    return { ok: true, clientId: issued.clientId }
  }

  /** Token requests received and tokens actually minted since the last reset. */
  counts(): { requests: number; mints: number } {
    return { requests: this.requests, mints: this.mintTimes.length }
  }

  reset(): void {
    this.requests = 0
    this.mintTimes = []
    this.issued.clear()
    this.cached = null
    this.callers.reset()
  }

  private grant(token: { token: string; expiresAt: number }, at: number): TokenGrant {
    const expiresIn =
      TOKEN_CACHE.expiresIn === 'remaining' ? Math.ceil((token.expiresAt - at) / 1000) : this.client.ttlSeconds
    return { access_token: token.token, token_type: 'Bearer', expires_in: expiresIn, scope: '' }
  }

  private quotaProblem(at: number): string | null {
    const lastHour = this.mintTimes.filter((t) => t > at - TOKEN_CACHE.hourWindowMs).length
    if (lastHour >= MINT_QUOTA.perHour) {
      return `Token mint quota exceeded: at most ${MINT_QUOTA.perHour} tokens per hour. Reuse the access token you have (it lasts 24 hours).`
    }
    const lastDay = this.mintTimes.filter((t) => t > at - TOKEN_CACHE.dayWindowMs).length
    if (lastDay >= MINT_QUOTA.perDay) {
      return `Token mint quota exceeded: at most ${MINT_QUOTA.perDay} tokens per day. Reuse the access token you have (it lasts 24 hours).`
    }
    return null
  }
}

function reject(status: 400 | 401 | 429, error: TokenErrorCode, description: string): TokenAnswer {
  return { ok: false, status, body: { error, error_description: description } }
}
