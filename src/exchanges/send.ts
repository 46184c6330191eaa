/**
 * One HTTP request with its whole answer as text, on node:http with kept-alive connections.
 *
 * Why not fetch: a CPU profile of a worker process pushing patients to Ritten put a quarter of its
 * busy time in undici's fetch (WHATWG streams, Request/Response/Headers objects, abort plumbing) —
 * more than all of its database work. The recorder needs none of that for an answer it reads whole.
 * What fetch did that callers rely on is kept: a timeout over the request and the whole answer,
 * network errors carrying the system's error code as their `cause` (as fetch's "fetch failed" did),
 * compressed answers decoded, redirects followed (GET/HEAD as they are, others as fetch does: 303,
 * and 301/302 after a POST, become a GET without a body; 307/308 resend the same request; the
 * credentials dropped when the redirect leads to another origin).
 */
import http from 'node:http'
import https from 'node:https'
import { Readable } from 'node:stream'
import zlib from 'node:zlib'

export interface SendRequest {
  method: string
  url: string
  headers: Record<string, string>
  body: string | undefined
  timeoutMs: number
}

export interface SendAnswer {
  status: number
  headers: Headers
  text: string
}

/**
 * Shared by every connection of the process, as fetch's global pool was: a push reuses the socket
 * the last one left. An idle socket is closed after 4 s, as undici closes its own: without a
 * `timeout`, node's Agent keeps it until the server closes it (it ignores the server's Keep-Alive
 * hint when it has no timeout of its own), and a request sent on it as the server's idle timer
 * fires (Node's servers close after 5 s) fails with ECONNRESET before it reached the system.
 */
export const IDLE_SOCKET_MS = 4_000
const agents = {
  'http:': new http.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS }),
  'https:': new https.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS }),
}

/** Headers fetch drops when a redirect leads to another origin. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie'])

/** fetch's limit. */
const MAX_REDIRECTS = 20

/** The error a timeout is thrown as: named `TimeoutError`, as AbortSignal.timeout's was. */
export class SendTimeoutError extends Error {
  override readonly name = 'TimeoutError'
}

export async function send(request: SendRequest): Promise<SendAnswer> {
  const deadline = Date.now() + request.timeoutMs
  let current = { method: request.method, url: request.url, headers: request.headers, body: request.body }
  for (let redirects = 0; ; redirects++) {
    const answer = await sendOnce(current, deadline, request.timeoutMs)
    const location = answer.headers.get('location')
    if (!location || ![301, 302, 303, 307, 308].includes(answer.status)) return answer
    if (redirects >= MAX_REDIRECTS) throw new Error('request failed', { cause: new Error(`more than ${MAX_REDIRECTS} redirects`) })
    const next = new URL(location, current.url)
    const url = next.toString()
    // As fetch does: credentials meant for one origin are not handed to another.
    if (next.origin !== new URL(current.url).origin) current = { ...current, headers: Object.fromEntries(Object.entries(current.headers).filter(([name]) => !CREDENTIAL_HEADERS.has(name.toLowerCase()))) }
    const asGet = answer.status === 303 ? current.method !== 'GET' && current.method !== 'HEAD' : (answer.status === 301 || answer.status === 302) && current.method === 'POST'
    if (!asGet) {
      current = { ...current, url }
      continue
    }
    const headers = Object.fromEntries(Object.entries(current.headers).filter(([name]) => !/^content-/i.test(name)))
    current = { method: 'GET', url, headers, body: undefined }
  }
}

async function sendOnce(request: Omit<SendRequest, 'timeoutMs'>, deadline: number, timeoutMs: number): Promise<SendAnswer> {
  const url = new URL(request.url)
  const agent = agents[url.protocol as keyof typeof agents]
  if (!agent) throw new Error('request failed', { cause: new Error(`unsupported protocol ${url.protocol}`) })
  const transport = url.protocol === 'https:' ? https : http
  const body = request.body === undefined ? undefined : Buffer.from(request.body)
  const headers: Record<string, string> = { 'accept-encoding': 'gzip, deflate, br', ...request.headers }
  if (body) headers['content-length'] = String(body.length)
  return new Promise<SendAnswer>((resolve, reject) => {
    let settled = false
    const fail = (err: Error) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      req.destroy()
      reject(err instanceof SendTimeoutError ? err : new Error('request failed', { cause: err }))
    }
    const timer = setTimeout(() => fail(new SendTimeoutError(`no answer within ${timeoutMs} ms`)), Math.max(0, deadline - Date.now()))
    const req = transport.request(url, { method: request.method, headers, agent }, (res) => {
      const chunks: Buffer[] = []
      const decoded = decode(res, res.headers['content-encoding'])
      decoded.on('data', (chunk: Buffer) => chunks.push(chunk))
      decoded.on('error', fail)
      res.on('error', fail)
      // The connection closed before the answer ended (no 'error' comes in every Node version).
      res.on('close', () => {
        if (!res.complete) fail(Object.assign(new Error('the connection closed before the answer ended'), { code: 'ECONNRESET' }))
      })
      decoded.on('end', () => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        resolve({ status: res.statusCode ?? 0, headers: headersOf(res.rawHeaders), text: Buffer.concat(chunks).toString('utf8') })
      })
    })
    req.on('error', fail)
    req.end(body)
  })
}

/** The answer's bytes as sent before their content coding (fetch decoded these three too). */
function decode(res: http.IncomingMessage, coding: string | undefined): Readable {
  switch (coding?.trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return res.pipe(zlib.createGunzip({ flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH }))
    case 'deflate':
      return res.pipe(zlib.createInflate())
    case 'br':
      return res.pipe(zlib.createBrotliDecompress())
    default:
      return res
  }
}

function headersOf(raw: string[]): Headers {
  const headers = new Headers()
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!)
  return headers
}
