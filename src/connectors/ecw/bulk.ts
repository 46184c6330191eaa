/**
 * Population reads through FHIR Bulk Data, as ECW offers them to backend services
 * (CapabilityStatement: Group `export`; HL7 Bulk Data Access IG v2): one `Group/{id}/$export`
 * per pull for the patients, coverage and encounters it brings, polled until ready, its NDJSON
 * files read line by line — never a whole file in memory — and stored a chunk at a time.
 *
 * The pull's checkpoint (PullSession) holds the export while it runs (status URL, then the
 * manifest), so a retried pull picks up the same export and the file and line it had reached;
 * once the pull succeeds it holds the export's transactionTime, the next pull's `_since`.
 * Every call goes through the connection's recorded HTTP door; file bodies are recorded as a
 * summary (lines, bytes), not stored.
 */
import { createHash } from 'node:crypto'
import { z } from 'zod'
import type { Resource } from '@medplum/fhirtypes'
import type { PulledItem, PulledPage, PullResource, PullSession, ResolvedMapping } from '../connector.js'
import { ConnectorError, parseRetryAfter } from '../errors.js'
import { trimSlash, type HttpResponse } from '../http.js'
import { ecwCall, ecwStream, failure, outcomeText, type EcwContext, type EcwSettingsT } from './client.js'

/** The pull resources an export brings, and their FHIR types. */
export const EXPORTED: Partial<Record<PullResource, ExportType>> = { patient: 'Patient', insurance: 'Coverage', encounter: 'Encounter' }
export type ExportType = 'Patient' | 'Coverage' | 'Encounter'

/** NDJSON lines stored per page: one database round per chunk, memory bounded by it. */
export const LINES_PER_PAGE = 500

export interface ExportPlan {
  /** The resources this pull reads, in order (the connection's pull modules). */
  resources: readonly PullResource[]
  mapping: ResolvedMapping
  /** An exported resource as the pulled item of `resource`, or why it cannot be one (the pull's problems list says so). */
  toItem(resource: Resource): { item: PulledItem } | { problem: string }
  /** Waits between status polls (tests make it instant). */
  sleep?: (ms: number) => Promise<void>
}

/**
 * The pages of one exported resource: kick-off (or the export this pull already started), status
 * polls until the manifest, then the resource's files, LINES_PER_PAGE lines a page. The cursor is
 * `file:line` in the export's output of this type.
 */
export async function* exportPages(ctx: EcwContext, resource: PullResource, cursor: string | null, session: PullSession, plan: ExportPlan): AsyncGenerator<PulledPage> {
  const type = EXPORTED[resource]
  if (!type) throw new Error(`${resource} is not read by bulk export`)
  const sleep = plan.sleep ?? defaultSleep
  const settings = ctx.connection.settings
  const types = exportTypes(plan.resources)
  const fingerprint = fingerprintOf(ctx, types, plan.mapping)
  let state = currentCheckpoint(session.checkpoint, fingerprint)
  if (!state) {
    const previous = Checkpoint.safeParse(session.previous)
    const since = previous.success && previous.data.fingerprint === fingerprint ? previous.data.highWater : null
    state = { kind: 'ecw-bulk-export', fingerprint, since, highWater: null, export: null, restarts: 0 }
  }
  const save = (s: CheckpointT) => {
    state = s
    session.checkpoint = s as unknown as Record<string, unknown>
  }
  save(state)
  let position = parseCursor(cursor)
  let backoffMs = MIN_POLL_MS / 2

  for (;;) {
    // 1. An export of this pull, complete.
    while (!state.export?.manifest) {
      if (!state.export) {
        const statusUrl = yield* kickOff(ctx, types, state.since, sleep)
        save({ ...state, export: { statusUrl, manifest: null } })
        position = { file: 0, line: 0 }
        yield waiting(position, `ECW export started (Group ${settings.groupId}${state.since ? `, changes since ${state.since}` : ', everything'})`)
        continue
      }
      const poll = await pollStatus(ctx, state.export.statusUrl)
      if (poll.kind === 'gone') {
        save(restart(state, poll.reason))
        continue
      }
      if (poll.kind === 'wait') {
        yield waiting(position, `ECW export in progress${poll.progress ? `: ${poll.progress}` : ''}`)
        // The server's Retry-After, else an exponential back-off (IG: clients SHOULD back off).
        backoffMs = Math.min(MAX_POLL_MS, backoffMs * 2)
        await sleep(clamp(poll.retryAfterMs ?? backoffMs, MIN_POLL_MS, MAX_POLL_MS))
        continue
      }
      const transactionTime = poll.manifest.transactionTime
      save({
        ...state,
        export: { statusUrl: state.export.statusUrl, manifest: poll.manifest },
        // The next pull starts from the earliest export this pull used, so nothing changed in between is missed.
        highWater: state.highWater && Date.parse(state.highWater) < Date.parse(transactionTime) ? state.highWater : transactionTime,
      })
      yield waiting(position, `ECW export complete: ${poll.manifest.output.length} files (transactionTime ${transactionTime})`)
    }

    // 2. This type's files, from where the cursor points.
    const manifest = state.export.manifest
    const files = manifest.output.filter((o) => o.type === type)
    const total = files.every((f) => f.count !== undefined) ? files.reduce((n, f) => n + (f.count ?? 0), 0) : undefined
    let final: PulledPage | null = null
    let lost: string | null = null
    for (let f = position.file; f < files.length && !lost; f++) {
      const file = files[f]!
      const skip = f === position.file ? position.line : 0
      let line = 0
      let items: PulledItem[] = []
      let problems: NonNullable<PulledPage['problems']> = []
      // A full page is held until the next line arrives, so a file's last page carries the file's end.
      let held: PulledPage | null = null
      const opened = await openFile(ctx, file.url, manifest.requiresAccessToken, `pull ${type}`)
      if (opened.kind === 'gone') {
        lost = opened.reason
        break
      }
      for await (const text of opened.lines) {
        line += 1
        if (line <= skip) continue
        if (held) {
          // Stored (and the cursor saved) while the download waits.
          yield held
          held = null
        }
        const taken = takeLine(text, type, plan.toItem, `${type} file ${f + 1}, line ${line}`)
        if ('item' in taken) items.push(taken.item)
        else problems.push(taken.problem)
        if (items.length + problems.length >= LINES_PER_PAGE) {
          held = page(items, problems, `${f}:${line}`, total, `reading ${type} file ${f + 1} of ${files.length}`)
          items = []
          problems = []
        }
      }
      if (lost) break
      const status = `read ${type} file ${f + 1} of ${files.length}`
      let rest: PulledPage
      if (held && items.length + problems.length === 0) rest = { ...held, next: `${f + 1}:0`, status }
      else {
        if (held) yield held
        rest = page(items, problems, `${f + 1}:0`, total, status)
      }
      if (f === files.length - 1) final = rest
      else if (rest.items.length > 0 || rest.problems) yield rest
    }
    if (lost) {
      // The export's files are gone (expired or deleted): export again and read this type from its start.
      save(restart(state, lost))
      position = { file: 0, line: 0 }
      continue
    }

    // 3. The last exported resource of the pull reads the export's messages and lets ECW drop the files.
    const lastExported = plan.resources.filter((r) => EXPORTED[r]).at(-1) === resource
    const messages = lastExported ? await readErrorFiles(ctx, manifest) : []
    if (lastExported) await deleteExport(ctx, state.export.statusUrl)
    const end = final ?? page([], [], null, total, files.length > 0 ? `read ${files.length} ${type} files` : `no ${type} in this export`)
    const problems = [...(end.problems ?? []), ...messages]
    yield { ...end, next: null, ...(problems.length > 0 ? { problems } : {}) }
    return
  }
}

/** The FHIR types an export of these pull resources asks for (`_type`). */
export function exportTypes(resources: readonly PullResource[]): ExportType[] {
  return resources.map((r) => EXPORTED[r]).filter((t): t is ExportType => t !== undefined)
}

/**
 * Whether the connection's group can be exported: a kick-off for the patients changed from now
 * on (next to nothing to prepare), cancelled at once. Null when it can; else why not.
 */
export async function checkExportGroup(ctx: EcwContext, types: ExportType[]): Promise<{ code: string; message: string } | null> {
  const url = kickOffUrl(ctx, types, ctx.now().toISOString())
  const response = await ecwCall(ctx, { operation: 'test export', method: 'GET', url, headers: KICKOFF_HEADERS })
  if (response.status === 202) {
    const statusUrl = contentLocation(ctx, response)
    if (statusUrl) await deleteExport(ctx, statusUrl)
    return null
  }
  // An export of this client is still running: the group was accepted.
  if (response.status === 429 && response.headers.get('retry-after')) return null
  const refused = kickOffRefusal(ctx, response)
  return { code: refused.code, message: refused.message }
}

// ---------------------------------------------------------------------------------------------
// Checkpoint and cursor

const OutputFile = z.object({ type: z.string(), url: z.string().min(1), count: z.number().int().nonnegative().optional() })
/** The completion manifest (IG "Response - Complete Status"); only what the hub uses is kept. */
const Manifest = z.object({
  transactionTime: z.string().refine((v) => !Number.isNaN(Date.parse(v)), 'must be a FHIR instant'),
  requiresAccessToken: z.boolean(),
  output: z.array(OutputFile),
  error: z.array(OutputFile).default([]),
})
type ManifestT = z.output<typeof Manifest>

const Checkpoint = z.object({
  kind: z.literal('ecw-bulk-export'),
  /** What the export depends on (practice, group, types, import rule, mapping): a change means a full export. */
  fingerprint: z.string(),
  /** `_since` of this pull's exports (null: everything). */
  since: z.string().nullable(),
  /** The earliest transactionTime of this pull's exports: the next pull's `_since`. */
  highWater: z.string().nullable(),
  export: z.object({ statusUrl: z.string(), manifest: Manifest.nullable() }).nullable(),
  /** Exports started again in this pull because the previous one was gone. */
  restarts: z.number().int().nonnegative(),
})
type CheckpointT = z.output<typeof Checkpoint>

/** How many times one pull starts its export again (files expired or deleted under it) before it gives up. */
const MAX_RESTARTS = 2

function currentCheckpoint(value: unknown, fingerprint: string): CheckpointT | null {
  const parsed = Checkpoint.safeParse(value)
  return parsed.success && parsed.data.fingerprint === fingerprint ? parsed.data : null
}

function restart(state: CheckpointT, reason: string): CheckpointT {
  if (state.restarts >= MAX_RESTARTS) {
    throw new ConnectorError({ code: 'export_lost', message: `ECW's export was lost ${state.restarts + 1} times in one pull (${reason}); the pull will try again`, retryable: true })
  }
  return { ...state, export: null, restarts: state.restarts + 1 }
}

function fingerprintOf(ctx: EcwContext, types: ExportType[], mapping: ResolvedMapping): string {
  const s: EcwSettingsT = ctx.connection.settings
  const basis = JSON.stringify([trimSlash(ctx.connection.baseUrl), s.groupId, types, s.importNewPatients, s.identifierSystem, mapping])
  return createHash('sha256').update(basis).digest('hex').slice(0, 32)
}

function parseCursor(cursor: string | null): { file: number; line: number } {
  const match = /^(\d+):(\d+)$/.exec(cursor ?? '')
  return match ? { file: Number(match[1]), line: Number(match[2]) } : { file: 0, line: 0 }
}

// ---------------------------------------------------------------------------------------------
// Kick-off, status, delete

const KICKOFF_HEADERS = { accept: 'application/fhir+json', prefer: 'respond-async' }
/** Waits on an earlier export of this client (kick-off 429) at most this many times per pull. */
const MAX_KICKOFF_WAITS = 30
/** Bounds on the wait between status polls: the server's Retry-After, else backing off from 1 s. */
const MIN_POLL_MS = 1_000
const MAX_POLL_MS = 10 * 60_000

function kickOffUrl(ctx: EcwContext, types: ExportType[], since: string | null): string {
  const query = new URLSearchParams({ _type: types.join(',') })
  if (since) query.set('_since', since)
  return `${trimSlash(ctx.connection.baseUrl)}/Group/${encodeURIComponent(ctx.connection.settings.groupId)}/$export?${query.toString().replace(/%2C/g, ',')}`
}

/** Starts an export; yields status pages while an earlier export of this client holds the server (429). Returns the status URL. */
async function* kickOff(ctx: EcwContext, types: ExportType[], since: string | null, sleep: (ms: number) => Promise<void>): AsyncGenerator<PulledPage, string> {
  for (let waits = 0; ; waits++) {
    const response = await ecwCall(ctx, { operation: 'export kick-off', method: 'GET', url: kickOffUrl(ctx, types, since), headers: KICKOFF_HEADERS })
    if (response.status === 202) {
      const statusUrl = contentLocation(ctx, response)
      if (!statusUrl) throw new ConnectorError({ code: 'export_no_status_url', message: 'ECW accepted the export (202) without a Content-Location to poll', retryable: true, httpStatus: 202, details: { exchangeId: response.exchangeId } })
      return statusUrl
    }
    const retryAfter = response.status === 429 ? parseRetryAfter(response.headers.get('retry-after')) : undefined
    if (retryAfter === undefined || waits >= MAX_KICKOFF_WAITS) throw kickOffRefusal(ctx, response)
    yield waiting({ file: 0, line: 0 }, `waiting for an earlier ECW export of this client to finish (${outcomeText(response) ?? '429'})`)
    await sleep(clamp(retryAfter, MIN_POLL_MS, MAX_POLL_MS))
  }
}

function kickOffRefusal(ctx: EcwContext, response: HttpResponse): ConnectorError {
  const groupId = ctx.connection.settings.groupId
  const text = outcomeText(response) ?? `HTTP ${response.status}`
  if (response.status === 401) {
    // ECW answers 401 both for a bad token and for a group it does not know or allow; the token was just renewed.
    return new ConnectorError({
      code: 'export_group_refused',
      message: `ECW refused the bulk export of Group ${groupId} (401: ${text}): the group id is invalid or not authorized for this client — set the connection's groupId to the group ECW set up for it`,
      retryable: false,
      httpStatus: 401,
      details: { exchangeId: response.exchangeId },
    })
  }
  if (response.status === 403) {
    return new ConnectorError({ code: 'scope_refused', message: `ECW refused the bulk export with the granted scopes (403: ${text}): request read scopes for Patient, Coverage and Encounter`, retryable: false, httpStatus: 403, details: { exchangeId: response.exchangeId } })
  }
  return failure(response, 'export kick-off')
}

type Poll = { kind: 'wait'; retryAfterMs: number | undefined; progress: string | null } | { kind: 'done'; manifest: ManifestT } | { kind: 'gone'; reason: string }

async function pollStatus(ctx: EcwContext, statusUrl: string): Promise<Poll> {
  requireSameOrigin(ctx, statusUrl, 'status URL')
  const response = await ecwCall(ctx, { operation: 'export status', method: 'GET', url: statusUrl, headers: { accept: 'application/json' } })
  const retryAfter = parseRetryAfter(response.headers.get('retry-after'))
  // 429 with Retry-After: polled too soon (ECW's rate-limit 429 has no Retry-After and fails below).
  if (response.status === 202 || (response.status === 429 && retryAfter !== undefined)) {
    return { kind: 'wait', retryAfterMs: retryAfter, progress: response.headers.get('x-progress') }
  }
  if (response.status === 404 || response.status === 410) return { kind: 'gone', reason: `status ${response.status}: ${outcomeText(response) ?? 'export not found'}` }
  if (response.status !== 200) throw failure(response, 'export status')
  const manifest = Manifest.safeParse(response.json)
  if (!manifest.success) {
    const issue = manifest.error.issues[0]!
    throw new ConnectorError({
      code: 'export_manifest_invalid',
      message: `ECW's export manifest is not readable: ${issue.path.join('.') || 'body'} ${issue.message}`,
      retryable: false,
      httpStatus: 200,
      details: { exchangeId: response.exchangeId },
    })
  }
  const resolved = {
    ...manifest.data,
    output: manifest.data.output.map((o) => ({ ...o, url: new URL(o.url, statusUrl).toString() })),
    error: manifest.data.error.map((o) => ({ ...o, url: new URL(o.url, statusUrl).toString() })),
  }
  return { kind: 'done', manifest: resolved }
}

/** Tells ECW the files may go (IG: DELETE on the status URL); a refusal is logged and does not fail the pull. */
async function deleteExport(ctx: EcwContext, statusUrl: string): Promise<void> {
  requireSameOrigin(ctx, statusUrl, 'status URL')
  await ecwCall(ctx, { operation: 'export delete', method: 'DELETE', url: statusUrl })
}

function contentLocation(ctx: EcwContext, response: HttpResponse): string | null {
  const location = response.headers.get('content-location')
  return location ? new URL(location, `${trimSlash(ctx.connection.baseUrl)}/`).toString() : null
}

// ---------------------------------------------------------------------------------------------
// Files

/**
 * A file's lines, streamed; `gone` when the server no longer has it (404/410). The response's own
 * lines, not a generator of ours around them: one more async generator a line was a few promises
 * and an object per record of a pull.
 */
async function openFile(ctx: EcwContext, url: string, requiresAccessToken: boolean, operation: string): Promise<{ kind: 'lines'; lines: AsyncIterable<string> } | { kind: 'gone'; reason: string }> {
  if (requiresAccessToken) requireSameOrigin(ctx, url, 'file URL')
  const response = await ecwStream(ctx, { operation, url, withToken: requiresAccessToken, accept: 'application/fhir+ndjson' })
  if (response.status === 404 || response.status === 410) return { kind: 'gone', reason: `file ${response.status}: ${outcomeText(response) ?? url}` }
  if (response.status !== 200) throw failure(response, operation)
  return { kind: 'lines', lines: response.lines }
}

/**
 * A line's resource type and id, or null when it is not a FHIR resource with an id. A plain look
 * at two properties, not a schema: the connector's own zod schema reads the whole resource next
 * (toItem), and a second, passthrough schema here copied every line's object once more — a
 * line's largest cost after JSON.parse itself.
 */
function resourceHead(json: unknown): { resourceType: string; id: string } | null {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return null
  const { resourceType, id } = json as { resourceType?: unknown; id?: unknown }
  return typeof resourceType === 'string' && typeof id === 'string' && id.length > 0 ? { resourceType, id } : null
}

export function takeLine(text: string, type: ExportType, toItem: ExportPlan['toItem'], where: string): { item: PulledItem } | { problem: { externalId: string; message: string } } {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return { problem: { externalId: where, message: `not imported: ${where} is not JSON` } }
  }
  const head = resourceHead(json)
  if (!head) return { problem: { externalId: where, message: `not imported: ${where} is not a FHIR resource with an id` } }
  if (head.resourceType !== type) return { problem: { externalId: head.id, message: `not imported: ${where} is a ${head.resourceType}, not a ${type}` } }
  const read = toItem(json as Resource)
  return 'item' in read ? read : { problem: { externalId: head.id, message: `not imported: ${type}/${head.id}: ${read.problem}` } }
}

/** The export's messages (OperationOutcomes in the error[] files), as pull problems; the first 100 are kept. */
async function readErrorFiles(ctx: EcwContext, manifest: ManifestT): Promise<{ externalId: string; message: string }[]> {
  const problems: { externalId: string; message: string }[] = []
  let more = 0
  for (const file of manifest.error) {
    const opened = await openFile(ctx, file.url, manifest.requiresAccessToken, 'export messages')
    if (opened.kind === 'gone') continue
    for await (const text of opened.lines) {
      let outcome: { issue?: { severity?: string; diagnostics?: string; details?: { text?: string }; expression?: string[] }[] } | undefined
      try {
        outcome = JSON.parse(text)
      } catch {
        outcome = undefined
      }
      for (const issue of outcome?.issue ?? [{ diagnostics: text.slice(0, 200) }]) {
        if (problems.length >= 100) {
          more += 1
          continue
        }
        problems.push({ externalId: issue.expression?.[0] ?? 'export', message: `ECW export ${issue.severity ?? 'message'}: ${issue.diagnostics ?? issue.details?.text ?? 'no text'}` })
      }
    }
  }
  if (more > 0) problems.push({ externalId: 'export', message: `…and ${more} more ECW export messages` })
  return problems
}

/** The token goes only to the practice's own origin (a leaked token is a breach). */
function requireSameOrigin(ctx: EcwContext, url: string, what: string): void {
  const expected = new URL(ctx.connection.baseUrl).origin
  const actual = new URL(url).origin
  if (actual !== expected) {
    throw new ConnectorError({
      code: 'foreign_host',
      message: `ECW's export ${what} points to ${actual}, not the practice's ${expected}: the hub does not send its access token there`,
      retryable: false,
      details: { url },
    })
  }
}

// ---------------------------------------------------------------------------------------------

function page(items: PulledItem[], problems: NonNullable<PulledPage['problems']>, next: string | null, total: number | undefined, status: string): PulledPage {
  return { items, next, ...(total !== undefined ? { total } : {}), status, ...(problems.length > 0 ? { problems } : {}) }
}

/** A page with nothing to store that keeps the pull going (and its progress saved). */
function waiting(position: { file: number; line: number }, status: string): PulledPage {
  return { items: [], next: `${position.file}:${position.line}`, status }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value))
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
