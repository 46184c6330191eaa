import type { Patient } from '@medplum/fhirtypes'
import type { Connector, FlowStep, PatientPushInput, PullResource, StepContext } from '../connector.js'
import { ConnectorError } from '../errors.js'
import type { HttpResponse } from '../http.js'
import { getPath, setPath } from '../../mapping/paths.js'
import { reconcile } from '../../mapping/reconcile.js'
import { CapabilityStatement, SearchBundle, TransactionResponse, parseEcwResource } from './answers.js'
import { EcwSecrets, EcwSettings, ecwCall, ecwPacing, failure, generateEcwKeys, publicJwks, discoverTokenUrl } from './client.js'
import type { EcwContext, EcwSecretsT, EcwSettingsT } from './client.js'
import { ecwDefaults, ecwFields } from './fields.js'
import { crmFieldsAsEcwHolds, fhirPatientToCrm } from './fromFhir.js'
import { findEarlierCreate, findExisting, malformed, searchByNameAndBirthDate, type Found } from './lookup.js'
import { checkExportGroup, EXPORTED, exportPages, exportTypes } from './bulk.js'
import { buildEcwPatient, buildTransactionBundle } from './payload.js'
import { fetchSearchPage, readItem } from './searchPull.js'
import { validateEcwPatient } from './validation.js'
import { ECW_CODES, FIELD_TO_FIX, RETRY_ONCE_CODES, readWritebackError, type WritebackError } from './writeback.js'

type Step = FlowStep<PatientPushInput, EcwSettingsT, EcwSecretsT>
type Ctx = StepContext<EcwSettingsT, EcwSecretsT>

/**
 * Create (the CRM–eClinicalWorks integration guide): a US Core Patient in a transaction Bundle, validated before it is sent.
 * A create whose outcome is unknown (its answer was lost) first looks for the record it may have
 * made — our identifier, else name + birth date + phone or email, since ECW may not keep our
 * identifier — and sends anything uncertain to a person rather than risk a second patient.
 * ECW's 202 "already exists" links the existing patient (found by search: the answer names none).
 */
const createStep: Step = {
  name: 'create',
  skip: (_input, ctx) => ctx.link.externalId !== null,
  async run(input, ctx) {
    const system = ctx.connection.settings.identifierSystem
    const { resource, dropped } = buildEcwPatient(input, { identifierSystem: system })
    if (ctx.progress.started.create) {
      const earlier = await findEarlierCreate(ctx, resource, system, input.patient.id)
      if (earlier.kind === 'one') return { link: { externalId: earlier.id, state: 'partial' }, output: { adopted: earlier.id, how: earlier.how } }
      if (earlier.kind === 'uncertain') throw uncertain(earlier, 'An earlier create of this patient may have reached ECW (its answer was lost)')
    }
    await refuseInvalid(ctx, resource, 'create')
    const bundle = buildTransactionBundle(resource)
    const response = await ecwCall(ctx, { operation: 'create', method: 'POST', path: '', json: bundle, details: dropped.length ? { dropped } : undefined, errorIn: writebackErrorText })
    const refused = readWritebackError(response)
    if (refused?.code === ECW_CODES.INVALID_PATIENT_ALREADY_EXIST) {
      // ECW already has this patient: link to it; the update step then reconciles both sides.
      const existing = await findExisting(ctx, resource, system, input.patient.id)
      if (existing.kind === 'one') return { link: { externalId: existing.id, state: 'partial' }, output: { adopted: existing.id, reason: refused.key, how: existing.how } }
      throw uncertain(existing, `ECW answered ${refused.code} ${refused.key}`, response.exchangeId)
    }
    if (refused) throw await writebackFailure(ctx, resource, response, refused, 'create')
    if (response.status < 200 || response.status >= 300) throw failure(response, 'create')
    const { id, lastModified } = created(response)
    const fields = fhirPatientToCrm({ ...resource, id }, input.mapping).fields
    return {
      link: { externalId: id, state: 'linked' },
      output: { created: true, id },
      sync: { values: fields, emrUpdatedAt: lastModified, conflicts: [], crmChanges: {} },
    }
  },
}

/**
 * Update: read the ECW patient, settle each mapped field by its owner rule (F16), send what the
 * CRM won (PUT to the linked id) and hand back what ECW won.
 */
const updateStep: Step = {
  name: 'update',
  skip: (_input, ctx) => ctx.done.create?.output?.created === true,
  async run(input, ctx) {
    const id = ctx.link.externalId
    if (!id) throw new ConnectorError({ code: 'no_external_id', message: 'The ECW patient id is unknown; the create step must run first', retryable: false })
    const read = await ecwCall(ctx, { operation: 'read', method: 'GET', path: `/Patient/${encodeURIComponent(id)}` })
    if (read.status === 404) {
      throw new ConnectorError({ code: 'stale_link', message: `The linked ECW patient ${id} no longer exists (404): link the patient to its current record, or clear the link to create it again (PUT /api/patients/{id}/links/{connectionId})`, retryable: false, httpStatus: 404 })
    }
    if (read.status !== 200) throw failure(read, 'read')
    const parsed = parseEcwResource('Patient', read.json)
    if (!parsed.ok) throw malformed(read.exchangeId, parsed.message)
    const current = parsed.value
    const emr = fhirPatientToCrm(current, input.mapping).fields
    const fields = [...new Set(input.mapping.fieldMap.map((m) => m.crm))].filter((f) => f !== 'id')
    // The CRM side as ECW would hold it (e.g. phones as digits), so formatting is not mistaken for a change.
    const asHeld = crmFieldsAsEcwHolds(input) as Record<string, unknown>
    const crm = Object.fromEntries(fields.map((f) => [f, f in asHeld ? asHeld[f] : (getPath(input.patient, f) ?? null)]))
    const emrUpdatedAt = current.meta?.lastUpdated ?? null
    const result = reconcile({
      fields,
      crm,
      emr,
      base: ctx.link.syncedValues ?? null,
      ownership: input.mapping.ownership,
      crmUpdatedAt: new Date(input.patient.updatedAt),
      emrUpdatedAt: emrUpdatedAt ? new Date(emrUpdatedAt) : null,
    })
    const conflictNote = result.conflicts.length
      ? `conflicts settled: ${result.conflicts.map((c) => `${c.field} → ${c.winner} (${c.rule})`).join(', ')}`
      : undefined
    if (Object.keys(result.toEmr).length === 0) {
      return { link: { state: 'linked' }, output: { unchanged: true }, sync: { values: result.merged, emrUpdatedAt, conflicts: result.conflicts, crmChanges: result.toCrm } }
    }
    // What ECW won stays as ECW has it; what the CRM won is sent.
    const merged = overlay(input.patient, result.merged)
    const { resource, dropped } = buildEcwPatient({ ...input, patient: merged }, { identifierSystem: ctx.connection.settings.identifierSystem, ecwId: id })
    // Keep identifiers ECW added (e.g. its account number).
    resource.identifier = [...(resource.identifier ?? []), ...(current.identifier ?? []).filter((i) => !(resource.identifier ?? []).some((o) => o.system === i.system))]
    await refuseInvalid(ctx, resource, 'update')
    const response = await ecwCall(ctx, {
      operation: 'update',
      method: 'PUT',
      path: `/Patient/${encodeURIComponent(id)}`,
      json: resource,
      note: conflictNote,
      details: { ...(dropped.length ? { dropped } : {}), ...(result.conflicts.length ? { conflicts: result.conflicts } : {}) },
      errorIn: writebackErrorText,
    })
    const refused = readWritebackError(response)
    if (refused) throw await writebackFailure(ctx, resource, response, refused, 'update')
    if (response.status < 200 || response.status >= 300) throw failure(response, 'update')
    const updated = parseEcwResource('Patient', response.json)
    return {
      link: { state: 'linked' },
      output: { sent: Object.keys(result.toEmr) },
      sync: { values: result.merged, emrUpdatedAt: (updated.ok ? updated.value.meta?.lastUpdated : undefined) ?? emrUpdatedAt, conflicts: result.conflicts, crmChanges: result.toCrm },
    }
  },
}

const PULL_ORDER: readonly PullResource[] = ['practitioner', 'location', 'patient', 'insurance', 'encounter']

export const ecwConnector: Connector<EcwSettingsT, EcwSecretsT> = {
  kind: 'ecw',
  title: 'eClinicalWorks',
  settingsSchema: EcwSettings,
  secretsSchema: EcwSecrets,
  // The CRM–eClinicalWorks integration guide's integration table: what ECW's API allows, and why not where it does not.
  capabilities: {
    patient: { push: { supported: true, note: 'US Core Patient in a transaction Bundle; updates by PUT' }, pull: { supported: true, note: 'bidirectional demographics' } },
    encounter: { push: { supported: false, reason: 'API limitation: ECW gives no API access to create or update encounters' }, pull: { supported: true, note: 'read-only' } },
    insurance: { push: { supported: false, reason: 'Read-only from EMR: ECW gives no API access to create or update insurance' }, pull: { supported: true, note: 'Coverage, shown read-only on the patient' } },
    preAssessment: { push: { supported: false, reason: 'API unavailable: no ECW API for pre-assessments' }, pull: { supported: false, reason: 'API unavailable: no ECW API for pre-assessments' } },
    practitioner: { push: { supported: false, reason: 'Practitioners are managed in ECW' }, pull: { supported: true, note: 'dropdown values' } },
    location: { push: { supported: false, reason: 'Locations are managed in ECW' }, pull: { supported: true, note: 'dropdown values' } },
  },
  fields: ecwFields,
  defaults: ecwDefaults,
  rateLimit: (settings) => ecwPacing(settings.requestsPerMinute),
  defaultPullSchedule: '0 */2 * * *',
  generateSecrets: generateEcwKeys,
  publicKeys: publicJwks,
  async test(ctx) {
    try {
      await discoverTokenUrl(ctx)
      const response = await ecwCall(ctx, { operation: 'test', method: 'GET', path: '/Patient?_count=1' })
      if (response.status === 403) return { ok: false, code: 'scope_refused', message: `ECW refused to search patients with the granted scopes (system/Patient.rs is needed): ${failure(response, 'test').message}` }
      if (response.status !== 200) throw failure(response, 'test')
      const bundle = SearchBundle.safeParse(response.json)
      if (!bundle.success) throw malformed(response.exchangeId, 'the Patient search answer is not a FHIR searchset Bundle')
      const total = bundle.data.total ?? bundle.data.entry?.length ?? 0
      // Pulls read the population by bulk export of the connection's group: check it is exportable.
      const types = exportTypes(ctx.connection.settings.pullModules)
      const exportRefusal = types.length > 0 ? await checkExportGroup(ctx, types) : null
      if (exportRefusal) return { ok: false, ...exportRefusal }
      const exportNote = types.length > 0 ? `, Group ${ctx.connection.settings.groupId} exportable` : ''
      const writeback = await patientWriteback(ctx)
      if (!writeback.enabled) {
        return { ok: false, code: 'writeback_not_enabled', message: `Reads work (token obtained, ${total} patients readable${exportNote}), but writeback is not enabled for this practice: ${writeback.why}. Ask eClinicalWorks to enable Patient writeback for this practice before pushing patients.` }
      }
      return { ok: true, message: `Connected to eClinicalWorks practice: token obtained, ${total} patients readable${exportNote}, Patient writeback enabled`, details: { total } }
    } catch (err) {
      if (err instanceof ConnectorError) return { ok: false, code: err.code, message: err.message }
      throw err
    }
  },
  flows: {
    pushPatient: {
      steps: [createStep, updateStep],
      preview(input, link, settings) {
        const { resource, dropped } = buildEcwPatient(input, { identifierSystem: settings.identifierSystem, ecwId: link.externalId ?? undefined })
        const validation = validateEcwPatient(resource)
        return {
          steps: link.externalId
            ? [{ step: 'update', method: 'PUT', path: `/Patient/${link.externalId}`, body: resource }]
            : [{ step: 'create', method: 'POST', path: '/', body: buildTransactionBundle(resource) }],
          dropped: [...dropped, ...(validation.ok ? [] : validation.issues.map((i) => ({ field: i.path, reason: i.message })))],
        }
      },
    },
    pull: {
      // Reference data first, then patients, then what hangs off them; in the order the admin can't break.
      resources: (settings) => PULL_ORDER.filter((r) => settings.pullModules.includes(r)),
      importsUnmatched: (settings) => settings.importNewPatients,
      // Patients, coverage and encounters come from one bulk export of the group (bulk.ts); reference data by search.
      stream(ctx, resource, cursor, mapping, session) {
        if (!EXPORTED[resource]) return null
        const settings = ctx.connection.settings
        return exportPages(ctx, resource, cursor, session, {
          resources: PULL_ORDER.filter((r) => settings.pullModules.includes(r)),
          mapping,
          toItem: (r) => readItem(resource, r, mapping, settings.identifierSystem),
        })
      },
      fetchPage: (ctx, resource, cursor, mapping) => fetchSearchPage(ctx, resource, cursor, mapping),
    },
  },
}

/** An invalid Patient is never sent: the log records it with the elements at fault. */
async function refuseInvalid(ctx: Ctx, resource: Patient, operation: string): Promise<void> {
  const validation = validateEcwPatient(resource)
  if (validation.ok) return
  const message = `Not sent: the Patient is not valid FHIR R4 / US Core — ${validation.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`
  const exchangeId = await ctx.http.recordRefusal({ operation, method: operation === 'create' ? 'POST' : 'PUT', url: ctx.connection.baseUrl, body: resource, message, details: { issues: validation.issues } })
  throw new ConnectorError({ code: 'invalid_fhir', message, retryable: false, details: { exchangeId, issues: validation.issues } })
}

/** The log's reading of a writeback answer: the error code it carries, whatever the HTTP status. */
function writebackErrorText(answer: { status: number; json: unknown }): string | null {
  const refused = readWritebackError({ json: answer.json } as HttpResponse)
  return refused ? `ECW writeback error ${refused.code} ${refused.key}${refused.message ? `: ${refused.message}` : ''}` : null
}

/** A refused writeback as the error a person acts on (the guide's code and key, and what to fix). */
export async function writebackFailure(ctx: EcwContext, resource: Patient, response: HttpResponse, refused: WritebackError, operation: string): Promise<ConnectorError> {
  const base = { httpStatus: response.status, details: { exchangeId: response.exchangeId, code: refused.code, key: refused.key } }
  const said = refused.message ? ` (${refused.message})` : ''
  if (refused.code === ECW_CODES.INVALID_MULTIPLE_PATIENT_FOUND) {
    const candidates = (await searchByNameAndBirthDate(ctx, resource)).map((p) => p.id!)
    const named = candidates.length ? ` (${candidates.map((id) => `Patient/${id}`).join(', ')})` : ''
    return new ConnectorError({
      code: 'multiple_patients_found',
      message: `ECW found several patients matching this one${named}: ${refused.code} ${refused.key}; link the right one (PUT /api/patients/{id}/links/{connectionId} with its id), or merge them in ECW and replay`,
      retryable: false,
      ...base,
      details: { ...base.details, candidates },
    })
  }
  if (refused.code === ECW_CODES.DEFAULT_WRITEBACK_USER_NOT_CONFIGURED) {
    return new ConnectorError({
      code: 'writeback_not_enabled',
      message: `writeback is not enabled for this practice: ECW refused the ${operation} with ${refused.code} ${refused.key}${said}; ask eClinicalWorks to enable Patient writeback (a writeback user) for this practice, then replay`,
      retryable: false,
      ...base,
    })
  }
  const fix = FIELD_TO_FIX[refused.code]
  return new ConnectorError({
    code: `ecw_${refused.code}`,
    message: `ECW ${operation} refused: ${refused.code} ${refused.key}${fix ? ` — fix ${fix}` : ''}${said}`,
    // The guide says to retry these once; the engine's retries cover that.
    retryable: RETRY_ONCE_CODES.has(refused.code),
    ...base,
  })
}

/** Candidates a person must choose between, or a record a search could not find. */
function uncertain(found: Exclude<Found, { kind: 'one' }>, why: string, exchangeId?: string): ConnectorError {
  const candidates = found.kind === 'uncertain' ? found.candidates : []
  const named = candidates.length ? `: ${candidates.map((id) => `Patient/${id}`).join(', ')}` : ''
  const reason = found.kind === 'uncertain' ? found.why : 'no ECW patient matches'
  return new ConnectorError({
    code: 'uncertain_match',
    message: `${why}, and the hub cannot tell which ECW patient is this one (${reason})${named}. Link the right one (PUT /api/patients/{id}/links/{connectionId} with its id), or clear the link to create it; nothing was created.`,
    retryable: false,
    details: { candidates, ...(exchangeId ? { exchangeId } : {}) },
  })
}

/**
 * The new patient's ECW id and version time from a transaction-response: `entry.response.location`
 * (relative or absolute, FHIR allows both), else the `Location` header.
 */
export function created(response: HttpResponse): { id: string; lastModified: string | null } {
  const bundle = TransactionResponse.safeParse(response.json)
  const entry = bundle.success ? bundle.data.entry[0] : undefined
  const id = patientIdIn(entry?.response?.location) ?? patientIdIn(response.headers.get('location')) ?? (entry?.resource?.resourceType === 'Patient' ? entry.resource.id : undefined)
  if (!id) throw malformed(response.exchangeId, 'the create answer names no Patient id (no transaction-response location, no Location header)')
  const lastUpdated = (entry?.resource as { meta?: { lastUpdated?: string } } | undefined)?.meta?.lastUpdated
  return { id, lastModified: entry?.response?.lastModified ?? lastUpdated ?? null }
}

/** `Patient/{id}`, `Patient/{id}/_history/{v}` or an absolute URL ending so → id. */
export function patientIdIn(location: string | null | undefined): string | null {
  if (!location) return null
  const path = location.split(/[?#]/)[0] ?? ''
  const match = /(?:^|\/)Patient\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?\/?$/.exec(path)
  return match?.[1] ?? null
}

/**
 * Whether the practice takes Patient writes: ECW's CapabilityStatement lists the interactions it
 * offers; the one ECW publishes lists Patient as read/search only, which a practice without
 * writeback serves.
 */
async function patientWriteback(ctx: EcwContext): Promise<{ enabled: true } | { enabled: false; why: string }> {
  const response = await ecwCall(ctx, { operation: 'test', method: 'GET', path: '/metadata' })
  if (response.status !== 200) throw failure(response, 'test')
  const statement = CapabilityStatement.safeParse(response.json)
  if (!statement.success) throw malformed(response.exchangeId, 'the /metadata answer is not a CapabilityStatement')
  const patient = statement.data.rest?.flatMap((r) => r.resource ?? []).find((r) => r.type === 'Patient')
  const offered = new Set((patient?.interaction ?? []).map((i) => i.code))
  const missing = ['create', 'update'].filter((code) => !offered.has(code))
  if (missing.length === 0) return { enabled: true }
  return { enabled: false, why: `its CapabilityStatement lists Patient as ${[...offered].join('/') || 'nothing'} (no ${missing.join(', no ')})` }
}

/** The CRM patient with the settled values written over it (CRM field paths). */
function overlay<T extends object>(patient: T, values: Record<string, unknown>): T {
  const copy = structuredClone(patient) as Record<string, unknown>
  for (const [field, value] of Object.entries(values)) setPath(copy, field, value)
  return copy as T
}
