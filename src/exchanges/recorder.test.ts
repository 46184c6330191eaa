import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, type CompiledQuery, type DatabaseConnection, type Driver, type QueryResult } from 'kysely'
import type { Database } from '../db/schema.js'
import { ConnectorError } from '../connectors/errors.js'
import { createRecordingHttp, storableBody } from './recorder.js'

/** streamLines: a body handed over line by line, the exchange recorded as a summary. */
describe('recording HTTP door: streamLines', () => {
  const rows = new Map<string, Record<string, unknown>>()
  /** Just what the recorder writes, read from the statements it sends: one insert per exchange, one update when a streamed body ends. */
  const db = statementsInto(rows)
  const routes = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>()
  let server: Server
  let origin: string
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
  const http = createRecordingHttp({
    db,
    scope: { organizationId: 'o', connectionId: 'c', connector: 'ecw', syncJobId: null, recordType: null, recordId: null, attempt: 1 },
    // Long enough for a busy machine to deliver a first byte; the stall test waits it out.
    timeoutMs: 1500,
  })
  const stream = (path: string) => http.streamLines!({ operation: 'file', method: 'GET', url: `${origin}${path}` })

  beforeAll(async () => {
    server = createServer((req, res) => {
      const route = routes.get(req.url ?? '')
      if (route) route(req, res)
      else res.writeHead(404).end()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    routes.set('/lines', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/fhir+ndjson' })
      // A line split across writes, a CRLF, a blank line, no newline at the end.
      res.write('{"a":1}\n{"b"')
      setTimeout(() => res.end(':2}\r\n\n{"c":3}'), 50)
    })
    routes.set('/stalls', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/fhir+ndjson' })
      res.write('{"a":1}\n')
      // Then nothing for longer than the timeout.
    })
    routes.set('/many', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/fhir+ndjson' })
      res.end(Array.from({ length: 1000 }, (_, i) => `{"i":${i}}`).join('\n'))
    })
    routes.set('/refused', (_req, res) => {
      res.writeHead(404, { 'content-type': 'application/fhir+json' }).end(JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found', diagnostics: 'File gone' }] }))
    })
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })

  it('hands over every line, however the body is cut, and records a summary instead of the body', async () => {
    const response = await stream('/lines')
    expect(response.status).toBe(200)
    const lines: string[] = []
    for await (const line of response.lines) lines.push(line)
    expect(lines).toEqual(['{"a":1}', '{"b":2}', '{"c":3}'])
    const row = rows.get(response.exchangeId)!
    expect(row).toMatchObject({ status: 'ok', http_status: 200, operation: 'file', response_body: null, message: 'streamed 3 lines, 25 bytes (body not stored)' })
  })

  it('times out only while waiting for the network, not while the reader works', async () => {
    const response = await stream('/lines')
    const lines: string[] = []
    for await (const line of response.lines) {
      lines.push(line)
      await sleep(1700) // longer than the 1,500 ms timeout
    }
    expect(lines).toHaveLength(3)

    const stalled = await stream('/stalls')
    const got: string[] = []
    const error = await (async () => {
      try {
        for await (const line of stalled.lines) got.push(line)
      } catch (err) {
        return err
      }
      return null
    })()
    expect(got).toEqual(['{"a":1}'])
    expect(error).toBeInstanceOf(ConnectorError)
    expect(error).toMatchObject({ code: 'timeout', retryable: true })
    expect(rows.get(stalled.exchangeId)).toMatchObject({ status: 'error', message: expect.stringContaining('the body broke off after 1 lines') })
  })

  it('drops the rest of the body when the reader stops early, and says so', async () => {
    const response = await stream('/many')
    let read = 0
    for await (const _line of response.lines) if (++read === 10) break
    expect(rows.get(response.exchangeId)).toMatchObject({ status: 'ok', message: expect.stringMatching(/^stopped by the reader after 10 lines/) })
  })

  it('reads a refusal whole, as a plain request does', async () => {
    const response = await stream('/refused')
    expect(response).toMatchObject({ status: 404, json: { resourceType: 'OperationOutcome' } })
    const lines: string[] = []
    for await (const line of response.lines) lines.push(line)
    expect(lines).toEqual([])
    expect(rows.get(response.exchangeId)).toMatchObject({ status: 'error', http_status: 404, message: expect.stringContaining('File gone') })
  })
})

describe('storableBody', () => {
  it('writes a NUL as the escape \\u0000 (PostgreSQL text cannot hold one) and keeps the rest as it was', () => {
    expect(storableBody('a\u0000b')).toBe('a\\u0000b')
    expect(storableBody('{"a":"\\u0000"}')).toBe('{"a":"\\u0000"}')
    expect(storableBody(null)).toBeNull()
  })

  it('cuts a long body and says how long it was', () => {
    const cut = storableBody('x'.repeat(10_000_000))!
    expect(cut.length).toBeLessThan(10_000_000)
    expect(cut).toMatch(/\[cut: 10000000 characters in all\]$/)
  })
})

/**
 * A database that keeps the exchanges' rows from the statements it is sent (the recorder's insert
 * of a whole row and its update of some columns by id), without a server: Kysely compiles each
 * statement as for PostgreSQL, and this reads the columns and their bound values back.
 */
function statementsInto(rows: Map<string, Record<string, unknown>>): Kysely<Database> {
  const valueOf = (query: CompiledQuery, placeholder: string) => query.parameters[Number(placeholder.slice(1)) - 1]
  const connection: DatabaseConnection = {
    async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
      const insert = /^insert into "exchanges" \(([^)]*)\) values \(([^)]*)\)$/.exec(query.sql)
      const update = /^update "exchanges" set (.*) where "id" = (\$\d+)$/.exec(query.sql)
      if (insert) {
        const columns = insert[1]!.split(', ').map((c) => c.slice(1, -1))
        const values = insert[2]!.split(', ').map((p) => valueOf(query, p))
        const row = Object.fromEntries(columns.map((c, i) => [c, values[i]]))
        rows.set(String(row.id), row)
      } else if (update) {
        const changes = Object.fromEntries(update[1]!.split(', ').map((assignment) => {
          const [column, placeholder] = assignment.split(' = ')
          return [column!.slice(1, -1), valueOf(query, placeholder!)]
        }))
        Object.assign(rows.get(String(valueOf(query, update[2]!)))!, changes)
      } else throw new Error(`not a statement the recorder sends: ${query.sql}`)
      return { rows: [] }
    },
    streamQuery: () => {
      throw new Error('the recorder streams no query')
    },
  }
  const driver: Driver = {
    init: async () => undefined,
    acquireConnection: async () => connection,
    beginTransaction: async () => undefined,
    commitTransaction: async () => undefined,
    rollbackTransaction: async () => undefined,
    releaseConnection: async () => undefined,
    destroy: async () => undefined,
  }
  return new Kysely<Database>({
    dialect: { createAdapter: () => new PostgresAdapter(), createDriver: () => driver, createIntrospector: (kdb) => new PostgresIntrospector(kdb), createQueryCompiler: () => new PostgresQueryCompiler() },
  })
}
