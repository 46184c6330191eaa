import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { IDLE_SOCKET_MS, send } from './send.js'

/** The recorder's sender: what fetch did for it, on node:http. */
describe('send', () => {
  const routes = new Map<string, (req: IncomingMessage, res: ServerResponse, body: string) => void>()
  let server: Server
  let origin: string
  const seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = []
  const get = (path: string, timeoutMs = 2000) => send({ method: 'GET', url: `${origin}${path}`, headers: {}, body: undefined, timeoutMs })

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = ''
      req.setEncoding('utf8')
      req.on('data', (chunk: string) => (body += chunk))
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, headers: req.headers, body })
        const route = routes.get(req.url ?? '')
        if (route) route(req, res, body)
        else res.writeHead(404).end()
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    routes.set('/echo', (req, res, body) => {
      res.writeHead(201, { 'content-type': 'application/json', 'x-seen': req.headers['content-type'] ?? '' })
      res.end(JSON.stringify({ method: req.method, body, length: req.headers['content-length'] }))
    })
    routes.set('/gzip', (_req, res) => res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync('zipped ünïcode')))
    routes.set('/moved', (_req, res) => res.writeHead(302, { location: '/echo' }).end())
    routes.set('/again', (_req, res) => res.writeHead(307, { location: `${origin}/echo` }).end())
    // The same server by another name: another origin.
    routes.set('/elsewhere', (_req, res) => res.writeHead(307, { location: `${origin.replace('127.0.0.1', 'localhost')}/echo` }).end())
    routes.set('/silent', () => undefined)
    routes.set('/cut', (_req, res) => {
      res.writeHead(200, { 'content-length': '100' })
      res.write('only part')
      setTimeout(() => res.destroy(), 20)
    })
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })

  it('sends the body with its length and returns status, headers and the whole answer', async () => {
    const answer = await send({ method: 'POST', url: `${origin}/echo`, headers: { 'content-type': 'application/json' }, body: '{"name":"Zoë"}', timeoutMs: 2000 })
    expect(answer.status).toBe(201)
    expect(answer.headers.get('x-seen')).toBe('application/json')
    expect(JSON.parse(answer.text)).toEqual({ method: 'POST', body: '{"name":"Zoë"}', length: String(Buffer.byteLength('{"name":"Zoë"}')) })
  })

  it('decodes a compressed answer', async () => {
    expect((await get('/gzip')).text).toBe('zipped ünïcode')
  })

  it('follows redirects as fetch does: a POST after 302 becomes a GET without its body, 307 resends it', async () => {
    seen.length = 0
    const moved = await send({ method: 'POST', url: `${origin}/moved`, headers: { 'content-type': 'application/json' }, body: '{"a":1}', timeoutMs: 2000 })
    expect(JSON.parse(moved.text)).toMatchObject({ method: 'GET', body: '' })
    expect(seen.at(-1)!.headers['content-type']).toBeUndefined()
    const again = await send({ method: 'PATCH', url: `${origin}/again`, headers: { 'content-type': 'application/json' }, body: '{"a":2}', timeoutMs: 2000 })
    expect(JSON.parse(again.text)).toMatchObject({ method: 'PATCH', body: '{"a":2}' })
  })

  it('keeps the credentials on a redirect to the same origin and drops them on one to another, as fetch does', async () => {
    seen.length = 0
    await send({ method: 'GET', url: `${origin}/again`, headers: { authorization: 'Bearer same' }, body: undefined, timeoutMs: 2000 })
    expect(seen.at(-1)!.headers.authorization).toBe('Bearer same')
    await send({ method: 'GET', url: `${origin}/elsewhere`, headers: { authorization: 'Bearer other', 'x-tenant': 't' }, body: undefined, timeoutMs: 2000 })
    expect(seen.at(-1)!.headers).toMatchObject({ host: expect.stringMatching(/^localhost:/), 'x-tenant': 't' })
    expect(seen.at(-1)!.headers.authorization).toBeUndefined()
  })

  it('throws a TimeoutError when no answer comes in time', async () => {
    await expect(get('/silent', 200)).rejects.toMatchObject({ name: 'TimeoutError' })
  })

  it("throws network errors with the system's code as their cause, as fetch did", async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise((resolve) => closed.close(resolve))
    await expect(send({ method: 'GET', url: `http://127.0.0.1:${port}/`, headers: {}, body: undefined, timeoutMs: 2000 })).rejects.toMatchObject({ cause: { code: 'ECONNREFUSED' } })
    await expect(get('/cut')).rejects.toMatchObject({ cause: { code: 'ECONNRESET' } })
  })
  it('reuses a socket while it is busy, and closes it itself after a few idle seconds, before a server that keeps it longer would', async () => {
    // A server that keeps idle sockets for 10 s (its Keep-Alive hint says so): a request sent on a
    // socket just as a server's idle timer closes it fails before it reaches the system, so the
    // sender must give up an idle socket first, whatever the server keeps.
    const sockets: { closedAt?: number }[] = []
    const keeper = createServer((_req, res) => res.end('ok'))
    keeper.keepAliveTimeout = 10_000
    keeper.on('connection', (socket) => {
      const seen: { closedAt?: number } = {}
      sockets.push(seen)
      socket.on('close', () => (seen.closedAt = Date.now()))
    })
    await new Promise<void>((resolve) => keeper.listen(0, '127.0.0.1', resolve))
    try {
      const url = `http://127.0.0.1:${(keeper.address() as AddressInfo).port}/`
      const one = () => send({ method: 'GET', url, headers: {}, body: undefined, timeoutMs: 2000 })
      await one()
      await one()
      expect(sockets).toHaveLength(1)
      const idleFrom = Date.now()
      await expect.poll(() => sockets[0]!.closedAt, { timeout: IDLE_SOCKET_MS + 3_000, interval: 100 }).toBeDefined()
      expect(sockets[0]!.closedAt! - idleFrom).toBeLessThan(10_000)
      await one()
      expect(sockets).toHaveLength(2)
    } finally {
      keeper.closeAllConnections()
      await new Promise((resolve) => keeper.close(resolve))
    }
  }, 20_000)
})
