import { z } from 'zod'
import type { ConnectorContext } from '../connector.js'
import { ConnectorError, httpFailure, parseAnswer } from '../errors.js'
import { trimSlash, type HttpRequest, type HttpResponse } from '../http.js'

/** CRMS needs nothing but its base URL (the connection's) and the API key. */
export const CrmsSettings = z.object({}).strict()
export const CrmsSecrets = z.object({ apiKey: z.string().trim().min(1).describe('API key of the CRMS instance, sent as X-API-Key') }).strict()

export type CrmsSettingsT = z.output<typeof CrmsSettings>
export type CrmsSecretsT = z.output<typeof CrmsSecrets>
export type CrmsContext = ConnectorContext<CrmsSettingsT, CrmsSecretsT>

export const CrmsCreated = z.object({ id: z.string().min(1), status: z.string().optional() }).passthrough()
export const CrmsConflict = z.object({ message: z.string().optional(), id: z.string().min(1).optional() }).passthrough()
export const CrmsList = z.object({ items: z.array(z.object({ id: z.string().min(1), external_id: z.string(), status: z.string() }).passthrough()) })
export const CrmsReferral = z
  .object({
    id: z.string().min(1),
    status: z.string(),
    accepted_at: z.string().nullish(),
    attachments: z.array(z.object({ filename: z.string(), sha256: z.string() }).passthrough()).nullish(),
  })
  .passthrough()

/** Calls CRMS's API with the connection's API key. */
export function crmsCall(ctx: CrmsContext, request: Omit<HttpRequest, 'url' | 'headers'> & { path: string }): Promise<HttpResponse> {
  const { path, ...rest } = request
  return ctx.http.request({
    ...rest,
    url: `${trimSlash(ctx.connection.baseUrl)}${path}`,
    headers: { 'x-api-key': ctx.connection.secrets.apiKey, accept: 'application/json' },
  })
}

/** Throws the ConnectorError a non-2xx answer means, with CRMS's own sentence (a 400 needs a person; 5xx and 429 retry). */
export function expectOk(response: HttpResponse, operation: string): HttpResponse {
  if (response.status >= 200 && response.status < 300) return response
  if (response.status === 401) {
    throw new ConnectorError({
      code: 'unauthorized',
      message: `CRMS refused the API key (401): ${crmsMessage(response)}; set the connection's apiKey`,
      retryable: false,
      httpStatus: 401,
      details: { operation, exchangeId: response.exchangeId },
    })
  }
  throw httpFailure({
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    operation,
    message: `CRMS ${operation} failed (${response.status}): ${crmsMessage(response)}`,
    details: { exchangeId: response.exchangeId },
  })
}

export function parseBody<T>(schema: z.ZodType<T>, response: HttpResponse, operation: string): T {
  return parseAnswer('CRMS', schema, response, operation)
}

/** CRMS's sentence from an error body (`{"message"}`), else the start of the text. */
export function crmsMessage(response: HttpResponse): string {
  const body = response.json as { message?: unknown } | undefined
  if (body && typeof body === 'object' && typeof body.message === 'string' && body.message) return body.message
  return response.text.slice(0, 300) || 'no message'
}

