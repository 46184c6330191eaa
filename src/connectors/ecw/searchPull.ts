import type { PulledItem, PulledPage, PullResource, ResolvedMapping } from '../connector.js'
import { ConnectorError } from '../errors.js'
import { trimSlash, type HttpResponse } from '../http.js'
import { SearchBundle, parseEcwResource, type EcwResourceType } from './answers.js'
import { ecwCall, failure, requireUnderBase, type EcwContext } from './client.js'
import { coverageToInsurance, ecwIdentifierOf, encounterToView, fhirPatientToCrm, locationToReference, practitionerToReference } from './fromFhir.js'
import { malformed } from './lookup.js'

/**
 * A pull by search: each resource type page by page, following ECW's `next` links (`_count` =
 * the connection's page size).
 *
 * The cursor the engine saves is the `next` link plus a fragment `#resume-offset=N`: how many
 * records of this type came before that page. A fragment never reaches the server; it is the
 * pull's high-water mark. When ECW answers a saved or followed link with 410 (expired) or 400
 * (invalid), the pull resumes from the mark with a fresh search at ECW's declared `page`
 * parameter — the page holding record N, skipping what was already handled on it — instead of
 * failing. A `next` link outside the connection's base URL is refused: the bearer token goes
 * nowhere else.
 */
export async function fetchSearchPage(ctx: EcwContext, resource: PullResource, cursor: string | null, mapping: ResolvedMapping): Promise<PulledPage> {
  const type = FHIR_TYPE[resource]
  const pageSize = ctx.connection.settings.pageSize
  const fresh = (page: number) => `${trimSlash(ctx.connection.baseUrl)}/${type}?_count=${pageSize}${page > 1 ? `&page=${page}` : ''}`
  const saved = cursor ? parseCursor(cursor) : { url: fresh(1), offset: 0 }

  let start = saved.offset
  let skip = 0
  let response = await ecwCall(ctx, { operation: `pull ${type}`, method: 'GET', url: saved.url })
  if (cursor && (response.status === 410 || response.status === 400)) {
    // The link expired or is no longer valid: search again from the high-water mark.
    const page = Math.floor(saved.offset / pageSize) + 1
    start = (page - 1) * pageSize
    skip = saved.offset - start
    response = await ecwCall(ctx, {
      operation: `pull ${type}`,
      method: 'GET',
      url: fresh(page),
      note: `ECW answered ${response.status} to the saved paging link; resumed at record ${saved.offset + 1} (page ${page} of ${pageSize})`,
    })
  }
  if (response.status === 403 && type === 'Coverage') {
    // Structural, not a misconfiguration: ECW advertises no Coverage search scope (only system/Coverage.r).
    return { items: [], next: null, problems: [{ externalId: 'Coverage', message: `not pulled: ${COVERAGE_NOT_SEARCHABLE} (ECW answered 403)` }] }
  }
  if (response.status === 403) throw scopeRefused(response, type)
  if (response.status !== 200) throw failure(response, `pull ${type}`)
  const bundle = SearchBundle.safeParse(response.json)
  if (!bundle.success) throw malformed(response.exchangeId, `the ${type} search answer is not a FHIR searchset Bundle (${bundle.error.issues[0]?.message ?? 'invalid'})`)

  const matches = (bundle.data.entry ?? []).filter((e) => !e.search?.mode || e.search.mode === 'match')
  const items: PulledItem[] = []
  const problems: { externalId: string; message: string }[] = []
  for (const entry of matches.slice(skip)) {
    const read = readItem(resource, entry.resource, mapping, ctx.connection.settings.identifierSystem)
    if ('item' in read) items.push(read.item)
    else problems.push({ externalId: entry.resource?.id ?? entry.fullUrl ?? '?', message: `not read: ${read.problem}` })
  }

  const link = bundle.data.link?.find((l) => l.relation === 'next')?.url ?? null
  if (link) requireUnderBase(ctx.connection.baseUrl, link, `pull ${type} (the answer's next link)`)
  const next = link ? `${link.split('#')[0]}${MARK}${start + matches.length}` : null
  return { items, next, ...(bundle.data.total !== undefined ? { total: bundle.data.total } : {}), ...(problems.length ? { problems } : {}) }
}

const MARK = '#resume-offset='

const FHIR_TYPE: Record<PullResource, EcwResourceType> = {
  practitioner: 'Practitioner',
  location: 'Location',
  patient: 'Patient',
  insurance: 'Coverage',
  encounter: 'Encounter',
}

function parseCursor(cursor: string): { url: string; offset: number } {
  const at = cursor.lastIndexOf(MARK)
  if (at < 0) return { url: cursor, offset: 0 }
  const offset = Number(cursor.slice(at + MARK.length))
  return { url: cursor.slice(0, at), offset: Number.isSafeInteger(offset) && offset >= 0 ? offset : 0 }
}

const COVERAGE_NOT_SEARCHABLE = 'ECW advertises system/Coverage.r (read by id) and no Coverage search scope, so insurance cannot be pulled by search'

/** ECW's scopes do not allow this search: name the scope to grant. */
function scopeRefused(response: HttpResponse, type: string): ConnectorError {
  return new ConnectorError({
    code: 'scope_refused',
    message: `ECW refused to search ${type} with this connection's scopes (403): grant system/${type}.rs to this client in ECW and list it in the connection's scopes — ${failure(response, `pull ${type}`).message}`,
    retryable: false,
    httpStatus: 403,
    details: { exchangeId: response.exchangeId },
  })
}

/** One entry as a pulled item, or why it cannot be read. */
/** One FHIR resource of a search page or an export file as a pulled item, or why it cannot be read. */
export function readItem(resource: PullResource, value: unknown, mapping: ResolvedMapping, identifierSystem: string): { item: PulledItem } | { problem: string } {
  switch (resource) {
    case 'practitioner': {
      const parsed = parseEcwResource('Practitioner', value)
      if (!parsed.ok) return { problem: parsed.message }
      const ref = practitionerToReference(parsed.value)
      return { item: { type: 'reference', kind: 'practitioner', externalId: ref.ecwId, label: ref.label, data: ref as unknown as Record<string, unknown> } }
    }
    case 'location': {
      const parsed = parseEcwResource('Location', value)
      if (!parsed.ok) return { problem: parsed.message }
      const ref = locationToReference(parsed.value)
      return { item: { type: 'reference', kind: 'location', externalId: ref.ecwId, label: ref.label, data: ref as unknown as Record<string, unknown> } }
    }
    case 'patient': {
      const parsed = parseEcwResource('Patient', value)
      if (!parsed.ok) return { problem: parsed.message }
      const patient = parsed.value
      const { fields, unmapped } = fhirPatientToCrm(patient, mapping)
      return { item: { type: 'patient', externalId: patient.id!, crmId: ecwIdentifierOf(patient, identifierSystem), fields, emrUpdatedAt: patient.meta?.lastUpdated ?? null, unmapped } }
    }
    case 'insurance': {
      const parsed = parseEcwResource('Coverage', value)
      if (!parsed.ok) return { problem: parsed.message }
      const view = coverageToInsurance(parsed.value)
      if (!view.patientEcwId) return { problem: 'Coverage.beneficiary is not a Patient reference' }
      return { item: { type: 'insurance', externalId: parsed.value.id!, patientExternalId: view.patientEcwId, data: view as unknown as Record<string, unknown> } }
    }
    case 'encounter': {
      const parsed = parseEcwResource('Encounter', value)
      if (!parsed.ok) return { problem: parsed.message }
      const view = encounterToView(parsed.value)
      if (!view.patientEcwId) return { problem: 'Encounter.subject is not a Patient reference' }
      return { item: { type: 'encounter', externalId: parsed.value.id!, patientExternalId: view.patientEcwId, data: view as unknown as Record<string, unknown> } }
    }
  }
}
