/**
 * SMART Backend Services as eClinicalWorks runs it: client_credentials with an RS384-signed
 * client assertion whose key is published at an allow-listed JWKS URL; opaque 5-minute bearer
 * tokens; SMART v1 (.read/.write) and v2 (.c/.r/.u/.d/.s) scopes. Knows nothing about HTTP
 * routing or FHIR storage.
 */
import { randomBytes } from 'node:crypto'
import { compactVerify, decodeJwt, decodeProtectedHeader, importJWK, type JWK, type JWTPayload } from 'jose'
import {
  ACCESS_TOKEN_TTL_SECONDS,
  ASSERTION_CLOCK_SKEW_SECONDS,
  ASSERTION_MAX_LIFETIME_SECONDS,
  JWKS_FETCH_TIMEOUT_MS,
  OAUTH_STATUS,
} from './inferred.js'

/** A client allow-listed for one practice. `jwksUrl` null/empty = its JWKS URL is not allow-listed. */
export interface EcwClient {
  clientId: string
  jwksUrl?: string | null
  scopes: string[]
}

export type OAuthErrorCode = keyof typeof OAUTH_STATUS

/** A token-endpoint failure: answered as `{error, error_description}` with `status`. */
export class OAuthError extends Error {
  readonly status: number
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
  ) {
    super(description)
    this.status = OAUTH_STATUS[error]
  }
  body(): { error: string; error_description: string } {
    return { error: this.error, error_description: this.description }
  }
}

export interface TokenResponse {
  access_token: string
  token_type: 'Bearer'
  expires_in: number
  scope: string
}

export interface AccessToken {
  token: string
  practice: string
  clientId: string
  scopes: string[]
  issuedAt: number
  expiresAt: number
}

export interface TokenRequest {
  practice: string
  /** The form fields, each with every value sent (a repeated field is an error). */
  form: Map<string, string[]>
  /** Accepted `aud` values: the token URL as the client discovered it. */
  audiences: string[]
  /** The client registered under `clientId` for this practice, if any. */
  client(clientId: string): EcwClient | undefined
}

/** What a resource request may do. */
export type Interaction = 'read' | 'search' | 'create' | 'update' | 'delete'

export type AuthResult =
  | { ok: true; token: AccessToken }
  | { ok: false; code: 'login' | 'expired'; message: string }

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

export class SmartAuthority {
  private readonly tokens = new Map<string, AccessToken>()
  private readonly jtiSeen = new Map<string, { clientId: string; jti: string; exp: number }>()

  /**
   * @param advertised the scopes ECW advertises (`scopes_supported` of its SMART configuration):
   *   any other scope is refused at the token endpoint, whatever the client's registration says.
   */
  constructor(
    private readonly now: () => number,
    private readonly fetchJwks: (url: string) => Promise<unknown>,
    private readonly advertised: ReadonlySet<string>,
  ) {}

  /** The token endpoint. Throws OAuthError. */
  async token(request: TokenRequest): Promise<TokenResponse> {
    const field = (name: string): string | undefined => {
      const values = request.form.get(name)
      if (!values) return undefined
      if (values.length > 1) throw new OAuthError('invalid_request', `Parameter ${name} is repeated`)
      return values[0]
    }
    for (const name of request.form.keys()) field(name)

    const grantType = field('grant_type')
    if (!grantType) throw new OAuthError('invalid_request', 'grant_type is required')
    if (grantType !== 'client_credentials') {
      throw new OAuthError('unsupported_grant_type', `grant_type ${grantType} is not supported; use client_credentials`)
    }
    const assertionType = field('client_assertion_type')
    if (assertionType !== CLIENT_ASSERTION_TYPE) {
      throw new OAuthError('invalid_request', `client_assertion_type must be ${CLIENT_ASSERTION_TYPE}`)
    }
    const assertion = field('client_assertion')
    if (!assertion) throw new OAuthError('invalid_request', 'client_assertion is required')
    const scopeParam = field('scope')
    if (!scopeParam || scopeParam.trim() === '') throw new OAuthError('invalid_request', 'scope is required')

    // Header and unverified claims: which client, which key.
    let header: ReturnType<typeof decodeProtectedHeader>
    let claims: JWTPayload
    try {
      header = decodeProtectedHeader(assertion)
      claims = decodeJwt(assertion)
    } catch {
      throw new OAuthError('invalid_grant', 'client_assertion is malformed (not a signed JWT)')
    }
    if (header.alg !== 'RS384') {
      throw new OAuthError('invalid_grant', `client_assertion must be signed with RS384, not ${String(header.alg)}`)
    }
    const clientId = typeof claims.iss === 'string' ? claims.iss : undefined
    if (!clientId) throw new OAuthError('invalid_client', 'No client_id found: client_assertion has no iss')
    if (claims.sub !== clientId) throw new OAuthError('invalid_client', 'client_id mismatch: iss and sub differ')
    const formClientId = field('client_id')
    if (formClientId !== undefined && formClientId !== clientId) {
      throw new OAuthError('invalid_client', 'client_id mismatch: client_id and the assertion iss differ')
    }
    const client = request.client(clientId)
    if (!client) throw new OAuthError('invalid_client', `No client_id found: ${clientId} is not registered for this practice`)
    const jwksUrl = client.jwksUrl?.trim()
    if (!jwksUrl) throw new OAuthError('invalid_client', 'JWKS URL not allow-listed by eClinicalWorks for this client')
    if (header.jku !== undefined && header.jku !== jwksUrl) {
      throw new OAuthError('invalid_client', `JWKS URL ${header.jku} not allow-listed by eClinicalWorks`)
    }
    if (!header.kid) throw new OAuthError('invalid_client', 'client_assertion header has no kid')

    // Key from the allow-listed JWKS, fetched now.
    const jwk = await this.findKey(jwksUrl, header.kid)
    let key: Awaited<ReturnType<typeof importJWK>>
    try {
      key = await importJWK(jwk, 'RS384')
    } catch {
      throw new OAuthError('invalid_client', `JWKS key ${header.kid} is not a usable RS384 key`)
    }
    let verified: JWTPayload
    try {
      const result = await compactVerify(assertion, key, { algorithms: ['RS384'] })
      verified = JSON.parse(new TextDecoder().decode(result.payload)) as JWTPayload
    } catch {
      throw new OAuthError('invalid_client', 'client_assertion signature does not verify with the JWKS key')
    }

    // Claims.
    const nowSeconds = this.now() / 1000
    const aud = verified.aud
    const audOk = Array.isArray(aud) ? aud.some((a) => request.audiences.includes(a)) : typeof aud === 'string' && request.audiences.includes(aud)
    if (!audOk) throw new OAuthError('invalid_grant', `client_assertion aud must be the token URL ${request.audiences[0] ?? ''}`)
    if (typeof verified.exp !== 'number') throw new OAuthError('invalid_grant', 'client_assertion has no exp')
    if (verified.exp <= nowSeconds) throw new OAuthError('invalid_grant', 'client_assertion is expired')
    if (verified.exp > nowSeconds + ASSERTION_MAX_LIFETIME_SECONDS + ASSERTION_CLOCK_SKEW_SECONDS) {
      throw new OAuthError('invalid_grant', 'client_assertion exp is more than 5 minutes in the future')
    }
    if (typeof verified.nbf === 'number' && verified.nbf > nowSeconds + ASSERTION_CLOCK_SKEW_SECONDS) {
      throw new OAuthError('invalid_grant', 'client_assertion is not valid yet (nbf)')
    }
    if (typeof verified.jti !== 'string' || verified.jti === '') throw new OAuthError('invalid_grant', 'client_assertion has no jti')
    this.pruneJti(nowSeconds)
    const jtiKey = `${clientId} ${verified.jti}`
    if (this.jtiSeen.has(jtiKey)) throw new OAuthError('invalid_grant', 'client_assertion jti was already used')
    this.jtiSeen.set(jtiKey, { clientId, jti: verified.jti, exp: verified.exp })

    // Scopes: each must be one ECW advertises, and one registered for this client.
    const scopes = scopeParam.trim().split(/\s+/)
    for (const scope of scopes) {
      const parsed = parseResourceScope(scope)
      if (!parsed) throw new OAuthError('invalid_grant', `The requested scope ${scope} is malformed or not a resource scope`)
      // SMART Backend Services: a client_credentials token acts for a system, not a user or patient [I].
      if (parsed.context !== 'system') throw new OAuthError('invalid_grant', `The requested scope ${scope} is not a system/ scope (client_credentials grants system/ scopes only)`)
      if (!this.advertised.has(scope)) {
        throw new OAuthError('invalid_grant', `The requested scope ${scope} is not supported (not in scopes_supported)`)
      }
      if (!client.scopes.includes(scope)) {
        throw new OAuthError('invalid_grant', `The requested scope ${scope} is not granted to client ${clientId}`)
      }
    }

    const issuedAt = this.now()
    this.pruneTokens(issuedAt)
    const token: AccessToken = {
      token: randomBytes(32).toString('base64url'),
      practice: request.practice,
      clientId,
      scopes,
      issuedAt,
      expiresAt: issuedAt + ACCESS_TOKEN_TTL_SECONDS * 1000,
    }
    this.tokens.set(token.token, token)
    return { access_token: token.token, token_type: 'Bearer', expires_in: ACCESS_TOKEN_TTL_SECONDS, scope: scopes.join(' ') }
  }

  /** Checks `Authorization: Bearer …` for a resource request on `practice`. */
  authenticate(practice: string, authorization: string | undefined): AuthResult {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')
    if (!match?.[1]) return { ok: false, code: 'login', message: 'Authorization: Bearer <access token> is required' }
    const token = this.tokens.get(match[1])
    if (!token || token.practice !== practice) return { ok: false, code: 'login', message: 'The access token is invalid' }
    if (this.now() >= token.expiresAt) return { ok: false, code: 'expired', message: 'The access token has expired' }
    return { ok: true, token }
  }

  /** The client_id a bearer token was issued to (valid or not), for rate limiting; undefined when unknown. */
  clientOf(authorization: string | undefined): string | undefined {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')
    return match?.[1] ? this.tokens.get(match[1])?.clientId : undefined
  }

  /** Forgets every token of `practice` (all practices when omitted): their next use answers 401. Returns how many. */
  revoke(practice?: string): number {
    let revoked = 0
    for (const [key, token] of this.tokens) {
      if (practice === undefined || token.practice === practice) {
        this.tokens.delete(key)
        revoked += 1
      }
    }
    return revoked
  }

  reset(): void {
    this.tokens.clear()
    this.jtiSeen.clear()
  }

  records(): { tokens: unknown[]; jtiSeen: unknown[] } {
    const now = this.now()
    return {
      tokens: [...this.tokens.values()].map((t) => ({
        tokenPrefix: `${t.token.slice(0, 6)}…`,
        practice: t.practice,
        clientId: t.clientId,
        scope: t.scopes.join(' '),
        issuedAt: new Date(t.issuedAt).toISOString(),
        expiresAt: new Date(t.expiresAt).toISOString(),
        expired: now >= t.expiresAt,
      })),
      jtiSeen: [...this.jtiSeen.values()].map((j) => ({ clientId: j.clientId, jti: j.jti, exp: j.exp })),
    }
  }

  private async findKey(jwksUrl: string, kid: string): Promise<JWK> {
    let jwks: unknown
    try {
      jwks = await this.fetchJwks(jwksUrl)
    } catch (err) {
      throw new OAuthError('invalid_client', `JWKS not reachable at ${jwksUrl} (${err instanceof Error ? err.message : String(err)})`)
    }
    const keys = (jwks as { keys?: unknown } | null)?.keys
    if (!Array.isArray(keys)) throw new OAuthError('invalid_client', `JWKS at ${jwksUrl} is malformed (no keys array)`)
    const jwk = keys.find((k): k is JWK => typeof k === 'object' && k !== null && (k as JWK).kid === kid)
    if (!jwk) throw new OAuthError('invalid_client', `kid ${kid} of the client_assertion is not in the JWKS at ${jwksUrl}`)
    return jwk
  }

  private pruneJti(nowSeconds: number): void {
    for (const [key, seen] of this.jtiSeen) if (seen.exp < nowSeconds - 60) this.jtiSeen.delete(key)
  }

  private pruneTokens(now: number): void {
    for (const [key, token] of this.tokens) if (token.expiresAt < now - 3_600_000) this.tokens.delete(key)
  }
}

/** Fetches a JWKS over HTTP; throws when unreachable, on a non-2xx status or a non-JSON body. */
export async function fetchJwksOverHttp(url: string): Promise<unknown> {
  const response = await fetch(url, { signal: AbortSignal.timeout(JWKS_FETCH_TIMEOUT_MS), headers: { accept: 'application/json' } })
  if (!response.ok) throw new Error(`HTTP ${response.status}`)
  const text = await response.text()
  try {
    return JSON.parse(text)
  } catch {
    return { malformed: true }
  }
}

// ---------------------------------------------------------------------------------------------
// Scopes
// ---------------------------------------------------------------------------------------------

export interface ResourceScope {
  context: 'patient' | 'user' | 'system'
  resourceType: string
  permissions: Set<'c' | 'r' | 'u' | 'd' | 's'>
}

/**
 * Parses `system/Patient.read`, `system/Patient.write`, `system/*.*` (SMART v1) and
 * `system/Patient.rs`, `.c`, `.cruds`, `.create`, `.update` (SMART v2 and ECW's spellings), with an
 * optional `?query` suffix (accepted, not enforced). Null when malformed.
 */
export function parseResourceScope(scope: string): ResourceScope | null {
  const match = /^(patient|user|system)\/([A-Z][A-Za-z]+|\*)\.([a-z*]+)(\?.*)?$/.exec(scope)
  if (!match) return null
  const [, context, resourceType, permission] = match as unknown as [string, ResourceScope['context'], string, string]
  const permissions = new Set<'c' | 'r' | 'u' | 'd' | 's'>()
  const v1: Record<string, string> = { read: 'rs', write: 'cud', '*': 'cruds', create: 'c', update: 'u', delete: 'd', search: 's' }
  const letters = v1[permission] ?? (/^c?r?u?d?s?$/.test(permission) ? permission : null)
  if (!letters) return null
  for (const letter of letters) permissions.add(letter as 'c' | 'r' | 'u' | 'd' | 's')
  return { context, resourceType, permissions }
}

/** True when one of `scopes` grants `interaction` on `resourceType`. */
export function scopesAllow(scopes: string[], resourceType: string, interaction: Interaction): boolean {
  const letter = ({ read: 'r', search: 's', create: 'c', update: 'u', delete: 'd' } as const)[interaction]
  return scopes.some((scope) => {
    const parsed = parseResourceScope(scope)
    return parsed !== null && (parsed.resourceType === '*' || parsed.resourceType === resourceType) && parsed.permissions.has(letter)
  })
}
