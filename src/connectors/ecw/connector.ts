import type { Bundle, BundleEntry, Coverage, Encounter, Location, Patient, Practitioner } from '@medplum/fhirtypes'
import type { Connector, FlowStep, PatientPushInput, PulledItem, PullResource, StepContext } from '../connector.js'
import { ConnectorError } from '../errors.js'
import type { HttpResponse } from '../http.js'
import { getPath, setPath } from '../../mapping/paths.js'
import { reconcile } from '../../mapping/reconcile.js'
import { EcwSecrets, EcwSettings, ecwCall, failure, generateEcwKeys, publicJwks, trimSlash, discoverTokenUrl } from './client.js'
import type { EcwContext, EcwSecretsT, EcwSettingsT } from './client.js'
import { ecwDefaults, ecwFields } from './fields.js'
import { coverageToInsurance, crmFieldsAsEcwHolds, ecwIdentifierOf, encounterToView, fhirPatientToCrm, locationToReference, practitionerToReference } from './fromFhir.js'
import { checkExportGroup, EXPORTED, exportPages, exportTypes } from './bulk.js'
import { buildEcwPatient, buildTransactionBundle } from './payload.js'
import { validateEcwPatient } from './validation.js'
import { FIELD_TO_FIX, readWritebackError } from './writeback.js'

type Step = FlowStep<PatientPushInput, EcwSettingsT, EcwSecretsT>
type Ctx = StepContext<EcwSettingsT, EcwSecretsT>

/**
 * Create (seed 001): a US Core Patient in a transaction Bundle, validated before it is sent. A
 * create whose outcome is unknown is preceded by a search on our identifier; ECW's "already
 * exists" links to the existing patient instead of retrying.
 */
const createStep: Step = {
  name: 'create',
  skip: (_input, ctx) => ctx.link.externalId !== null,
  async run(input, ctx) {
    const system = ctx.connection.settings.identifierSystem
    if (ctx.progress.started.create) {
      const found = await findByIdentifier(ctx, system, input.patient.id)
      if (found) return { link: { externalId: found, state: 'partial' }, output: { adopted: found } }
    }
    const { resource, dropped } = buildEcwPatient(input, { identifierSystem: system })
    await refuseInvalid(ctx, resource, 'create')
    const bundle = buildTransactionBundle(resource)
    const response = await ecwCall(ctx, { operation: 'create', method: 'POST', path: '', json: bundle, details: dropped.length ? { dropped } : undefined })
    if (response.status >= 200 && response.status < 300) {
      const id = createdId(response)
      if (!id) throw failure(response, 'create')
      const fields = fhirPatientToCrm({ ...resource, id }, input.mapping).fields
      return {
        link: { externalId: id, state: 'linked' },
        output: { created: true, id },
        sync: { values: fields, emrUpdatedAt: lastModified(response), conflicts: [], crmChanges: {} },
      }
    }
    const writeback = readWritebackError(response)
    if (writeback?.code === '202' && writeback.existing[0]) {
      // ECW already has this patient: link to it; the update step then reconciles both sides.
      return { link: { externalId: writeback.existing[0], state: 'partial' }, output: { adopted: writeback.existing[0], reason: writeback.key } }
    }
    throw writebackFailure(response, 'create')
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
    const current = read.json as Patient
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
    })
    if (response.status < 200 || response.status >= 300) throw writebackFailure(response, 'update')
    return {
      link: { state: 'linked' },
      output: { sent: Object.keys(result.toEmr) },
      sync: { values: result.merged, emrUpdatedAt: lastModified(response) ?? emrUpdatedAt, conflicts: result.conflicts, crmChanges: result.toCrm },
    }
  },
}

const PULL_ORDER: readonly PullResource[] = ['practitioner', 'location', 'patient', 'insurance', 'encounter']

const FHIR_TYPE: Record<PullResource, 'Practitioner' | 'Location' | 'Patient' | 'Coverage' | 'Encounter'> = {
  practitioner: 'Practitioner',
  location: 'Location',
  patient: 'Patient',
  insurance: 'Coverage',
  encounter: 'Encounter',
}

export const ecwConnector: Connector<EcwSettingsT, EcwSecretsT> = {
  kind: 'ecw',
  title: 'eClinicalWorks',
  settingsSchema: EcwSettings,
  secretsSchema: EcwSecrets,
  // Seed 001's integration table: what ECW's API allows, and why not where it does not.
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
  rateLimit: (settings) => ({ kind: 'window', limit: settings.requestsPerMinute, windowSeconds: 60 }),
  defaultPullSchedule: '0 */2 * * *',
  generateSecrets: generateEcwKeys,
  publicKeys: publicJwks,
  async test(ctx) {
    try {
      await discoverTokenUrl(ctx)
      const response = await ecwCall(ctx, { operation: 'test', method: 'GET', path: '/Patient?_count=1' })
      if (response.status === 403) return { ok: false, code: 'scope_refused', message: `ECW refused to read patients with the granted scopes: ${failure(response, 'test').message}` }
      if (response.status !== 200) throw failure(response, 'test')
      const bundle = response.json as Bundle
      // Pulls read the population by bulk export of the connection's group: check it is exportable.
      const types = exportTypes(ctx.connection.settings.pullModules)
      const exportRefusal = types.length > 0 ? await checkExportGroup(ctx, types) : null
      if (exportRefusal) return { ok: false, ...exportRefusal }
      const exportNote = types.length > 0 ? `, Group ${ctx.connection.settings.groupId} exportable` : ''
      return { ok: true, message: `Connected to eClinicalWorks practice: token obtained, ${bundle.total ?? bundle.entry?.length ?? 0} patients readable${exportNote}`, details: { total: bundle.total ?? null } }
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
          toItem: (r) => toPulledItem({ resource: r }, resource, mapping, settings.identifierSystem),
        })
      },
      async fetchPage(ctx, resource, cursor, mapping) {
        const type = FHIR_TYPE[resource]
        const url = cursor ?? `${trimSlash(ctx.connection.baseUrl)}/${type}?_count=${ctx.connection.settings.pageSize}`
        const response = await ecwCall(ctx, { operation: `pull ${type}`, method: 'GET', url })
        if (response.status !== 200) throw failure(response, `pull ${type}`)
        const bundle = response.json as Bundle
        const items: PulledItem[] = []
        for (const entry of bundle.entry ?? []) {
          const item = toPulledItem(entry, resource, mapping, ctx.connection.settings.identifierSystem)
          if (item) items.push(item)
        }
        const next = bundle.link?.find((l) => l.relation === 'next')?.url ?? null
        return { items, next, ...(bundle.total !== undefined ? { total: bundle.total } : {}) }
      },
    },
  },
}

function toPulledItem(entry: BundleEntry, resource: PullResource, mapping: Parameters<typeof fhirPatientToCrm>[1], identifierSystem: string): PulledItem | null {
  const r = entry.resource
  if (!r?.id) return null
  switch (resource) {
    case 'practitioner': {
      if (r.resourceType !== 'Practitioner') return null
      const ref = practitionerToReference(r as Practitioner)
      return { type: 'reference', kind: 'practitioner', externalId: r.id, label: ref.label, data: ref as unknown as Record<string, unknown> }
    }
    case 'location': {
      if (r.resourceType !== 'Location') return null
      const ref = locationToReference(r as Location)
      return { type: 'reference', kind: 'location', externalId: r.id, label: ref.label, data: ref as unknown as Record<string, unknown> }
    }
    case 'patient': {
      if (r.resourceType !== 'Patient') return null
      const { fields, unmapped } = fhirPatientToCrm(r as Patient, mapping)
      return { type: 'patient', externalId: r.id, crmId: ecwIdentifierOf(r as Patient, identifierSystem), fields, emrUpdatedAt: r.meta?.lastUpdated ?? null, unmapped }
    }
    case 'insurance': {
      if (r.resourceType !== 'Coverage') return null
      const patientRef = (r as Coverage).beneficiary?.reference?.replace(/^Patient\//, '')
      if (!patientRef) return null
      return { type: 'insurance', externalId: r.id, patientExternalId: patientRef, data: coverageToInsurance(r as Coverage) as unknown as Record<string, unknown> }
    }
    case 'encounter': {
      if (r.resourceType !== 'Encounter') return null
      const patientRef = (r as Encounter).subject?.reference?.replace(/^Patient\//, '')
      if (!patientRef) return null
      return { type: 'encounter', externalId: r.id, patientExternalId: patientRef, data: encounterToView(r as Encounter) as unknown as Record<string, unknown> }
    }
  }
}

async function findByIdentifier(ctx: EcwContext, system: string, value: string): Promise<string | null> {
  const response = await ecwCall(ctx, { operation: 'lookup', method: 'GET', path: `/Patient?identifier=${encodeURIComponent(`${system}|${value}`)}` })
  if (response.status !== 200) throw failure(response, 'lookup')
  return (response.json as Bundle).entry?.[0]?.resource?.id ?? null
}

/** An invalid Patient is never sent: the log records it with the elements at fault. */
async function refuseInvalid(ctx: Ctx, resource: Patient, operation: string): Promise<void> {
  const validation = validateEcwPatient(resource)
  if (validation.ok) return
  const message = `Not sent: the Patient is not valid FHIR R4 / US Core — ${validation.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`
  const exchangeId = await ctx.http.recordRefusal({ operation, method: operation === 'create' ? 'POST' : 'PUT', url: ctx.connection.baseUrl, body: resource, message, details: { issues: validation.issues } })
  throw new ConnectorError({ code: 'invalid_fhir', message, retryable: false, details: { exchangeId, issues: validation.issues } })
}

function writebackFailure(response: HttpResponse, operation: string): ConnectorError {
  const writeback = readWritebackError(response)
  if (!writeback) return failure(response, operation)
  if (writeback.code === '201') {
    return new ConnectorError({
      code: 'multiple_patients_found',
      message: `ECW found several patients matching this one (${writeback.existing.map((id) => `Patient/${id}`).join(', ')}): link the right one (PUT /api/patients/{id}/links/{connectionId} with its id), or merge them in ECW and replay`,
      retryable: false,
      httpStatus: response.status,
      details: { exchangeId: response.exchangeId, candidates: writeback.existing },
    })
  }
  const fix = FIELD_TO_FIX[writeback.code]
  return new ConnectorError({
    code: `ecw_${writeback.code}`,
    message: `ECW ${operation} refused: ${writeback.code} ${writeback.key}${fix ? ` — fix ${fix}` : ''} (${writeback.message})`,
    retryable: response.status >= 500,
    httpStatus: response.status,
    details: { exchangeId: response.exchangeId, code: writeback.code, key: writeback.key, expression: writeback.expression },
  })
}

/** The ECW id from a transaction-response (`Patient/{id}/_history/{v}`). */
function createdId(response: HttpResponse): string | null {
  const bundle = response.json as Bundle
  const location = bundle?.entry?.[0]?.response?.location
  return location ? (location.split('/')[1] ?? null) : null
}

function lastModified(response: HttpResponse): string | null {
  const bundle = response.json as Bundle & { meta?: { lastUpdated?: string } }
  return bundle?.entry?.[0]?.response?.lastModified ?? (response.json as Patient)?.meta?.lastUpdated ?? null
}

/** The CRM patient with the settled values written over it (CRM field paths). */
function overlay<T extends object>(patient: T, values: Record<string, unknown>): T {
  const copy = structuredClone(patient) as Record<string, unknown>
  for (const [field, value] of Object.entries(values)) setPath(copy, field, value)
  return copy as T
}
