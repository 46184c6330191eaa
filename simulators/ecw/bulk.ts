/**
 * FHIR Bulk Data export as ECW publishes it (CapabilityStatement: Group `export`; Error Code
 * Reference Guide: bulk export statuses), filled in from the HL7 Bulk Data Access IG v2
 * (https://hl7.org/fhir/uv/bulkdata/STU2/export.html) where ECW is silent:
 *   GET  {base}/Group/{id}/$export   kick-off (Prefer: respond-async) → 202 + Content-Location
 *   GET  {base}/bulkstatus/{job}     202 + X-Progress + Retry-After, then 200 + manifest
 *   DELETE {base}/bulkstatus/{job}   cancel / forget → 202; afterwards 404
 *   GET  {base}/bulkfiles/{job}/{f}  NDJSON, bearer token required
 * The export selects resources at kick-off (ids only) and streams each file from the store when
 * it is downloaded, so 100,000 patients never sit in memory as NDJSON. Choices the IG leaves open
 * are in inferred.ts (Bulk Data section).
 */
import { randomUUID } from 'node:crypto'
import { Readable } from 'node:stream'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { OperationOutcome } from '@medplum/fhirtypes'
import { scopesAllow, type AccessToken } from './auth.js'
import type { FhirStore } from './fhir.js'
import {
  BULK_EXPORT_MS,
  BULK_EXPORT_TYPES,
  BULK_FILE_TTL_MS,
  BULK_KICKOFF_PARAMS,
  BULK_RESOURCES_PER_FILE,
  BULK_RETRY_AFTER_SECONDS,
  BULK_RUNNING_PER_CLIENT,
  DEFAULT_BULK_GROUP_ID,
  RECORDS_BULK_JOB_LIMIT,
} from './inferred.js'
import { fhirError, operationOutcome } from './outcome.js'

export interface BulkOptions {
  /** The Group id every practice exports (all its patients). Default `all-patients`. */
  groupId?: string
  /** Kick-off to ready, in ms (X-Progress is the share elapsed). Default 2000. */
  exportMs?: number
  /** Retry-After on an in-progress status answer, in seconds. Default 1. */
  retryAfterSeconds?: number
  /** Resources per NDJSON file. Default 10,000. */
  resourcesPerFile?: number
}

/** What the export routes need from the server around them. */
export interface BulkHost {
  /** Clock (ms) for progress, Retry-After pacing and expiry. */
  now(): number
  /** The request's practice code and store (the practice gate has already answered unknown codes). */
  practice(request: FastifyRequest): { code: string; store: FhirStore }
  /** The bearer token of the request, or a thrown 401 FhirHttpError. */
  authenticate(request: FastifyRequest): AccessToken
  /** The FHIR base the client used, e.g. http://127.0.0.1:1234/fhir/r4/FFBJCD. */
  baseOf(request: FastifyRequest): string
  sendFhir(reply: FastifyReply, status: number, body: unknown): FastifyReply
}

export interface BulkExports {
  /** The export jobs of a practice, newest last, for /_sim/records. */
  records(practice: string): unknown[]
  reset(): void
}

type ExportType = (typeof BULK_EXPORT_TYPES)[number]

interface ExportFile {
  type: ExportType
  name: string
  ids: string[]
}

interface ExportJob {
  id: string
  practice: string
  clientId: string
  request: string
  base: string
  types: ExportType[]
  since: string | null
  /** Kick-off instant (ms and FHIR instant): nothing updated later is exported. */
  transactionMs: number
  transactionTime: string
  createdAt: number
  readyAt: number
  /** Earliest time the next in-progress poll is welcome. */
  nextPollAt: number
  polls: number
  downloads: number
  files: ExportFile[]
  /** Lenient-mode notes (ignored parameters), served as the error[] file. */
  messages: OperationOutcome[]
  deletedAt: number | null
}

export function installBulkExport(app: FastifyInstance, host: BulkHost, options: BulkOptions = {}): BulkExports {
  const groupId = options.groupId ?? DEFAULT_BULK_GROUP_ID
  const exportMs = options.exportMs ?? BULK_EXPORT_MS
  const retryAfter = options.retryAfterSeconds ?? BULK_RETRY_AFTER_SECONDS
  const perFile = options.resourcesPerFile ?? BULK_RESOURCES_PER_FILE
  /** Jobs per practice, oldest first. */
  const jobs = new Map<string, ExportJob[]>()

  const jobsOf = (practice: string): ExportJob[] => {
    let list = jobs.get(practice)
    if (!list) jobs.set(practice, (list = []))
    return list
  }
  const expired = (job: ExportJob, now: number): boolean => job.readyAt + BULK_FILE_TTL_MS <= now
  const running = (job: ExportJob, now: number): boolean => job.deletedAt === null && now < job.readyAt

  /** The caller's live job, or 404 (unknown, deleted, expired, or another client's). */
  const findJob = (request: FastifyRequest, token: AccessToken): ExportJob => {
    const { code } = host.practice(request)
    const id = (request.params as { job: string }).job
    const job = jobsOf(code).find((j) => j.id === id)
    if (!job || job.deletedAt !== null || job.clientId !== token.clientId || expired(job, host.now())) {
      throw fhirError(404, 'not-found', `Export job ${id} not found (invalid, deleted or expired job id)`)
    }
    return job
  }
  const requireRead = (token: AccessToken, types: readonly string[]): void => {
    const refused = types.filter((type) => !scopesAllow(token.scopes, type, 'read'))
    if (refused.length > 0) {
      throw fhirError(403, 'forbidden', `The access token does not allow reading ${refused.join(', ')} (needs ${refused.map((t) => `system/${t}.read or system/${t}.r`).join('; ')})`)
    }
  }

  // Kick-off
  app.get('/fhir/r4/:practice/Group/:group/$export', async (request, reply) => {
    const { code, store } = host.practice(request)
    const token = host.authenticate(request)
    const prefer = preferences(request.headers.prefer)
    if (!prefer.includes('respond-async')) {
      throw fhirError(400, 'invalid', 'The export is asynchronous only: send the header Prefer: respond-async')
    }
    const lenient = prefer.includes('handling=lenient')
    const accept = mediaTypes(request.headers.accept)
    if (accept.length > 0 && !accept.some((a) => ['application/fhir+json', 'application/json', '*/*'].includes(a))) {
      throw fhirError(400, 'invalid', `Accept ${request.headers.accept} is not supported for the kick-off: use application/fhir+json`)
    }
    const group = (request.params as { group: string }).group
    if (group !== groupId) {
      // ECW: "401 … the group id is invalid/unauthorized".
      throw fhirError(401, 'security', `Group ${group} is invalid or not authorized for this client`)
    }

    const query = new URLSearchParams(request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '')
    const messages: OperationOutcome[] = []
    const typeValues: string[] = []
    let since: string | null = null
    const seen = new Set<string>()
    for (const [key, value] of query) {
      if (key === '_type') {
        typeValues.push(...value.split(',').map((t) => t.trim()))
        continue
      }
      if (seen.has(key)) throw fhirError(400, 'invalid', `Parameter ${key} is repeated`)
      seen.add(key)
      if (key === '_since') {
        if (!isInstant(value)) throw fhirError(400, 'invalid', `_since must be a FHIR instant with a time zone (e.g. 2026-01-01T00:00:00Z), not "${value}"`)
        since = value
      } else if (key === '_outputFormat') {
        if (!['application/fhir+ndjson', 'application/ndjson', 'ndjson'].includes(value)) {
          throw fhirError(400, 'not-supported', `_outputFormat ${value} is not supported: only application/fhir+ndjson`)
        }
      } else if (lenient) {
        messages.push(operationOutcome('not-supported', `Parameter ${key} is not supported and was ignored (Prefer: handling=lenient)`, { severity: 'warning' }))
      } else {
        throw fhirError(400, 'not-supported', `Parameter ${key} is not supported for the export (supported: ${BULK_KICKOFF_PARAMS.join(', ')}); send Prefer: handling=lenient to have it ignored`)
      }
    }
    let types: ExportType[]
    if (typeValues.length > 0) {
      const unknown = typeValues.filter((t) => !(BULK_EXPORT_TYPES as readonly string[]).includes(t))
      if (unknown.length > 0) {
        throw fhirError(400, 'not-supported', `_type ${unknown.map((t) => t || '(empty)').join(', ')} cannot be exported (exportable: ${BULK_EXPORT_TYPES.join(', ')})`)
      }
      types = [...new Set(typeValues)] as ExportType[]
      requireRead(token, types)
    } else {
      types = BULK_EXPORT_TYPES.filter((t) => scopesAllow(token.scopes, t, 'read'))
      if (types.length === 0) requireRead(token, BULK_EXPORT_TYPES)
    }

    const now = host.now()
    const busy = jobsOf(code).filter((j) => j.clientId === token.clientId && running(j, now))
    if (busy.length >= BULK_RUNNING_PER_CLIENT) {
      const wait = Math.max(1, Math.ceil((Math.min(...busy.map((j) => j.readyAt)) - now) / 1000))
      void reply.header('retry-after', String(wait))
      throw fhirError(429, 'throttled', `An export of this client is still in progress (${busy.map((j) => j.id).join(', ')}); start another when it completes`)
    }

    // The selection is fixed now: resources last updated after _since, up to this instant. The
    // store stamps meta.lastUpdated with the wall clock, so this instant is taken from it too.
    const transactionMs = Date.now()
    const sinceMs = since === null ? undefined : Date.parse(since)
    const id = randomUUID()
    const files: ExportFile[] = []
    for (const type of types) {
      const ids = store.updatedBetween(type, sinceMs, transactionMs)
      for (let start = 0, n = 1; start < ids.length; start += perFile, n++) files.push({ type, name: `${type}-${n}.ndjson`, ids: ids.slice(start, start + perFile) })
    }
    const base = host.baseOf(request)
    const job: ExportJob = {
      id,
      practice: code,
      clientId: token.clientId,
      request: `${base}/Group/${group}/$export${request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : ''}`,
      base,
      types,
      since,
      transactionMs,
      transactionTime: new Date(transactionMs).toISOString(),
      createdAt: now,
      readyAt: now + exportMs,
      nextPollAt: now,
      polls: 0,
      downloads: 0,
      files,
      messages,
      deletedAt: null,
    }
    const list = jobsOf(code)
    list.push(job)
    if (list.length > RECORDS_BULK_JOB_LIMIT) list.splice(0, list.length - RECORDS_BULK_JOB_LIMIT)
    void reply.header('content-location', `${base}/bulkstatus/${id}`)
    return host.sendFhir(reply, 202, operationOutcome('informational', `Export ${id} accepted: poll the Content-Location`, { severity: 'information' }))
  })

  // Status
  app.get('/fhir/r4/:practice/bulkstatus/:job', async (request, reply) => {
    const token = host.authenticate(request)
    const job = findJob(request, token)
    requireRead(token, job.types)
    const now = host.now()
    if (now < job.readyAt) {
      if (now < job.nextPollAt - POLL_TOLERANCE_MS) {
        void reply.header('retry-after', String(Math.max(1, Math.ceil((job.nextPollAt - now) / 1000))))
        throw fhirError(429, 'throttled', `Polled before the Retry-After given: wait ${retryAfter} s between status requests`)
      }
      job.polls += 1
      job.nextPollAt = now + retryAfter * 1000
      const percent = Math.min(99, Math.floor(((now - job.createdAt) / Math.max(1, job.readyAt - job.createdAt)) * 100))
      return reply.code(202).header('x-progress', `${percent}% complete`).header('retry-after', String(retryAfter)).send()
    }
    job.polls += 1
    const manifest = {
      transactionTime: job.transactionTime,
      request: job.request,
      requiresAccessToken: true,
      output: job.files.map((f) => ({ type: f.type, url: `${job.base}/bulkfiles/${job.id}/${f.name}`, count: f.ids.length })),
      error: job.messages.length > 0 ? [{ type: 'OperationOutcome', url: `${job.base}/bulkfiles/${job.id}/${ERROR_FILE}` }] : [],
    }
    return reply
      .code(200)
      .header('content-type', 'application/json; charset=utf-8')
      .header('expires', new Date(job.readyAt + BULK_FILE_TTL_MS).toUTCString())
      .send(JSON.stringify(manifest))
  })

  // Cancel / done with the files
  app.delete('/fhir/r4/:practice/bulkstatus/:job', async (request, reply) => {
    const token = host.authenticate(request)
    const job = findJob(request, token)
    job.deletedAt = host.now()
    job.files = job.files.map((f) => ({ ...f, ids: [] }))
    return host.sendFhir(reply, 202, operationOutcome('informational', `Export ${job.id} deleted`, { severity: 'information' }))
  })

  // Files
  app.get('/fhir/r4/:practice/bulkfiles/:job/:file', async (request, reply) => {
    const { store } = host.practice(request)
    const token = host.authenticate(request)
    const job = findJob(request, token)
    const name = (request.params as { file: string }).file
    if (host.now() < job.readyAt) throw fhirError(404, 'not-found', `Export ${job.id} is not complete yet: no files`)
    if (name === ERROR_FILE && job.messages.length > 0) {
      job.downloads += 1
      return reply.header('content-type', NDJSON).send(job.messages.map((m) => JSON.stringify(m)).join('\n') + '\n')
    }
    const file = job.files.find((f) => f.name === name)
    if (!file) throw fhirError(404, 'not-found', `File ${name} is not part of export ${job.id}`)
    requireRead(token, [file.type])
    job.downloads += 1
    return reply.header('content-type', NDJSON).send(Readable.from(ndjson(store, file, job.transactionMs)))
  })

  return {
    records(practice) {
      const now = host.now()
      return (jobs.get(practice) ?? []).map((job) => ({
        id: job.id,
        clientId: job.clientId,
        request: job.request,
        types: job.types,
        since: job.since,
        transactionTime: job.transactionTime,
        state: job.deletedAt !== null ? 'deleted' : expired(job, now) ? 'expired' : now < job.readyAt ? 'in-progress' : 'complete',
        files: job.files.map((f) => ({ name: f.name, type: f.type, count: f.ids.length })),
        polls: job.polls,
        downloads: job.downloads,
        createdAt: new Date(job.createdAt).toISOString(),
        deletedAt: job.deletedAt === null ? null : new Date(job.deletedAt).toISOString(),
      }))
    },
    reset() {
      jobs.clear()
    },
  }
}

// ---------------------------------------------------------------------------------------------

const NDJSON = 'application/fhir+ndjson'
const ERROR_FILE = 'errors.ndjson'
/** A poll this much before the Retry-After given is still welcome (timer granularity). */
const POLL_TOLERANCE_MS = 50
/** Lines are sent in chunks of about this many characters. */
const CHUNK_CHARS = 64 * 1024

/** The file's resources as they stood at the export's transactionTime, one JSON per line, read from the store as the client downloads. */
async function* ndjson(store: FhirStore, file: ExportFile, transactionMs: number): AsyncGenerator<string> {
  let chunk = ''
  for (const id of file.ids) {
    const resource = await store.readAsOf(file.type, id, transactionMs)
    if (!resource) continue
    chunk += `${JSON.stringify(resource)}\n`
    if (chunk.length >= CHUNK_CHARS) {
      yield chunk
      chunk = ''
    }
  }
  if (chunk) yield chunk
}

/** The media types of an Accept header, lower-cased, without parameters (q=…). */
function mediaTypes(header: string | string[] | undefined): string[] {
  const raw = Array.isArray(header) ? header.join(',') : (header ?? '')
  return raw
    .split(',')
    .map((v) => v.split(';')[0]!.trim().toLowerCase())
    .filter((v) => v !== '')
}

/** The preferences of Prefer headers (RFC 7240), e.g. ['respond-async', 'handling=lenient'], whether sent with ',' or ';'. */
function preferences(header: string | string[] | undefined): string[] {
  const raw = Array.isArray(header) ? header.join(',') : (header ?? '')
  return raw
    .split(/[,;]/)
    .map((v) => v.trim().toLowerCase().replace(/\s*=\s*/, '='))
    .filter((v) => v !== '')
}

/** A FHIR instant: date, time to the second and a time zone. */
function isInstant(value: string): boolean {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/.test(value) && !Number.isNaN(Date.parse(value))
}
