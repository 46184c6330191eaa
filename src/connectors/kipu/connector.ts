import { z } from 'zod'
import type { Connector, FlowStep, PatientPushInput, PulledItem, PulledPage, ResolvedMapping } from '../connector.js'
import { ConnectorError } from '../errors.js'
import { trimSlash, type HttpResponse } from '../http.js'
import { getPath } from '../../mapping/paths.js'
import { reconcile } from '../../mapping/reconcile.js'
import {
  CreatedPatient,
  KipuSecrets,
  KipuSettings,
  Pagination,
  PatientEnvelope,
  PatientPage,
  expectOk,
  kipuCall,
  kipuMessage,
  parseBody,
  parseCasefile,
  verifyKipuSignature,
  type KipuContext,
  type KipuPatientViewT,
  type KipuSecretsT,
  type KipuSettingsT,
} from './client.js'
import { kipuDefaults, kipuFields } from './fields.js'
import { buildKipuWrite, crmFieldsAsKipuHolds, readKipuPatient } from './payload.js'

type Step = FlowStep<PatientPushInput, KipuSettingsT, KipuSecretsT>

/** What a KIPU pull reads, in order: reference lists first (F4), then patients with their insurance and contacts. */
export const KIPU_PULL_RESOURCES = ['location', 'careLevel', 'payor', 'referrer', 'patient'] as const
export type KipuPullResource = (typeof KIPU_PULL_RESOURCES)[number]

/** A lookup of a lost create reads `latest` from a little before the create began (clocks differ). */
const LOOKUP_MARGIN_MS = 10 * 60_000

/**
 * Create (the KIPU integration article): POST /api/patients with the whole payload and our id as
 * sending_app_patient_id. KIPU's create is not idempotent, so when an earlier attempt started a
 * create whose answer never came (or a person cleared the link), the patient is first looked up by
 * sending_app_patient_id and adopted if KIPU has it.
 */
const createStep: Step = {
  name: 'create',
  skip: (_input, ctx) => ctx.link.externalId !== null,
  async run(input, ctx) {
    const started = ctx.progress.started.create
    if (started || ctx.link.clearedByHand) {
      const since = new Date((started ? Date.parse(started.at) : Date.parse(input.patient.createdAt)) - LOOKUP_MARGIN_MS)
      const found = await findBySendingAppId(ctx, input.patient.id, since)
      if (found) return { link: { externalId: found.casefile_id, externalMrn: textOf(found.mr_number), state: 'partial' }, output: { adopted: found.casefile_id } }
    }
    const settings = ctx.connection.settings
    const write = buildKipuWrite(input, settings)
    const startedAt = ctx.now()
    const response = await kipuCall(ctx, {
      operation: 'create',
      method: 'POST',
      path: '/api/patients',
      json: write.body,
      note: write.insuranceNote ?? undefined,
      details: write.dropped.length > 0 ? { dropped: write.dropped } : undefined,
    })
    const created = parseBody(CreatedPatient, expectOk(ctx, response, 'create'), 'create')
    // KIPU's 201 body is not public: use the ids when it sends them, else find the new chart by our id.
    const casefileId = created.casefile_id ?? created.patient?.casefile_id ?? (await findBySendingAppId(ctx, input.patient.id, new Date(startedAt.getTime() - LOOKUP_MARGIN_MS)))?.casefile_id
    if (!casefileId || !parseCasefile(casefileId)) {
      throw new ConnectorError({
        code: 'created_not_found',
        message: 'KIPU answered 201 to the create but the new patient could not be found by its sending_app_patient_id; the hub will look again',
        retryable: true,
        details: { exchangeId: response.exchangeId },
      })
    }
    const values = crmFieldsAsKipuHolds(input.patient, input.mapping, settings.facilityTimeZone)
    return {
      link: { externalId: casefileId, state: 'linked' },
      output: { created: true, casefileId },
      sync: { values, emrUpdatedAt: null, conflicts: [], crmChanges: {} },
    }
  },
}

/**
 * Update: read the KIPU patient, settle each field KIPU returns by its owner rule (F16), and PATCH
 * what the CRM won plus the fields KIPU accepts but never returns (the CRM is their only source),
 * with the gated insurance and the contacts. What KIPU won goes back to the CRM.
 */
const updateStep: Step = {
  name: 'update',
  skip: (_input, ctx) => ctx.done.create?.output?.created === true,
  async run(input, ctx) {
    const ids = parseCasefile(ctx.link.externalId)
    if (!ids) throw new ConnectorError({ code: 'no_external_id', message: 'The KIPU casefile id is unknown; the create step must run first', retryable: false })
    const settings = ctx.connection.settings
    const read = await kipuCall(ctx, { operation: 'read', method: 'GET', path: `/api/patients/${ids.id}`, query: { patient_master_id: ids.patientMasterId, phi_level: 'high' } })
    if (read.status === 404) throw staleLink(ctx.link.externalId!, read)
    const current = parseBody(PatientEnvelope, expectOk(ctx, read, 'read'), 'read').patient
    const emr = readKipuPatient(current, input.mapping, settings.facilityTimeZone)
    const asHeld = crmFieldsAsKipuHolds(input.patient, input.mapping, settings.facilityTimeZone)
    const fields = [...new Set(input.mapping.fieldMap.map((m) => m.crm))].filter((f) => f !== 'id' && f in emr.fields)
    const crm = Object.fromEntries(fields.map((f) => [f, f in asHeld ? asHeld[f] : (getPath(input.patient, f) ?? null)]))
    const result = reconcile({
      fields,
      crm,
      emr: emr.fields,
      base: ctx.link.syncedValues ?? null,
      ownership: input.mapping.ownership,
      crmUpdatedAt: new Date(input.patient.updatedAt),
      emrUpdatedAt: emr.updatedAt ? new Date(emr.updatedAt) : null,
    })

    const write = buildKipuWrite(input, settings)
    const data = write.body.document.data
    for (const path of Object.keys(data)) {
      const readBack = input.mapping.fieldMap.filter((m) => m.emr === path && fields.includes(m.crm)).map((m) => m.crm)
      // A field KIPU returns goes only when the CRM won it; KIPU's own value stands otherwise.
      if (readBack.length > 0 && !readBack.some((f) => f in result.toEmr)) delete data[path]
    }
    const conflictNote = result.conflicts.length ? `conflicts settled: ${result.conflicts.map((c) => `${c.field} → ${c.winner} (${c.rule})`).join(', ')}` : null
    const response = await kipuCall(ctx, {
      operation: 'patch',
      method: 'PATCH',
      path: `/api/patients/${ids.id}`,
      query: { patient_master_id: ids.patientMasterId },
      json: write.body,
      note: [write.insuranceNote, conflictNote].filter(Boolean).join(' — ') || undefined,
      details: { ...(write.dropped.length ? { dropped: write.dropped } : {}), ...(result.conflicts.length ? { conflicts: result.conflicts } : {}) },
    })
    if (response.status === 404) throw staleLink(ctx.link.externalId!, response)
    const patched = parseBody(PatientEnvelope, expectOk(ctx, response, 'patch'), 'patch').patient
    return {
      link: { externalMrn: textOf(patched.mr_number) ?? emr.mrn, state: 'linked' },
      output: { sent: Object.keys(data), won: Object.keys(result.toEmr) },
      sync: { values: result.merged, emrUpdatedAt: textOf(patched.last_updated_at) ?? emr.updatedAt, conflicts: result.conflicts, crmChanges: result.toCrm },
    }
  },
}

export const kipuConnector: Connector<KipuSettingsT, KipuSecretsT, KipuPullResource> = {
  kind: 'kipu',
  title: 'KIPU',
  settingsSchema: KipuSettings,
  secretsSchema: KipuSecrets,
  capabilities: {
    patient: {
      push: { supported: true, note: 'create (POST /api/patients) with the KIPU integration article\u2019s payload, then PATCH; a lost create is found by sending_app_patient_id' },
      pull: { supported: true, note: 'census, then latest by updated-at; only admitted patients (first and last name, DOB, admission date, MR number)' },
    },
    insurance: {
      push: { supported: true, note: 'insurances_attributes inside the create/PATCH, when the payer code is mapped (F13)' },
      pull: { supported: true, note: 'read-only on the patient' },
    },
    location: { push: { supported: false, reason: 'Locations are managed in KIPU' }, pull: { supported: true, note: 'dropdown values (also care levels, payors, referrers)' } },
    encounter: { push: { supported: false, reason: 'Not part of the KIPU integration' }, pull: { supported: false, reason: 'Not part of the KIPU integration' } },
    practitioner: { push: { supported: false, reason: 'Not part of the KIPU integration' }, pull: { supported: false, reason: 'Not part of the KIPU integration' } },
    preAssessment: { push: { supported: false, reason: 'Not part of the KIPU integration' }, pull: { supported: false, reason: 'Not part of the KIPU integration' } },
  },
  fields: kipuFields,
  defaults: kipuDefaults,
  // KIPU publishes no rate limit; the hub paces each connection (settable) and honours 503.
  rateLimit: (settings) => ({ kind: 'bucket', capacity: settings.requestsPerSecond * 2, refillPerSecond: settings.requestsPerSecond }),
  defaultPullSchedule: '0 */2 * * *',
  async test(ctx) {
    try {
      const response = await kipuCall(ctx, { operation: 'test', method: 'GET', path: '/api/locations' })
      if (response.status === 404) {
        return { ok: false, code: 'not_kipu', message: `No KIPU API at ${trimSlash(ctx.connection.baseUrl)}/api/locations (404): check the base URL (e.g. https://api.kipuapi.com)` }
      }
      const page = parseBody(z.object({ locations: z.array(z.unknown()), pagination: Pagination.optional() }), expectOk(ctx, response, 'test'), 'test')
      const count = page.pagination ? Number(page.pagination.total_records) : page.locations.length
      return { ok: true, message: `Connected to KIPU (app ${ctx.connection.settings.appId}): signature accepted, ${count} locations readable`, details: { locations: count } }
    } catch (err) {
      if (err instanceof ConnectorError) {
        const code = err.code === 'network' || err.code === 'timeout' ? 'unreachable' : err.code
        const message = code === 'unreachable' ? `KIPU is unreachable at ${trimSlash(ctx.connection.baseUrl)}: ${err.message.replace(/^test: /, '')}` : err.message
        return { ok: false, code, message }
      }
      throw err
    }
  },
  flows: {
    pushPatient: {
      steps: [createStep, updateStep],
      preview(input, link, settings) {
        const write = buildKipuWrite(input, settings)
        const ids = parseCasefile(link.externalId)
        return {
          steps: ids
            ? [{ step: 'update', method: 'PATCH', path: `/api/patients/${ids.id}?patient_master_id=${ids.patientMasterId}`, body: write.body }]
            : [{ step: 'create', method: 'POST', path: '/api/patients', body: write.body }],
          dropped: write.dropped,
        }
      },
    },
    pull: {
      resources: KIPU_PULL_RESOURCES,
      importsUnmatched: (settings) => settings.importNewPatients,
      crmAsHeld: (patient, mapping, settings) => crmFieldsAsKipuHolds(patient, mapping, settings.facilityTimeZone),
      async fetchPage(ctx, resource, cursor, mapping, window) {
        const per = String(ctx.connection.settings.pageSize)
        switch (resource) {
          case 'location':
            return referencePage(ctx, cursor ?? pagePath('/api/locations', { per }), 'locations', (l) => ({ kind: 'location', externalId: String(l.location_id), label: String(l.location_name ?? l.location_id) }))
          case 'careLevel':
            return referencePage(ctx, cursor ?? pagePath('/api/care_levels', { per }), 'care_levels', (c) => ({ kind: 'care_level', externalId: String(c.id), label: String(c.name ?? c.id) }))
          case 'payor':
            // The payer-code map sends the payor's name as insurance_company: the name is the value to pick.
            return referencePage(ctx, cursor ?? pagePath('/api/settings/payors', { per }), 'payors', (p) => ({ kind: 'payor', externalId: String(p.name ?? p.id), label: String(p.name ?? p.id) }))
          case 'referrer':
            return referencePage(ctx, cursor ?? pagePath('/api/contacts/referrers', { per }), 'referrers', (r) => ({ kind: 'referrer', externalId: String(r.id), label: String(r.name ?? r.id) }))
          case 'patient': {
            // The first pull reads the census; later ones what changed since the last (with a margin for clocks).
            const first = window?.since
              ? pagePath('/api/patients/latest', {
                  phi_level: 'high',
                  start_date: new Date(window.since.getTime() - LOOKUP_MARGIN_MS).toISOString(),
                  end_date: new Date(ctx.now().getTime() + LOOKUP_MARGIN_MS).toISOString(),
                  per,
                })
              : pagePath('/api/patients/census', { phi_level: 'high', per })
            return patientPage(ctx, cursor ?? first, mapping)
          }
        }
      },
    },
    pullRecord: {
      async fetch(ctx, target, mapping) {
        const ids = parseCasefile(target.externalId)
        if (!ids) throw new ConnectorError({ code: 'bad_external_id', message: `"${target.externalId}" is not a KIPU casefile id ("{location_patient_id}:{patient_master_id}")`, retryable: false })
        const response = await kipuCall(ctx, { operation: 'pull patient', method: 'GET', path: `/api/patients/${ids.id}`, query: { patient_master_id: ids.patientMasterId, phi_level: 'high' } })
        if (response.status === 404) throw staleLink(target.externalId, response)
        const view = parseBody(PatientEnvelope, expectOk(ctx, response, 'pull patient'), 'pull patient').patient
        return toPulledItems(view, mapping, ctx.connection.settings.facilityTimeZone)
      },
    },
  },
  inbound: {
    description:
      'Give KIPU the URL POST {hub}/api/inbound/kipu/{connectionId} for its "Patient Creation" and "Chart Update" webhooks. KIPU signs each call with APIAuth like a request — HMAC-SHA1 with this connection\u2019s secret key over Content-Type, Content-MD5 of the raw body, the request URI and a Date within 15 minutes — so no API key is given to KIPU. Each event pulls that one patient.',
    verify(request, connection) {
      const refusal = verifyKipuSignature(request, { accessId: connection.settings.accessId, secretKey: connection.secrets.secretKey })
      return refusal ? { status: 401, ...refusal } : null
    },
    parse(request, connection) {
      let json: unknown
      try {
        json = JSON.parse(request.rawBody.toString('utf8'))
      } catch {
        return { ok: false, refusal: { status: 400, code: 'invalid_json', message: 'The body is not JSON: send {"event_id", "event", "casefile_id", …}' } }
      }
      const parsed = KipuWebhook.safeParse(json)
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!
        return { ok: false, refusal: { status: 400, code: 'invalid_event', message: `${issue.path.join('.') || 'body'}: ${issue.message}` } }
      }
      const event = parsed.data
      if (event.app_id !== undefined && String(event.app_id) !== connection.settings.appId) {
        return { ok: false, refusal: { status: 403, code: 'app_mismatch', message: `The event is for app ${String(event.app_id)}, not this connection's app ${connection.settings.appId}` } }
      }
      return { ok: true, events: [{ id: event.event_id, type: event.event, work: { kind: 'pull_record', recordType: 'patient', externalId: event.casefile_id } }] }
    },
  },
}

/** [P] KIPU's webhook body (its wire format is not public): see simulators/kipu/inferred.ts. */
const KipuWebhook = z
  .object({
    event_id: z.string().trim().min(1, 'event_id is required (the same id is applied once)').max(200),
    event: z.enum(['Patient Creation', 'Chart Update'], { error: 'event must be "Patient Creation" or "Chart Update"' }),
    casefile_id: z.string().regex(/^\d+:[0-9A-Za-z-]+$/, 'casefile_id must be "{location_patient_id}:{patient_master_id}"'),
    app_id: z.union([z.string(), z.number()]).optional(),
  })
  .passthrough()

/** A patient page: admitted patients (with their insurance and contacts), the others as waiting (F15). */
async function patientPage(ctx: KipuContext, path: string, mapping: ResolvedMapping): Promise<PulledPage> {
  const response = await kipuCall(ctx, { operation: 'pull patients', method: 'GET', path })
  const page = parseBody(PatientPage, expectOk(ctx, response, 'pull patients'), 'pull patients')
  const items = page.patients.flatMap((view) => toPulledItems(view, mapping, ctx.connection.settings.facilityTimeZone))
  return { items, next: nextPage(path, page.pagination), total: Number(page.pagination.total_records) }
}

export function toPulledItems(view: KipuPatientViewT, mapping: ResolvedMapping, timeZone: string): PulledItem[] {
  const read = readKipuPatient(view, mapping, timeZone)
  const casefileId = view.casefile_id
  if (read.missing.length > 0) {
    const name = [view.first_name, view.last_name].filter((v) => typeof v === 'string' && v).join(' ')
    return [{ type: 'waiting', recordType: 'patient', externalId: casefileId, label: name || casefileId, missing: read.missing }]
  }
  const items: PulledItem[] = [
    { type: 'patient', externalId: casefileId, crmId: read.crmId, mrn: read.mrn, fields: read.fields, emrUpdatedAt: read.updatedAt, unmapped: read.unmapped },
  ]
  const list = (key: string) => (Array.isArray(view[key]) ? (view[key] as Record<string, unknown>[]) : [])
  list('insurances').forEach((insurance, i) => {
    items.push({
      type: 'insurance',
      externalId: `${casefileId}:insurance:${textOf(insurance.member_id) ?? i}`,
      patientExternalId: casefileId,
      data: { memberId: textOf(insurance.member_id), groupNumber: textOf(insurance.group_number), company: textOf(insurance.insurance_company), priority: textOf(insurance.insurance_type) },
    })
  })
  list('patient_contacts').forEach((contact, i) => {
    items.push({
      type: 'contact',
      externalId: `${casefileId}:contact:${textOf(contact.name) ?? i}`,
      patientExternalId: casefileId,
      data: { name: textOf(contact.name), relationship: textOf(contact.relationship), phone: textOf(contact.phone) },
    })
  })
  return items
}

async function referencePage(
  ctx: KipuContext,
  path: string,
  key: string,
  toItem: (row: Record<string, unknown>) => { kind: Extract<PulledItem, { type: 'reference' }>['kind']; externalId: string; label: string },
): Promise<PulledPage> {
  const operation = `pull ${key}`
  const response = await kipuCall(ctx, { operation, method: 'GET', path })
  const page = parseBody(z.object({ pagination: Pagination.optional() }).catchall(z.unknown()), expectOk(ctx, response, operation), operation)
  const rows = Array.isArray(page[key]) ? (page[key] as Record<string, unknown>[]) : []
  const items: PulledItem[] = rows.filter((r) => r && typeof r === 'object').map((row) => ({ type: 'reference', ...toItem(row), data: row }))
  return { items, next: page.pagination ? nextPage(path, page.pagination) : null, ...(page.pagination ? { total: Number(page.pagination.total_records) } : {}) }
}

/** The next page's path, while KIPU's (string) pagination says there is one. */
function nextPage(path: string, pagination: z.output<typeof Pagination>): string | null {
  const current = Number(pagination.current_page)
  const total = Number(pagination.total_pages)
  if (!Number.isFinite(current) || !Number.isFinite(total) || current >= total) return null
  const url = new URL(path, 'http://kipu.invalid')
  url.searchParams.set('page', String(current + 1))
  return `${url.pathname}${url.search}`
}

function pagePath(path: string, query: Record<string, string>): string {
  return `${path}?${new URLSearchParams({ ...query, page: '1' }).toString()}`
}

/** The chart made for a CRM patient, found among KIPU's recent updates by sending_app_patient_id. */
async function findBySendingAppId(ctx: KipuContext, patientId: string, since: Date): Promise<KipuPatientViewT | null> {
  let path: string | null = pagePath('/api/patients/latest', {
    phi_level: 'high',
    start_date: since.toISOString(),
    end_date: new Date(ctx.now().getTime() + LOOKUP_MARGIN_MS).toISOString(),
    per: '100',
  })
  while (path) {
    const response = await kipuCall(ctx, { operation: 'lookup', method: 'GET', path })
    const page = parseBody(PatientPage, expectOk(ctx, response, 'lookup'), 'lookup')
    const found = page.patients.find((p) => p.sending_app_patient_id === patientId)
    if (found) return found
    path = nextPage(path, page.pagination)
  }
  return null
}

function staleLink(casefileId: string, response: HttpResponse): ConnectorError {
  return new ConnectorError({
    code: 'stale_link',
    message: `The linked KIPU patient ${casefileId} no longer exists (404: ${kipuMessage(response)}): link the patient to its current chart, or clear the link to create it again (PUT /api/patients/{id}/links/{connectionId})`,
    retryable: false,
    httpStatus: 404,
    details: { exchangeId: response.exchangeId },
  })
}

function textOf(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : typeof value === 'number' ? String(value) : null
}
