import { z } from 'zod'
import type { ConnectorContext } from '../connector.js'
import { ConnectorError, httpFailure, parseAnswer } from '../errors.js'
import { trimSlash, type HttpRequest, type HttpResponse } from '../http.js'

export const RittenSettings = z
  .object({
    clientId: z.string().trim().min(1).describe('Client ID issued by Ritten for this integration'),
    tenant: z.string().trim().min(1).describe('Clinic tenant sent as X-Ritten-Tenant on every call'),
    audience: z.string().url().default('https://external-api.ritten.io').describe('Token audience (differs outside production)'),
  })
  .strict()
export const RittenSecrets = z.object({ clientSecret: z.string().min(1).describe('Client secret issued by Ritten') }).strict()

export type RittenSettingsT = z.output<typeof RittenSettings>
export type RittenSecretsT = z.output<typeof RittenSecrets>
export type RittenContext = ConnectorContext<RittenSettingsT, RittenSecretsT>

const TokenResponse = z.object({ access_token: z.string().min(1), expires_in: z.number().nonnegative(), token_type: z.string().optional() })
const TokenError = z.object({ error: z.string(), error_description: z.string().optional() })
/** An address or insurance entry as Ritten answers it; one without an id cannot be updated and is ignored. */
const Entries = z
  .array(z.object({ id: z.string().min(1).optional() }).passthrough())
  .nullish()
  .transform((entries) => (entries ?? []).filter((e): e is typeof e & { id: string } => typeof e.id === 'string'))
export const RittenPatient = z
  .object({ id: z.string().min(1), mrn: z.string().nullish(), externalId: z.string().nullish(), addresses: Entries, insurance: Entries })
  .passthrough()
export const CreatedId = z.object({ id: z.string().min(1) })
export const Payers = z.array(z.object({ id: z.string(), name: z.string().nullish(), payerIdentifier: z.string().nullish() }).passthrough())

/** What each token error means for the admin: the field to fix in the connection settings. */
const TOKEN_ERRORS: Record<string, { message: string; retryable: boolean }> = {
  invalid_client: { message: 'Ritten rejected the client id or client secret (invalid_client): check the connection credentials', retryable: false },
  invalid_audience: { message: 'Ritten rejected the token audience (invalid_audience): check the audience setting', retryable: false },
  invalid_request: { message: 'Ritten rejected the token request as malformed (invalid_request)', retryable: false },
  unsupported_grant_type: { message: 'Ritten does not accept the client_credentials grant for this client (unsupported_grant_type)', retryable: false },
  rate_limit_exceeded: { message: 'Ritten token minting is rate-limited (rate_limit_exceeded); the hub will retry later', retryable: true },
  bad_gateway: { message: 'Ritten could not reach its identity provider (bad_gateway); the hub will retry', retryable: true },
}

/**
 * How long before its end the hub stops using a token: never before. Ritten's token endpoint
 * caches server-side and answers every request with the same token until that token expires
 * ("the proxy serves all subsequent requests from the cached token"), so asking early only
 * brings the same token back, and asking before each call near the end would run into the
 * endpoint's own request limit (its 429). The hub uses the token to its end; a call that meets
 * the end a moment early gets a 401, which brings the next token.
 */
export const TOKEN_MIN_VALIDITY_MS = 0

/**
 * Calls Ritten's API with the connection's cached token and tenant header. A 401 forgets that
 * token (only that one: another worker may have just stored a newer one) and retries once with
 * a fresh one; any other failure becomes a ConnectorError.
 */
export async function rittenCall(ctx: RittenContext, request: Omit<HttpRequest, 'url' | 'headers'> & { path: string }): Promise<HttpResponse> {
  let token = ''
  const send = async () => {
    token = await ctx.tokens.get(() => mintToken(ctx), TOKEN_MIN_VALIDITY_MS)
    const { path, ...rest } = request
    const response = await ctx.http.request({
      ...rest,
      url: `${trimSlash(ctx.connection.baseUrl)}${path}`,
      headers: { authorization: `Bearer ${token}`, 'x-ritten-tenant': ctx.connection.settings.tenant, accept: 'application/json' },
    })
    return { token, response }
  }
  const first = await send()
  if (first.response.status !== 401) return first.response
  await ctx.tokens.clear(first.token)
  return (await send()).response
}

/** Throws the ConnectorError a non-2xx answer means, carrying Ritten's own message. */
export function expectOk(response: HttpResponse, operation: string): HttpResponse {
  if (response.status >= 200 && response.status < 300) return response
  throw httpFailure({
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    operation,
    message: `Ritten ${operation} failed (${response.status}): ${rittenMessage(response)}`,
    details: { exchangeId: response.exchangeId },
  })
}

export function parseBody<T>(schema: z.ZodType<T>, response: HttpResponse, operation: string): T {
  return parseAnswer('Ritten', schema, response, operation)
}

/** Ritten's message from an error body: `message`, the per-field `errors`, or the OAuth description. */
export function rittenMessage(response: HttpResponse): string {
  const body = response.json as Record<string, unknown> | undefined
  if (body && typeof body === 'object') {
    const parts: string[] = []
    if (typeof body.message === 'string') parts.push(body.message)
    if (Array.isArray(body.errors)) {
      for (const e of body.errors as { path?: string; message?: string }[]) {
        if (e && typeof e === 'object') parts.push([e.path, e.message].filter(Boolean).join(': '))
      }
    }
    if (typeof body.error_description === 'string') parts.push(body.error_description)
    else if (typeof body.error === 'string' && parts.length === 0) parts.push(body.error)
    if (parts.length > 0) return parts.join('; ')
  }
  return response.text.slice(0, 300) || 'no message'
}

async function mintToken(ctx: RittenContext): Promise<{ token: string; expiresAt: Date }> {
  const { settings, secrets, baseUrl } = ctx.connection
  const response = await ctx.http.request({
    operation: 'token',
    method: 'POST',
    url: `${trimSlash(baseUrl)}/oauth/token`,
    json: { grant_type: 'client_credentials', client_id: settings.clientId, client_secret: secrets.clientSecret, audience: settings.audience },
    // Paced like every other call: besides the mint quota, the token endpoint has its own
    // request limit (Ritten's OpenAPI, 429 on POST /oauth/token: "the per-IP request rate limit").
  })
  if (response.status !== 200) {
    const error = TokenError.safeParse(response.json).data
    const known = error ? TOKEN_ERRORS[error.error] : undefined
    if (error && known) {
      throw new ConnectorError({
        code: `token_${error.error}`,
        message: known.message,
        retryable: known.retryable,
        httpStatus: response.status,
        details: { exchangeId: response.exchangeId, description: error.error_description },
      })
    }
    expectOk(response, 'token')
  }
  const token = parseBody(TokenResponse, response, 'token')
  // The same token may come back from Ritten's cache with little time left (expires_in is what
  // remains of it): it is taken as it is. Even "0 s left" counts as a second, so that a token in
  // its last second is used rather than asked for again before every call; a 401 then brings the
  // next one.
  return { token: token.access_token, expiresAt: new Date(ctx.now().getTime() + Math.max(token.expires_in, 1) * 1000) }
}

