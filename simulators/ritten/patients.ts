/**
 * The clinic's patient chart as the External API exposes it: create (MRN, prospective), partial
 * update, lookups and the paged list. No HTTP here; routes.ts translates outcomes to answers.
 */
import { randomUUID } from 'node:crypto'
import { EXTERNAL_ID_MATCH, formatMrn, PATCH_RULES, PATIENT_RULES, type FieldError } from './inferred.js'
import { hasName } from './payload.js'
import type {
  AddressInput,
  CreatePatientBody,
  Demographics,
  InsuranceInput,
  PatchPatientBody,
  PatientName,
  ProgramStatus,
  ReferralInput,
} from './payload.js'

export type Address = AddressInput & { id: string }
export type Referral = ReferralInput & { id: string }
export type Insurance = InsuranceInput & { id: string }
export interface Diagnosis {
  diagnosis: string
  isPrimary: boolean
}

/** The spec's `Patient` (list items). Optional fields the clinic has no value for are omitted. */
export interface Patient {
  id: string
  externalId?: string
  mrn: string
  dob?: string
  createdAt: string
  name: PatientName
  programStatus: ProgramStatus
  programs: unknown[]
  phones: string[]
  emails: string[]
}

/** The spec's `PatientDetail`: what GET/PATCH of one patient answer. Never carries the SSN. */
export interface PatientDetail extends Patient {
  addresses: Address[]
  diagnoses: Diagnosis[]
  demographics: Demographics
  referrals: Referral[]
  insurance: Insurance[]
}

export interface PatientPage {
  meta: { count: number; totalCount: number }
  patients: Patient[]
}

export type PatchOutcome =
  | { ok: true; patient: PatientDetail }
  | { ok: false; reason: 'not_found' }
  | { ok: false; reason: 'invalid'; errors: FieldError[] }

/** What the chart stores: the detail plus the write-only SSN. */
interface PatientRecord extends PatientDetail {
  ssn?: string
}

export class PatientBook {
  private readonly byId = new Map<string, PatientRecord>()
  private mrnSequence = 0

  constructor(private readonly now: () => number) {}

  /** Creates a prospective patient with a fresh MRN. Deliberately not idempotent, like Ritten. */
  create(body: CreatePatientBody): { id: string } {
    this.mrnSequence += 1
    const record: PatientRecord = {
      id: randomUUID(),
      ...(body.externalId !== undefined ? { externalId: body.externalId } : {}),
      mrn: formatMrn(this.mrnSequence),
      ...(body.dob !== undefined ? { dob: body.dob } : {}),
      createdAt: new Date(this.now()).toISOString(),
      name: { ...body.name },
      programStatus: 'prospective',
      programs: [],
      phones: [],
      emails: [],
      addresses: [],
      diagnoses: [],
      demographics: {},
      referrals: [],
      insurance: [],
    }
    this.byId.set(record.id, record)
    return { id: record.id }
  }

  get(id: string): PatientDetail | undefined {
    const record = this.byId.get(id)
    return record ? detailView(record) : undefined
  }

  findByExternalId(externalId: string): PatientDetail | undefined {
    const matches = [...this.byId.values()].filter((r) => r.externalId === externalId)
    const record = EXTERNAL_ID_MATCH === 'oldest' ? matches[0] : matches.at(-1)
    return record ? detailView(record) : undefined
  }

  /** One page of the patients in a program status, in creation order. */
  list(programStatus: ProgramStatus, limit: number, offset: number): PatientPage {
    const all = [...this.byId.values()].filter((r) => r.programStatus === programStatus)
    const page = all.slice(offset, offset + limit).map(listView)
    return { meta: { count: page.length, totalCount: all.length }, patients: page }
  }

  /**
   * Applies a PATCH: omitted top-level fields stay, `name` and `demographics` merge field by
   * field, `phones` and `emails` are replaced wholesale, and addresses, referrals and insurance
   * are merged entry by entry (an entry with an id updates it, one without is added; none is
   * removed). Nothing changes unless the whole patch is valid.
   */
  update(id: string, patch: PatchPatientBody): PatchOutcome {
    const current = this.byId.get(id)
    if (!current) return { ok: false, reason: 'not_found' }
    const errors: FieldError[] = []
    const next: PatientRecord = { ...current }

    if (patch.name !== undefined) {
      next.name = { ...current.name, ...patch.name }
      if (!hasName(next.name)) errors.push({ path: 'name', message: `${PATIENT_RULES.messages.noName} (this PATCH would leave none)` })
    }
    if (patch.dob !== undefined) next.dob = patch.dob
    if (patch.ssn !== undefined) next.ssn = patch.ssn.replace(/-/g, '')
    if (patch.externalId !== undefined) next.externalId = patch.externalId
    if (patch.demographics !== undefined) next.demographics = { ...current.demographics, ...clone(patch.demographics) }
    if (patch.phones !== undefined) next.phones = [...patch.phones]
    if (patch.emails !== undefined) next.emails = [...patch.emails]
    if (patch.addresses !== undefined) next.addresses = mergeEntries('addresses', 'address', patch.addresses, current.addresses, errors)
    if (patch.referrals !== undefined) next.referrals = mergeEntries('referrals', 'referral', patch.referrals, current.referrals, errors)
    if (patch.insurance !== undefined) next.insurance = mergeEntries('insurance', 'insurance record', patch.insurance, current.insurance, errors)

    if (errors.length > 0) return { ok: false, reason: 'invalid', errors }
    this.byId.set(id, next)
    return { ok: true, patient: detailView(next) }
  }

  /** Moves a patient between program statuses (admission/discharge happen inside Ritten). */
  setProgramStatus(id: string, programStatus: ProgramStatus): PatientDetail | undefined {
    const record = this.byId.get(id)
    if (!record) return undefined
    record.programStatus = programStatus
    return detailView(record)
  }

  /** Every patient as the API would show it, plus whether an SSN is on file (never the SSN). */
  records(): (PatientDetail & { ssnOnFile: boolean })[] {
    return [...this.byId.values()].map((r) => ({ ...detailView(r), ssnOnFile: r.ssn !== undefined }))
  }

  reset(): void {
    this.byId.clear()
    this.mrnSequence = 0
  }
}

/**
 * Merges the entries a PATCH sends into the patient's list (the spec: "To update an existing
 * address, include the address ID"). An entry naming one of the patient's ids replaces that entry
 * in place and keeps the id; an entry without an id is appended with a fresh id; entries the PATCH
 * does not mention stay, since the spec has no way to remove one.
 */
function mergeEntries<T extends { id?: string }>(
  field: string,
  kind: string,
  entries: T[],
  existing: (T & { id: string })[],
  errors: FieldError[],
): (T & { id: string })[] {
  const merged = existing.map((entry) => clone(entry))
  const position = new Map(merged.map((entry, index) => [entry.id, index]))
  const named = new Set<string>()
  entries.forEach((entry, index) => {
    const { id, ...fields } = clone(entry)
    if (id === undefined) {
      merged.push({ id: randomUUID(), ...fields } as T & { id: string })
      return
    }
    if (named.has(id)) {
      errors.push({ path: `${field}[${index}].id`, message: `the ${kind} with id "${id}" appears more than once in this request` })
      return
    }
    named.add(id)
    const at = position.get(id)
    if (at !== undefined) {
      merged[at] = { id, ...fields } as T & { id: string }
    } else if (PATCH_RULES.unknownEntryId === 'reject') {
      errors.push({ path: `${field}[${index}].id`, message: `this patient has no ${kind} with id "${id}"` })
    } else {
      merged.push({ id: randomUUID(), ...fields } as T & { id: string })
    }
  })
  return merged
}

function listView(record: PatientRecord): Patient {
  return {
    id: record.id,
    ...(record.externalId !== undefined ? { externalId: record.externalId } : {}),
    mrn: record.mrn,
    ...(record.dob !== undefined ? { dob: record.dob } : {}),
    createdAt: record.createdAt,
    name: { ...record.name },
    programStatus: record.programStatus,
    programs: clone(record.programs),
    phones: [...record.phones],
    emails: [...record.emails],
  }
}

function detailView(record: PatientRecord): PatientDetail {
  return {
    ...listView(record),
    addresses: clone(record.addresses),
    diagnoses: clone(record.diagnoses),
    demographics: clone(record.demographics),
    referrals: clone(record.referrals),
    insurance: clone(record.insurance),
  }
}

function clone<T>(value: T): T {
  return structuredClone(value)
}
