import { newId } from '../db/ids.js'
import { sql, type RawBuilder } from 'kysely'
import type { ConnectorContext, PullFlow, PulledItem, PulledPage, PullResource, PullSession, PullWindow, ResolvedMapping } from '../connectors/connector.js'
import { ConnectorError } from '../connectors/errors.js'
import { pushTargets, type RunnableConnection } from '../connections/connections.js'
import { PatientInput, createPatients, getPatients, type Patient } from '../crm/patients.js'
import { getPath, setPath } from '../mapping/paths.js'
import { reconcile } from '../mapping/reconcile.js'
import { buildConnectorContext } from './context.js'
import type { DbOrTx } from '../db/database.js'
import { flagUncertainMatch, matchByDemographics } from './demographicMatch.js'
import { enqueueJob, saveJobProgressInfo, type SyncJobRow } from './jobs.js'
import type { LeaseKeeper } from './leaseKeeper.js'
import type { EngineDeps } from './runner.js'
import { recordSync } from './sync.js'
import { forgetWaiting, noteUnmapped, noteWaiting } from './pullGate.js'
import { emitEvents } from '../events/emit.js'
import { anyoneWants, insurancePulledEvents } from './pullEvents.js'
import { pagesAhead } from './pullAhead.js'

/** What `GET /api/jobs/:id` shows while a pull runs, and where a retried pull resumes. */
export interface PullProgress {
  /** By resource: PullResource, or one a connector names itself (KIPU's care levels, payors…). */
  resources: Partial<Record<PullResource | (string & {}), ResourceProgress>>
  current: string | null
  /** Where the current resource continues (the next page's address). */
  cursor: string | null
  /** Records that could not be taken, with why (the first 100). */
  problems: { resource: string; externalId: string; message: string }[]
  /** This pull took over where an earlier one gave up, instead of starting over. */
  resumedFrom?: { jobId: string; resource: string | null; cursor: string | null }
  /** The connector's checkpoint (PullSession): resumes a retried pull, and starts the next pull once this one succeeds. */
  checkpoint?: Record<string, unknown> | null
}

export interface ResourceProgress {
  pages: number
  records: number
  total: number | null
  created: number
  updated: number
  unchanged: number
  /** Patients matching no CRM patient, left alone because the connection does not import new ones. */
  skipped: number
  /** Records the system holds that may not be pulled yet (KIPU: not admitted), listed at GET /api/connections/{id}/waiting. */
  waiting?: number
  /** Pulled values no value map translates (kept out of the CRM, listed at GET /api/connections/{id}/unmapped-pulled-values). */
  unmapped?: number
  done: boolean
  /** What the system last said of its work on this resource (e.g. a bulk export's X-Progress). */
  status?: string
}

const MAX_PROBLEMS = 100

/**
 * A pull (F14): each resource the connector offers, page by page. After every page the progress
 * and the next page's address are saved, so memory stays flat and a retried pull resumes at the
 * page it had reached; a new pull after one that gave up resumes there too.
 */
export async function runPull(deps: EngineDeps, job: SyncJobRow, connection: RunnableConnection, keeper: LeaseKeeper): Promise<void> {
  const { connector } = connection
  const flow = connector.flows.pull
  if (!flow) throw new ConnectorError({ code: 'unsupported', message: `${connector.title} cannot pull: this connector has no pull flow`, retryable: false })
  const progress: PullProgress = (job.progress as unknown as PullProgress | null) ??
    (await progressOfPullThatGaveUp(deps, job)) ?? { resources: {}, current: null, cursor: null, problems: [] }
  if (progress.resumedFrom && !job.progress) await saveJobProgressInfo(deps.db, keeper.lease, progress as unknown as Record<string, unknown>)
  const ctx = buildConnectorContext(deps, connection, { organizationId: job.organization_id, syncJobId: job.id, recordType: null, recordId: null, attempt: job.attempts })
  const otherTargets = (await pushTargets(deps.db, job.organization_id, 'patient')).filter((t) => t.id !== connection.row.id)
  const options: StoreOptions = { pushElsewhere: otherTargets.length > 0, importUnmatched: flow.importsUnmatched?.(connection.settings) ?? true }
  const full = (job.input as { full?: unknown } | null)?.full === true
  const window: PullWindow = { since: full ? null : await lastPullStart(deps, connection.row.id, job.id) }

  const resources = typeof flow.resources === 'function' ? flow.resources(connection.settings) : flow.resources
  const session: PullSession = { previous: await lastCheckpoint(deps, connection.row.id), checkpoint: progress.checkpoint ?? null }
  for (const resource of resources) {
    const state = (progress.resources[resource] ??= { pages: 0, records: 0, total: null, created: 0, updated: 0, unchanged: 0, skipped: 0, done: false })
    state.skipped ??= 0 // progress saved before this counter existed
    if (state.done) continue
    const cursor = progress.current === resource ? progress.cursor : null
    const pages = flow.stream?.(ctx, resource, cursor, connection.mapping, session) ?? pagesOf(flow, ctx, resource, cursor, connection.mapping, window)
    keeper.check()
    for await (const { page, snapshot: checkpoint } of pagesAhead(pages, () => session.checkpoint)) {
      keeper.check()
      const store = async (db: DbOrTx) => {
        await storePage(deps, db, job, connection, resource, page, state, progress, options)
        // A page that brings nothing and leads on (a bulk export still running) is not a page of data.
        if (page.items.length > 0 || !page.next) state.pages += 1
        state.records += page.items.length
        if (page.total !== undefined) state.total = page.total
        if (page.status !== undefined) state.status = page.status
        progress.current = resource
        progress.cursor = page.next
        progress.checkpoint = checkpoint
        if (!page.next) state.done = true
        await saveJobProgressInfo(db, keeper.lease, progress as unknown as Record<string, unknown>, { progressed: true })
      }
      // A page and the progress that says it is stored commit together: a retried pull resumes
      // after the last page stored, never stores one twice nor skips one, and a page costs one
      // commit (one WAL flush) instead of one for its records and one for its progress. A page
      // with nothing to store (an export's status) is its progress alone.
      if (page.items.length > 0) await deps.db.transaction().execute(store)
      else await store(deps.db)
      if (!page.next) break
    }
    if (!state.done) {
      // The stream ended without a last page (no `next: null`): the resource is done all the same.
      state.done = true
      await saveJobProgressInfo(deps.db, keeper.lease, progress as unknown as Record<string, unknown>, { progressed: true })
    }
  }
  await deps.db.updateTable('connections').set({ updated_at: new Date() }).where('id', '=', connection.row.id).execute()
}

/**
 * Where an earlier pull of this connection stopped, if it gave up (retries exhausted) and no pull
 * finished since: a replay of it, Pull now or the schedule continue from its saved cursor rather
 * than fetch again everything it had already stored.
 */
async function progressOfPullThatGaveUp(deps: EngineDeps, job: SyncJobRow): Promise<PullProgress | null> {
  const earlier = await deps.db
    .selectFrom('sync_jobs')
    .select(['id', 'state', 'progress'])
    .where('connection_id', '=', job.connection_id)
    .where('kind', '=', 'pull')
    .where('id', '<>', job.id)
    .where('finished_at', 'is not', null)
    .orderBy('finished_at', 'desc')
    .limit(1)
    .executeTakeFirst()
  const saved = earlier?.progress as unknown as PullProgress | null | undefined
  if (!earlier || earlier.state !== 'failed' || !saved?.resources) return null
  if (Object.values(saved.resources).every((r) => r?.done)) return null
  return { ...saved, problems: saved.problems ?? [], resumedFrom: { jobId: earlier.id, resource: saved.current, cursor: saved.cursor } }
}

/** When the last successful pull of this connection started (a connector may pull only what changed since). */
async function lastPullStart(deps: EngineDeps, connectionId: string, exceptJobId: string): Promise<Date | null> {
  const row = await deps.db
    .selectFrom('sync_jobs')
    .select('created_at')
    .where('connection_id', '=', connectionId)
    .where('kind', '=', 'pull')
    .where('state', '=', 'succeeded')
    .where('id', '<>', exceptJobId)
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst()
  return row?.created_at ?? null
}

/** `fetchPage` page after page, following each page's `next`. */
async function* pagesOf(flow: PullFlow<unknown, unknown, string>, ctx: ConnectorContext, resource: string, cursor: string | null, mapping: ResolvedMapping, window: PullWindow): AsyncGenerator<PulledPage> {
  for (;;) {
    const page = await flow.fetchPage(ctx, resource, cursor, mapping, window)
    yield page
    if (!page.next) return
    cursor = page.next
  }
}

/** The checkpoint of the connection's last successful pull. */
async function lastCheckpoint(deps: EngineDeps, connectionId: string): Promise<Record<string, unknown> | null> {
  const row = await deps.db
    .selectFrom('sync_jobs')
    .select('progress')
    .where('connection_id', '=', connectionId)
    .where('kind', '=', 'pull')
    .where('state', '=', 'succeeded')
    .orderBy('finished_at', 'desc')
    .limit(1)
    .executeTakeFirst()
  const checkpoint = (row?.progress as { checkpoint?: unknown } | null | undefined)?.checkpoint
  return checkpoint && typeof checkpoint === 'object' ? (checkpoint as Record<string, unknown>) : null
}

export interface StoreOptions {
  /** Other connections take patients: new CRM patients go on to them. */
  pushElsewhere: boolean
  importUnmatched: boolean
}

/**
 * Stores one page through `db`, the page's transaction (runPull commits it with the page's
 * progress): every statement of the page goes through it — on the embedded database a statement
 * on another connection would wait for this transaction to end.
 */
export async function storePage(
  deps: EngineDeps,
  db: DbOrTx,
  job: SyncJobRow,
  connection: RunnableConnection,
  resource: string,
  page: PulledPage,
  state: ResourceProgress,
  progress: PullProgress,
  options: StoreOptions,
): Promise<void> {
  const connectionId = connection.row.id
  for (const problem of page.problems ?? []) noteProblem(progress, resource, problem.externalId, problem.message)
  const references = lastOfEach(page.items.filter((i): i is Extract<PulledItem, { type: 'reference' }> => i.type === 'reference'), (r) => `${r.kind}\u0000${r.externalId}`)
  if (references.length > 0) {
    await db
      .insertInto('reference_values')
      .values(references.map((r) => ({ connection_id: connectionId, kind: r.kind, external_id: r.externalId, label: r.label, data: JSON.stringify(r.data) })))
      .onConflict((oc) =>
        oc.columns(['connection_id', 'kind', 'external_id']).doUpdateSet({ label: sql`excluded.label`, data: sql`excluded.data`, updated_at: new Date() }),
      )
      .execute()
    state.updated += references.length
  }

  // Patients before what hangs off them, so insurance and contacts on the same page find their patient.
  const patients = page.items.filter((i): i is Extract<PulledItem, { type: 'patient' }> => i.type === 'patient')
  if (patients.length > 0) {
    await storePatients(deps, db, job, connection, patients, state, progress, resource, options)
    await forgetWaiting(db, connectionId, patients.map((p) => p.externalId))
    state.unmapped = (state.unmapped ?? 0) + (await noteUnmapped(db, connectionId, patients))
  }
  const waiting = page.items.filter((i): i is Extract<PulledItem, { type: 'waiting' }> => i.type === 'waiting')
  if (waiting.length > 0) state.waiting = (state.waiting ?? 0) + (await noteWaiting(db, connectionId, waiting))

  for (const type of ['insurance', 'encounter', 'contact'] as const) {
    const items = lastOfEach(page.items.filter((i): i is Extract<PulledItem, { type: 'insurance' | 'encounter' | 'contact' }> => i.type === type), (i) => i.externalId)
    if (items.length === 0) continue
    const table = type === 'insurance' ? 'emr_insurances' : type === 'encounter' ? 'emr_encounters' : 'emr_contacts'
    // F19: what is new or changed, read before the upsert and announced with it.
    const wanted = type === 'insurance' && (await anyoneWants(db, job.organization_id, 'insurance.pulled'))
    if (wanted) {
      const patientIds = await patientsByExternalId(db, connectionId, items.map((i) => i.patientExternalId))
      const events = await insurancePulledEvents(db, { organizationId: job.organization_id, connectionId, connector: connection.connector.kind }, items, patientIds)
      await upsertEmrRecords(db, table, connectionId, items, patientIds)
      await emitEvents(db, events)
    } else await upsertEmrRecords(db, table, connectionId, items, null)
    state.updated += items.length
  }
}

/**
 * The items with the last of each key, in their order: a page that lists a record twice (an
 * export's files, a paging that is not stable under writes) is stored with the later copy. One
 * set-based upsert cannot touch a row twice ("ON CONFLICT DO UPDATE command cannot affect row a
 * second time"): the whole page failed, and with it every retry of the pull.
 */
function lastOfEach<T>(items: T[], key: (item: T) => string): T[] {
  const last = new Map<string, number>()
  items.forEach((item, index) => last.set(key(item), index))
  return last.size === items.length ? items : items.filter((item, index) => last.get(key(item)) === index)
}

/**
 * Pulled patients are matched by their EMR id (F5), else by our id carried in the EMR record,
 * else by demographics (demographicMatch.ts: an uncertain match waits for a person); matched ones
 * are reconciled field by field (F16), unmatched ones become CRM patients unless the connection
 * says not to import new ones.
 */
async function storePatients(
  deps: EngineDeps,
  db: DbOrTx,
  job: SyncJobRow,
  connection: RunnableConnection,
  items: Extract<PulledItem, { type: 'patient' }>[],
  state: ResourceProgress,
  progress: PullProgress,
  resource: string,
  options: StoreOptions,
): Promise<void> {
  const connectionId = connection.row.id
  const organizationId = job.organization_id
  const byExternal = new Map(
    (
      // One probe per id, whatever the statistics (see patientLinksByExternalId).
      await sql<{ id: string; record_id: string; external_id: string; synced_values: Record<string, unknown> | null }>`
        select l.id, l.record_id, l.external_id, l.synced_values
        from unnest(${items.map((i) => i.externalId)}::text[]) as wanted(external_id)
        cross join lateral (
          select id, record_id, external_id, synced_values from links
          where connection_id = ${connectionId}::uuid and record_type = 'patient' and external_id = wanted.external_id
          limit 1
        ) l`.execute(db)
    ).rows.map((l) => [l.external_id, l]),
  )
  const claimedIds = items.filter((i) => !byExternal.has(i.externalId) && i.crmId).map((i) => i.crmId!)
  const claimable = new Map((await getPatients(db, organizationId, claimedIds.filter(isUuid))).map((p) => [p.id, p]))
  const linkedPatients = new Map(
    (await getPatients(db, organizationId, [...byExternal.values()].map((l) => l.record_id))).map((p) => [p.id, p]),
  )
  const unclaimed = items.filter((i) => !byExternal.has(i.externalId) && !(i.crmId && claimable.has(i.crmId)))
  const byDemographics = await matchByDemographics(db, organizationId, connectionId, unclaimed)
  const matchedInPage = new Set<string>()

  const fresh: { item: (typeof items)[number]; input: ReturnType<typeof PatientInput.parse> }[] = []
  const freshIds = new Set<string>()
  for (const item of items) {
    const link = byExternal.get(item.externalId)
    const match = byDemographics.get(item.externalId)
    const claimed = item.crmId ? claimable.get(item.crmId) : undefined
    const patient = link ? linkedPatients.get(link.record_id) : (claimed ?? (match?.kind === 'one' && !matchedInPage.has(match.patient.id) ? match.patient : undefined))
    if (!link && !claimed && match && match.kind !== 'none' && !patient) {
      const candidates = match.kind === 'uncertain' ? match.candidates : [{ patientId: match.patient.id, reason: 'another record of this page matched the same CRM patient' }]
      noteProblem(progress, resource, item.externalId, `not imported: may be CRM patient ${candidates.map((c) => `${c.patientId} (${c.reason})`).join(', ')}; a person decides`)
      const flagged = await flagUncertainMatch(db, { organizationId, connectionId, connector: connection.connector.kind, title: connection.connector.title, externalId: item.externalId, candidates })
      // F19: each link this put in waiting for a person (a later pull finding it still uncertain announces nothing new).
      await emitEvents(
        db,
        flagged.map((patientId) => ({
          organizationId,
          type: 'link.needs_attention' as const,
          data: { recordType: 'patient', recordId: patientId, patientId, connectionId, connector: connection.connector.kind, externalId: null, jobId: job.id, exchangeId: null, code: 'uncertain_match' },
        })),
      )
      continue
    }
    if (patient && !link && !claimed) matchedInPage.add(patient.id)
    if (patient) {
      const changed = await reconcilePulled(deps, db, job, connection, item, patient, link ?? null)
      if (changed) state.updated += 1
      else state.unchanged += 1
      continue
    }
    if (!options.importUnmatched) {
      state.skipped += 1
      continue
    }
    // One EMR record, one CRM patient, even if a page repeats it (a set: scanning the page's new patients for each was quadratic in the page).
    if (freshIds.has(item.externalId)) continue
    const parsed = PatientInput.safeParse(unflatten(item.fields))
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!
      noteProblem(progress, resource, item.externalId, `not imported: ${issue.path.join('.') || 'patient'} ${issue.message}`)
      continue
    }
    fresh.push({ item, input: parsed.data })
    freshIds.add(item.externalId)
  }
  if (fresh.length === 0) return

  const created = await createPatients(
    db,
    organizationId,
    fresh.map((f) => f.input),
  )
  await insertPulledLinks(db, { organizationId, connectionId, connector: connection.connector.kind }, created.map((patient, i) => ({ patient, item: fresh[i]!.item })))
  if (options.pushElsewhere) for (const patient of created) await deps.patientChanged(db, organizationId, patient.id, connectionId)
  await emitEvents(
    db,
    created.map((patient, i) => ({
      organizationId,
      type: 'patient.linked' as const,
      data: { patientId: patient.id, connectionId, connector: connection.connector.kind, externalId: fresh[i]!.item.externalId, via: 'pull' as const },
    })),
  )
  state.created += fresh.length
}

/**
 * The links of a page's new CRM patients, by one statement whose rows are one JSON parameter
 * (jsonb_populate_recordset), as upsertEmrRecords stores the page's other records: the page's
 * 500 links were 6,500 bound parameters.
 */
async function insertPulledLinks(
  trx: DbOrTx,
  scope: { organizationId: string; connectionId: string; connector: string },
  created: { patient: { id: string; version: number }; item: Extract<PulledItem, { type: 'patient' }> }[],
): Promise<void> {
  const rows = created.map(({ patient, item }) => ({
    id: newId(),
    record_id: patient.id,
    external_id: item.externalId,
    external_mrn: item.mrn ?? null,
    synced_version: patient.version,
    synced_values: item.fields,
    emr_updated_at: item.emrUpdatedAt ? new Date(item.emrUpdatedAt).toISOString() : null,
  }))
  await sql`
    insert into links (id, organization_id, record_type, record_id, connection_id, connector, external_id, external_mrn, state, synced_version, last_synced_at, synced_values, emr_updated_at)
    select r.id, ${scope.organizationId}::uuid, 'patient', r.record_id, ${scope.connectionId}::uuid, ${scope.connector}, r.external_id, r.external_mrn, 'linked', r.synced_version, ${new Date()}, r.synced_values, r.emr_updated_at
    from jsonb_populate_recordset(null::links, ${JSON.stringify(rows)}::jsonb) as r`.execute(trx)
}

async function reconcilePulled(
  deps: EngineDeps,
  db: DbOrTx,
  job: SyncJobRow,
  connection: RunnableConnection,
  item: Extract<PulledItem, { type: 'patient' }>,
  patient: Patient,
  link: { id: string; synced_values: Record<string, unknown> | null } | null,
): Promise<boolean> {
  const fields = [...new Set(connection.mapping.fieldMap.map((m) => m.crm))].filter((f) => f !== 'id' && f in item.fields)
  // The CRM side as the system would hold it (e.g. phones as KIPU formats them), so formatting is not taken for a change.
  const asHeld = connection.connector.flows.pull?.crmAsHeld?.(patient, connection.mapping, connection.settings)
  const crm = Object.fromEntries(fields.map((f) => [f, asHeld && f in asHeld ? asHeld[f] : (getPath(patient, f) ?? null)]))
  const result = reconcile({
    fields,
    crm,
    emr: item.fields,
    base: link?.synced_values ?? null,
    ownership: connection.mapping.ownership,
    crmUpdatedAt: new Date(patient.updatedAt),
    emrUpdatedAt: item.emrUpdatedAt ? new Date(item.emrUpdatedAt) : null,
  })
  const linkId = link?.id ?? (await linkMatched(db, job, connection, item, patient))
  // F5: the system's MRN (KIPU's appears at admission) is kept on the link.
  if (item.mrn) await db.updateTable('links').set({ external_mrn: item.mrn }).where('id', '=', linkId).where('external_mrn', 'is distinct from', item.mrn).execute()
  const base = link?.synced_values ?? null
  const unchanged =
    base !== null &&
    Object.keys(result.toCrm).length === 0 &&
    Object.keys(result.toEmr).length === 0 &&
    fields.every((f) => JSON.stringify(base[f] ?? null) === JSON.stringify(result.merged[f] ?? null))
  if (unchanged) return false
  await recordSync(deps, {
    job,
    connectionId: connection.row.id,
    linkId,
    patientId: patient.id,
    sync: { values: result.merged, emrUpdatedAt: item.emrUpdatedAt, conflicts: result.conflicts, crmChanges: result.toCrm },
  }, db)
  if (Object.keys(result.toEmr).length > 0) {
    // The CRM won fields the EMR holds differently: send them back.
    await enqueueJob(db, { organizationId: job.organization_id, connectionId: connection.row.id, kind: 'push_patient', recordType: 'patient', recordId: patient.id })
  }
  return true
}

/** The link of a pulled record matched to a CRM patient (by our id or by demographics). */
async function linkMatched(db: DbOrTx, job: SyncJobRow, connection: RunnableConnection, item: Extract<PulledItem, { type: 'patient' }>, patient: Patient): Promise<string> {
  const inserted = await db
    .insertInto('links')
    .values({
      id: newId(),
      organization_id: job.organization_id,
      record_type: 'patient',
      record_id: patient.id,
      connection_id: connection.row.id,
      connector: connection.connector.kind,
      external_id: item.externalId,
      external_mrn: item.mrn ?? null,
      state: 'linked',
      // A pulled record matched and reconciled is a sync with it (a push later is not a new link).
      synced_version: patient.version,
      last_synced_at: new Date(),
    })
    .onConflict((oc) => oc.columns(['record_type', 'record_id', 'connection_id']).doUpdateSet({ external_id: item.externalId, state: 'linked', synced_version: patient.version }))
    .returning('id')
    .executeTakeFirstOrThrow()
  // F19: a pulled record matched to a CRM patient is a new link.
  await emitEvents(db, [
    { organizationId: job.organization_id, type: 'patient.linked', data: { patientId: patient.id, connectionId: connection.row.id, connector: connection.connector.kind, externalId: item.externalId, via: 'pull' } },
  ])
  return inserted.id
}

/**
 * A page of insurance, encounters or contacts stored (or refreshed) by one statement whose rows
 * are one JSON parameter, read by the table's own row type (jsonb_populate_recordset, as a CRM
 * create does): a page of 500 records as bound parameters was 2,500 of them, each a value node
 * the query builder made and compiled and the driver serialized — most of the hub's CPU for the
 * pull's records that are not patients. Each record's CRM patient is `patientIds` when the caller
 * looked them up already (insurance.pulled reads them), else found by the statement itself: one
 * probe of links_external per patient of the page, as patientLinksByExternalId makes, without a
 * round trip and a map of the page's ids in the hub.
 */
async function upsertEmrRecords(
  trx: DbOrTx,
  table: 'emr_insurances' | 'emr_encounters' | 'emr_contacts',
  connectionId: string,
  items: { externalId: string; patientExternalId: string; data: Record<string, unknown> }[],
  patientIds: Map<string, string> | null,
): Promise<void> {
  const rows = items.map((i) => ({
    external_id: i.externalId,
    patient_id: patientIds?.get(i.patientExternalId) ?? null,
    patient_external_id: i.patientExternalId,
    data: i.data,
  }))
  const json = JSON.stringify(rows)
  const onConflict = sql`on conflict (connection_id, external_id) do update set
      patient_id = excluded.patient_id, patient_external_id = excluded.patient_external_id, data = excluded.data, updated_at = ${new Date()}`
  if (patientIds) {
    await sql`
      insert into ${sql.table(table)} (connection_id, external_id, patient_id, patient_external_id, data)
      select ${connectionId}::uuid, r.external_id, r.patient_id, r.patient_external_id, r.data
      from jsonb_populate_recordset(null::${sql.table(table)}, ${json}::jsonb) as r
      ${onConflict}`.execute(trx)
    return
  }
  // Each patient of the page probed once, however many of its records the page holds; the rows
  // go in in the page's order (a hash join's order scattered the inserts over the patient index).
  await sql`
    with r as materialized (select * from jsonb_populate_recordset(null::${sql.table(table)}, ${json}::jsonb) with ordinality as r),
    p as (
      select w.patient_external_id, (
        select l.record_id from links l
        where l.connection_id = ${connectionId}::uuid and l.record_type = 'patient' and l.external_id = w.patient_external_id
        limit 1
      ) as patient_id
      from (select distinct patient_external_id from r) as w
    )
    insert into ${sql.table(table)} (connection_id, external_id, patient_id, patient_external_id, data)
    select ${connectionId}::uuid, r.external_id, p.patient_id, r.patient_external_id, r.data
    from r left join p on p.patient_external_id = r.patient_external_id
    order by r.ordinality
    ${onConflict}`.execute(trx)
}

/**
 * The CRM patients of EMR patient ids (a page's), by one index probe per id (links_external):
 * `external_id in (…)` let the planner, on tables no ANALYZE had seen yet (PGlite runs no
 * autovacuum, nor does a server with it off, and a bulk pull fills the table faster than
 * autovacuum's next round), read every link of the connection and filter them — 8,175 buffers
 * and 38 ms a page of 500 at 90,000 patients, growing with every page stored. A lateral
 * subquery with a LIMIT is not flattened into a join, so each id is its own probe of the unique
 * index whatever the statistics say: ~4 buffers an id. storePatients and
 * insurancePulledEvents (pullEvents.ts) look up by EMR id the same way.
 */
export function patientLinksByExternalId(connectionId: string, externalIds: string[]): RawBuilder<{ external_id: string; record_id: string }> {
  return sql`
    select l.external_id, l.record_id
    from unnest(${externalIds}::text[]) as wanted(external_id)
    cross join lateral (
      select external_id, record_id from links
      where connection_id = ${connectionId}::uuid and record_type = 'patient' and external_id = wanted.external_id
      limit 1
    ) l`
}

async function patientsByExternalId(db: DbOrTx, connectionId: string, externalIds: string[]): Promise<Map<string, string>> {
  const unique = [...new Set(externalIds)]
  if (unique.length === 0) return new Map()
  const { rows } = await patientLinksByExternalId(connectionId, unique).execute(db)
  return new Map(rows.map((r) => [r.external_id, r.record_id]))
}

/** `address.city` → `{address: {city}}`, for parsing pulled fields as a CRM patient. */
function unflatten(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(fields)) if (value !== null && value !== undefined) setPath(out, key, value)
  return out
}

function noteProblem(progress: PullProgress, resource: string, externalId: string, message: string): void {
  if (progress.problems.length < MAX_PROBLEMS) progress.problems.push({ resource, externalId, message })
}

function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)
}
