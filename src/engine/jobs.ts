import { newId } from '../db/ids.js'
import { sql, type QueryCreator, type RawBuilder, type Selectable, type Updateable } from 'kysely'
import type { DbOrTx } from '../db/database.js'
import type { Database, SyncJobState } from '../db/schema.js'
import { jobsDue } from '../db/queue.js'
import type { FlowProgress } from '../connectors/connector.js'
import { exchangesWrite, type ExchangeRow } from '../exchanges/held.js'
import { eventWrites, type EventInput } from '../events/emit.js'

export type SyncJobRow = Selectable<Database['sync_jobs']>
export type JobKind = 'push_patient' | 'push_referral' | 'pull' | 'pull_record' | 'deliver_event'

/**
 * Sync jobs: the engine's record of each piece of work (state, attempts, step progress, last
 * error) and the queue itself — workers take due rows (claimNextJob), so a retry or a crash never
 * loses what a job had already done. The insert also wakes the workers (delivered at commit).
 */
export async function enqueueJob(
  trx: DbOrTx,
  job: { organizationId: string; connectionId: string | null; kind: JobKind; recordType: string | null; recordId: string | null; replayOf?: string; input?: Record<string, unknown> | null },
): Promise<{ id: string; coalesced: boolean }> {
  if (job.recordId && job.connectionId && !job.replayOf) {
    // A queued push reads the record when it runs, so one waiting job serves every later change.
    const waiting = await trx
      .selectFrom('sync_jobs')
      // The wake-up again: a worker's fetch skips the row while this change holds it, and finds it once the change commits.
      .select(['id', jobsDue().as('woken')])
      .where('connection_id', '=', job.connectionId)
      .where('record_type', '=', job.recordType)
      .where('record_id', '=', job.recordId)
      .where('kind', '=', job.kind)
      .where('state', '=', 'queued')
      // Locked until this change commits: a worker cannot claim the job and read the record before it.
      .forUpdate()
      .executeTakeFirst()
    if (waiting) return { id: waiting.id, coalesced: true }
  }
  const id = newId()
  await trx
    .with('queued', (qb) =>
      qb
        .insertInto('sync_jobs')
        .values({
          id,
          organization_id: job.organizationId,
          connection_id: job.connectionId,
          kind: job.kind,
          record_type: job.recordType,
          record_id: job.recordId,
          state: 'queued',
          steps: JSON.stringify(emptyProgress()),
          replay_of: job.replayOf ?? null,
          input: job.input ? JSON.stringify(job.input) : null,
        })
        .returning('id'),
    )
    .selectFrom('queued')
    .select(jobsDue().as('woken'))
    .execute()
  return { id, coalesced: false }
}

export interface NewRecordPushes {
  /** The connectors that take the record: the statement's `targets` are the enabled connections of these. */
  connectors: readonly string[]
  /** Built when first read: a create whose statement leaves the pushes out never builds them. */
  readonly ctes: RawBuilder<unknown>
  readonly pushedLinksColumn: RawBuilder<unknown>
}

/**
 * The pushes of a record made by the same statement, as CTEs to add to it: for each connection
 * of the CTE `targets` (id, connector, created_at: the record's enabled connections whose
 * connector is one of `connectors`, which the statement selects), and the record of the CTE
 * `created` (id; none, no pushes), a `pending` link, a queued sync job, and the
 * wake-up's `pg_notify` (delivered on commit only). The statement is
 * the whole change, atomic by itself: no BEGIN/COMMIT, no round trip inside a transaction — on
 * the embedded database an open transaction holds the one PGlite backend from every other
 * client. No coalescing look-up: a record this statement made has no job anyone could have
 * queued, nor a link (a duplicate would fail the statement, never be skipped).
 * `enqueueJob` with `ensureLink` spent six statements per connection on the same, and a
 * transaction around them.
 *
 * The statement must select `pushedLinksColumn` (its links as the API shows them, in the order of
 * the connections' creation) — which also makes the notify run. `sender` is the notification's
 * payload: the listener of the process that sent it skips it (src/engine/wakeUp.ts), so the
 * caller wakes its own workers once the statement returns.
 */
export function newRecordPushes(record: { organizationId: string; kind: 'push_patient' | 'push_referral'; recordType: string; sender: string }, connectors: readonly string[]): NewRecordPushes {
  return {
    connectors,
    get ctes() {
      return sql`
    push_targets as (
      select t.id as connection_id, t.connector, t.created_at, c.id as record_id, carebridge_uuidv7() as link_id, carebridge_uuidv7() as job_id
      from targets t cross join created c
    ),
    pushed_links as (
      insert into links (id, organization_id, record_type, record_id, connection_id, connector, state)
      select link_id, ${record.organizationId}::uuid, ${record.recordType}::text, record_id, connection_id, connector, 'pending' from push_targets
      returning *
    ),
    push_jobs as (
      insert into sync_jobs (id, organization_id, connection_id, kind, record_type, record_id, state, steps)
      select job_id, ${record.organizationId}::uuid, connection_id, ${record.kind}::text, ${record.recordType}::text, record_id, 'queued', ${JSON.stringify(emptyProgress())}::jsonb from push_targets
      returning id
    ),
    push_announced as (select ${jobsDue(record.sender)} where exists (select 1 from push_jobs))`
    },
    get pushedLinksColumn() {
      return sql`(
      select coalesce(jsonb_agg(jsonb_build_object('connector', l.connector, 'connectionId', l.connection_id, 'externalId', l.external_id, 'mrn', l.external_mrn,
        'state', l.state, 'message', l.message, 'lastSyncedAt', l.last_synced_at, 'syncedVersion', l.synced_version) order by t.created_at, t.connection_id), '[]'::jsonb)
      from pushed_links l join push_targets t on t.link_id = l.id cross join (select count(*) from push_announced) as sent
    )`
    },
  }
}

/**
 * How long a running job's lease must have been over before another worker takes the job over
 * (migration 20261201_0430_orphan_grace): time for the last holder's call in flight to end and for
 * a starved process's late renewal, so that two attempts of a job rarely overlap at the EMR. Not a
 * guarantee (a call may last the HTTP timeout, 15 s by default): what makes a repeat harmless is
 * the attempt fence and a started step's look-up before it repeats a create.
 */
export const ORPHAN_GRACE_SECONDS = 10

/** A job this worker took; `connectionVersion` is the connection row's version (xmin) as the claim saw it: a cached load of it is current while this matches. */
export interface ClaimedJob {
  job: SyncJobRow
  connectionVersion: string | null
}

/**
 * Takes the next due job for this worker until the lease runs out, or null when none is due. One
 * statement (migrations 20261201_0400_sync_jobs_queue, 20261201_0430_orphan_grace, 20261201_0700_busy_record_grace): the first due job no other fetch holds
 * (SKIP LOCKED), the record's lock — jobs of one record on one connection run one at a time (two
 * concurrent creates would make two patients), a lapsed holder counting as running through the orphan grace — and the guarded update; a job whose record is
 * busy waits a second and the next one is tried. The statement also notes the connection's
 * version for the runner's cache. It replaces pg-boss's fetch of a message and the claim of the
 * job the message named, two statements (and pg-boss's completion after the job) per job.
 */
export async function claimNextJob(db: DbOrTx, leaseSeconds: number): Promise<ClaimedJob | null> {
  const { rows } = await sql<SyncJobRow & { connection_version: string | null }>`
    select j.*, (select c.xmin::text from connections c where c.id = j.connection_id) as connection_version
    from claim_next_sync_job(${leaseSeconds}::float8) j`.execute(db)
  const claimed = rows[0]
  if (!claimed) return null
  const { connection_version: connectionVersion, ...job } = claimed
  return { job, connectionVersion }
}

/**
 * What a worker holds while it runs a job: the job and the attempt number its claim made. Every
 * claim raises `attempts`, so a worker whose lease ran out and was taken over holds an attempt
 * number that no longer matches: its writes change nothing (the fence graphile-worker keeps with
 * `locked_by`), and it learns that it must stop.
 */
export interface JobLease {
  jobId: string
  attempt: number
}

export function leaseOf(job: SyncJobRow): JobLease {
  return { jobId: job.id, attempt: job.attempts }
}

/** Thrown when a worker finds that its lease on a job was taken over: it stops without settling. */
export class LeaseLostError extends Error {
  constructor(readonly jobId: string) {
    super(`Job ${jobId}: this worker no longer holds its lease (another worker took it over)`)
    this.name = 'LeaseLostError'
  }
}

export function isLeaseLost(err: unknown): err is LeaseLostError {
  return err instanceof LeaseLostError
}

export async function saveProgress(db: DbOrTx, lease: JobLease, progress: FlowProgress): Promise<void> {
  const result = await held(db.updateTable('sync_jobs').set({ steps: JSON.stringify(progress), updated_at: new Date() }), lease).executeTakeFirst()
  if (Number(result.numUpdatedRows) !== 1) throw new LeaseLostError(lease.jobId)
}

/** Saves what `GET /api/jobs/:id` shows; `progressed` says the job moved forward (a page was stored). */
export async function saveJobProgressInfo(db: DbOrTx, lease: JobLease, info: Record<string, unknown>, options: { progressed?: boolean } = {}): Promise<void> {
  const result = await held(
    db.updateTable('sync_jobs').set({
      progress: JSON.stringify(info),
      updated_at: new Date(),
      ...(options.progressed ? { failures_since_progress: 0 } : {}),
    }),
    lease,
  ).executeTakeFirst()
  if (Number(result.numUpdatedRows) !== 1) throw new LeaseLostError(lease.jobId)
}

/** Extends the lease; false when this worker no longer holds it. */
export async function renewLease(db: DbOrTx, lease: JobLease, leaseSeconds: number): Promise<boolean> {
  const result = await held(db.updateTable('sync_jobs').set({ lease_until: sql`now() + make_interval(secs => ${leaseSeconds})` }), lease).executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/**
 * Settles a job; false (nothing written) when this worker no longer holds its lease. `also` lets
 * the last write of a flow (its steps' final markers, what `GET /api/jobs/:id` shows) ride along.
 */
export async function finishJob(
  db: DbOrTx,
  lease: JobLease,
  state: Extract<SyncJobState, 'succeeded' | 'failed' | 'needs_attention'>,
  error?: JobError,
  also: { steps?: FlowProgress; progress?: Record<string, unknown> } = {},
): Promise<boolean> {
  const result = await held(db.updateTable('sync_jobs').set(finishedJob(state, error, also)), lease).executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/** What settling a job writes on its row (finishJob; a push's last write, together with its link). */
export function finishedJob(
  state: Extract<SyncJobState, 'succeeded' | 'failed' | 'needs_attention'>,
  error?: JobError,
  also: { steps?: FlowProgress; progress?: Record<string, unknown> } = {},
) {
  return {
    state,
    lease_until: null,
    last_error: error ? JSON.stringify(error) : null,
    finished_at: new Date(),
    updated_at: new Date(),
    ...(also.steps ? { steps: JSON.stringify(also.steps) } : {}),
    ...(also.progress ? { progress: JSON.stringify(also.progress) } : {}),
  }
}

/**
 * Puts the job back for a later attempt: it comes due at `next_attempt_at`, where a polling
 * worker finds it; one due at once also wakes the workers (at commit). False (nothing written)
 * when this worker no longer holds its lease. `countsAsFailure` is false for a failure that was
 * not the job's (the database went away under it).
 */
export async function scheduleRetry(
  trx: DbOrTx,
  lease: JobLease,
  delayMs: number,
  error: JobError,
  options: { countsAsFailure?: boolean } = {},
): Promise<boolean> {
  const at = new Date(Date.now() + delayMs)
  const result = await held(
    trx.updateTable('sync_jobs').set({
      state: 'retrying',
      lease_until: null,
      next_attempt_at: at,
      last_error: JSON.stringify(error),
      updated_at: new Date(),
      ...(options.countsAsFailure === false ? {} : { failures_since_progress: sql`failures_since_progress + 1` }),
    }),
    lease,
  ).executeTakeFirst()
  if (Number(result.numUpdatedRows) !== 1) return false
  if (delayMs <= 0) await sql`select ${jobsDue()}`.execute(trx)
  return true
}

/**
 * Hands a job back to the queue at once: this worker stopped it between two calls because its own
 * count of the lease ran out (a renewal answered too late: the process or the database was slow),
 * so none of its calls is on its way and the job need not wait out the orphan grace, which covers
 * a holder that died or froze with a call in flight. Fenced like every write: false (nothing
 * written) when another worker took the job over meanwhile. Not counted as a failure.
 */
export async function releaseLapsedJob(trx: DbOrTx, lease: JobLease): Promise<boolean> {
  const error: JobError = {
    code: 'lease_lapsed',
    message: "This attempt's lease ran out before its worker could renew it (the process or the database was slow); the job resumes from its saved steps",
  }
  return scheduleRetry(trx, lease, 0, error, { countsAsFailure: false })
}

/**
 * An update of the job this worker holds and the link's change, as one statement: the link's
 * update runs only if the job's fenced update found the job (the two commit together), so a
 * worker that lost its lease writes neither (it learns so: LeaseLostError). One round trip
 * where two statements in a transaction were two more besides, each holding the embedded
 * database from every other client.
 *
 * `also` rides along: `exchanges`, the calls' log rows (HeldExchanges), written whether or not the
 * fence found the job — the calls happened; `event`, announced (emitted as emitEvent does) only
 * if it did; `unheldExternalId` (F5), an external record the link takes that no other record may
 * hold on the connection: if one does, nothing but the exchanges is written and its id is returned
 * (the check and the write in one statement, where the check was a round trip of its own).
 */
export async function updateJobWithLink(
  db: DbOrTx,
  lease: JobLease,
  jobChange: Updateable<Database['sync_jobs']>,
  linkId: string,
  linkChange: Updateable<Database['links']>,
  also: { exchanges?: readonly ExchangeRow[]; event?: EventInput | null; unheldExternalId?: ExternalIdClaim | null } = {},
): Promise<{ heldBy: string | null }> {
  const claim = also.unheldExternalId
  let query: QueryCreator<any> = db
  if (claim) {
    query = query.with('holder', (qb) =>
      qb
        .selectFrom('links')
        .select('record_id')
        .where('connection_id', '=', claim.connectionId)
        .where('record_type', '=', claim.recordType)
        .where('external_id', '=', claim.externalId)
        .where('record_id', '<>', claim.exceptRecordId)
        .limit(1),
    )
  }
  query = query.with('job', (qb) => {
    const update = held(qb.updateTable('sync_jobs').set(jobChange), lease)
    return (claim ? update.where(sql<boolean>`not exists (select 1 from holder)`) : update).returning('id')
  })
  // A step that changed nothing on the link (and synced nothing) leaves the link's row alone.
  if (Object.keys(linkChange).length > 0) {
    query = query.with('link', (qb) =>
      qb
        .updateTable('links')
        .set({ ...linkChange, updated_at: new Date() })
        .where('id', '=', linkId)
        .where(({ exists, selectFrom }) => exists(selectFrom('job').select('job.id')))
        .returning('links.id'),
    )
  }
  if (also.exchanges && also.exchanges.length > 0) query = query.with('logged', (qb) => exchangesWrite(qb, also.exchanges!))
  // Kysely writes a raw CTE as given: its parentheses are ours.
  const announced = also.event ? eventWrites(also.event, sql`exists (select 1 from job)`) : null
  for (const cte of announced?.ctes ?? []) query = query.with(cte.name, () => sql<Record<string, unknown>>`(${cte.expression})`)
  const saved = await query
    .selectNoFrom([
      sql<string | null>`(select id from job)`.as('id'),
      ...(claim ? [sql<string | null>`(select record_id from holder)`.as('held_by')] : []),
      ...(announced ? [announced.wake.as('woken')] : []),
    ])
    .executeTakeFirstOrThrow()
  const heldBy = (saved as { held_by?: string | null }).held_by ?? null
  if (heldBy) return { heldBy }
  if (!saved.id) throw new LeaseLostError(lease.jobId)
  return { heldBy: null }
}

/** An external record a link is about to take, which no other record of its type may hold on the connection (F5). */
export interface ExternalIdClaim {
  connectionId: string
  recordType: string
  externalId: string
  exceptRecordId: string
}

/** Limits an update to the job this lease holds, while it still holds it. */
function held<U extends { where: (...args: any[]) => U }>(update: U, lease: JobLease): U {
  return update.where('id', '=', lease.jobId).where('state', '=', 'running').where('attempts', '=', lease.attempt)
}

export interface JobError {
  code: string
  message: string
  httpStatus?: number
  exchangeId?: string
}

export function emptyProgress(): FlowProgress {
  return { done: {}, started: {} }
}

export interface JobView {
  id: string
  connectionId: string | null
  kind: string
  recordType: string | null
  recordId: string | null
  state: SyncJobState
  attempts: number
  nextAttemptAt: string | null
  steps: FlowProgress
  progress: Record<string, unknown> | null
  lastError: JobError | null
  replayOf: string | null
  createdAt: string
  finishedAt: string | null
}

export async function getJob(db: DbOrTx, organizationId: string, id: string): Promise<JobView | null> {
  const row = await db.selectFrom('sync_jobs').selectAll().where('id', '=', id).where('organization_id', '=', organizationId).executeTakeFirst()
  return row ? toJobView(row) : null
}

export function toJobView(row: SyncJobRow): JobView {
  return {
    id: row.id,
    connectionId: row.connection_id,
    kind: row.kind,
    recordType: row.record_type,
    recordId: row.record_id,
    state: row.state,
    attempts: row.attempts,
    nextAttemptAt: row.state === 'retrying' || row.state === 'queued' ? row.next_attempt_at.toISOString() : null,
    steps: row.steps as unknown as FlowProgress,
    progress: row.progress,
    lastError: row.last_error as JobError | null,
    replayOf: row.replay_of,
    createdAt: row.created_at.toISOString(),
    finishedAt: row.finished_at?.toISOString() ?? null,
  }
}
