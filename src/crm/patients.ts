import { newId } from '../db/ids.js'
import { z } from 'zod'
import { sql, type ExpressionBuilder, type RawBuilder, type Selectable } from 'kysely'
import type { DbOrTx } from '../db/database.js'
import { fixedQuery } from '../db/fixedQuery.js'
import type { AuditEventRecord } from '../security/audit.js'
import type { LinkView } from '../engine/links.js'
import type { NewRecordPushes } from '../engine/jobs.js'
import type { Database, PatientsTable } from '../db/schema.js'
import { applyCursor, toPage, type Page } from '../db/cursor.js'
import { toAccount, type Account } from './accounts.js'
import { Address, CustomFields, Email, IsoDate, Phone, Text } from './fields.js'
import { BirthSex, Ethnicity, Gender, MaritalStatus, PaymentMethod, Race } from './vocabulary.js'

/** A patient's demographics as the CRM holds them (F1). Field names are the public API's. */
const PatientFields = {
  firstName: Text(100).min(1, 'firstName is required'),
  middleName: Text(100).nullish(),
  lastName: Text(100).min(1, 'lastName is required'),
  preferredName: Text(100).nullish(),
  dob: IsoDate.nullish(),
  gender: Gender.nullish(),
  maritalStatus: MaritalStatus.nullish(),
  phone: Phone.nullish(),
  alternatePhone: Phone.nullish(),
  email: Email.nullish(),
  address: Address.nullish(),
  language: Text(60).nullish(),
  race: Race.nullish(),
  ethnicity: Ethnicity.nullish(),
  birthSex: BirthSex.nullish(),
  admissionDate: IsoDate.nullish(),
  dischargeDate: IsoDate.nullish(),
  programId: Text(100).nullish(),
  levelOfCare: Text(100).nullish(),
  locationId: Text(100).nullish(),
  referrerName: Text(200).nullish(),
  firstContactName: Text(200).nullish(),
  paymentMethod: PaymentMethod.nullish(),
  accountId: z.string().uuid('accountId must be the id of a parent account').nullish(),
  customFields: CustomFields,
}

export const PatientInput = z.object({ ...PatientFields, customFields: CustomFields.default({}) }).strict()
/** No defaults here: a field left out of a PATCH must stay as it is. */
export const PatientPatch = z
  .object(PatientFields)
  .partial()
  .strict()
  .refine((p) => Object.keys(p).length > 0, 'send at least one field to change')

export type PatientInputT = z.output<typeof PatientInput>
export type PatientPatchT = z.output<typeof PatientPatch>

export interface Patient {
  id: string
  firstName: string
  middleName: string | null
  lastName: string
  preferredName: string | null
  dob: string | null
  gender: z.infer<typeof Gender> | null
  maritalStatus: z.infer<typeof MaritalStatus> | null
  phone: string | null
  alternatePhone: string | null
  email: string | null
  address: z.infer<typeof Address> | null
  language: string | null
  race: z.infer<typeof Race> | null
  ethnicity: z.infer<typeof Ethnicity> | null
  birthSex: z.infer<typeof BirthSex> | null
  admissionDate: string | null
  dischargeDate: string | null
  programId: string | null
  levelOfCare: string | null
  locationId: string | null
  referrerName: string | null
  firstContactName: string | null
  paymentMethod: z.infer<typeof PaymentMethod> | null
  accountId: string | null
  customFields: Record<string, string | number | boolean | null>
  version: number
  createdAt: string
  updatedAt: string
}

/** API field → column. One list, used for inserts, updates and reads. */
const COLUMNS = {
  firstName: 'first_name',
  middleName: 'middle_name',
  lastName: 'last_name',
  preferredName: 'preferred_name',
  dob: 'dob',
  gender: 'gender',
  maritalStatus: 'marital_status',
  phone: 'phone',
  alternatePhone: 'alternate_phone',
  email: 'email',
  address: 'address',
  language: 'language',
  race: 'race',
  ethnicity: 'ethnicity',
  birthSex: 'birth_sex',
  admissionDate: 'admission_date',
  dischargeDate: 'discharge_date',
  programId: 'program_id',
  levelOfCare: 'level_of_care',
  locationId: 'location_id',
  referrerName: 'referrer_name',
  firstContactName: 'first_contact_name',
  paymentMethod: 'payment_method',
  accountId: 'account_id',
  customFields: 'custom_fields',
} as const satisfies Record<keyof typeof PatientFields, keyof PatientsTable>

const JSON_COLUMNS = new Set(['address', 'custom_fields'])

/** A new patient's row: a new id, its organization, and each field's column (null where not given); JSON columns hold their values. */
function newPatientRow(organizationId: string, input: PatientInputT): Record<string, unknown> {
  const row: Record<string, unknown> = { id: newId(), organization_id: organizationId }
  for (const [field, column] of Object.entries(COLUMNS)) row[column] = (input as Record<string, unknown>)[field] ?? null
  return row
}

/** The columns newPatientRow fills, in its order. */
const PATIENT_ROW_COLUMNS = sql.join(['id', 'organization_id', ...Object.values(COLUMNS)].map((c) => sql.ref(c)))

/** A row as bound parameters: JSON columns as their text. */
function asParameters(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).map(([column, value]) => [column, toColumn(column, value)]))
}

export async function createPatient(db: DbOrTx, organizationId: string, input: PatientInputT): Promise<Patient> {
  const row = await db
    .insertInto('patients')
    .values(asParameters(newPatientRow(organizationId, input)) as never)
    .returningAll()
    .executeTakeFirstOrThrow()
  return toPatient(row)
}

/**
 * A new patient and the audit event of its creation, written by one statement: a statement is a
 * transaction of its own, so the API's create of a patient nobody pushes needs no BEGIN and COMMIT
 * (on the embedded database every statement is a turn of the one PGlite backend; on PostgreSQL a
 * round trip). The audit commits with the patient or not at all. The row goes in as one JSON
 * value read by the table's own row type (jsonb_populate_record), so each column gets its type.
 *
 * `pushes` (the engine's `newPatientPushes`) adds the patient's pushes to this statement: for each
 * enabled connection of the organization that takes patients, its link, push job and the
 * wake-up, written with the patient or not at all (no BEGIN/COMMIT either way); the
 * links come back as `links`. With `unlessPushTargets` the statement leaves the pushes out and
 * writes nothing when there is such a connection (`patient` null): the shorter statement for an
 * organization nobody pushes to (planning the pushes' CTEs costs every create: embedded, 1.8 →
 * 2.9 ms of CPU per create with no connection). Either way it says whether there is one.
 */
export async function insertPatientWithAudit(
  db: DbOrTx,
  organizationId: string,
  input: PatientInputT,
  auditEvent: (patientId: string) => AuditEventRecord,
  options: { pushes: NewRecordPushes; unlessPushTargets: boolean } | { pushes?: undefined; unlessPushTargets?: undefined } = {},
): Promise<{ patient: Patient | null; hasPushTargets: boolean; links: LinkView[] }> {
  // JSON columns go in as JSON values here (the whole row is one JSON value), not as parameters' text.
  const record = newPatientRow(organizationId, input)
  const event = auditEvent(record.id as string)
  const columns = sql.join(Object.keys(record).map((c) => sql.ref(c)))
  const eventColumns = sql.join(Object.keys(event).map((c) => sql.ref(c)))
  const { pushes, unlessPushTargets } = options
  const pushing = pushes !== undefined && !unlessPushTargets
  const withPushes = pushing ? sql`, ${pushes.ctes}` : sql``
  const links = pushing ? pushes.pushedLinksColumn : sql`'[]'::jsonb`
  const onlyAlone = unlessPushTargets ? sql`where not exists (select 1 from targets)` : sql``
  const { rows } = await sql<Selectable<PatientsTable> & { has_push_targets: boolean; pushed_links: LinkView[] }>`
    with targets as (
      select id, connector, created_at from connections
      where organization_id = ${organizationId} and enabled and connector = any(${[...(pushes?.connectors ?? [])]}::text[])
    ),
    created as (
      insert into patients (${columns})
      select ${columns} from jsonb_populate_record(null::patients, ${JSON.stringify(record)}::jsonb) ${onlyAlone}
      returning *
    ),
    audited as (
      insert into audit_events (${eventColumns})
      select ${eventColumns} from jsonb_populate_record(null::audit_events, ${JSON.stringify(event)}::jsonb)
      where exists (select 1 from created)
    )${withPushes}
    select exists (select 1 from targets) as has_push_targets, ${links} as pushed_links, created.*
    from (select 1) as one left join created on true`.execute(db)
  const { has_push_targets: hasPushTargets, pushed_links: pushed, ...row } = rows[0]!
  return { patient: row.id === null ? null : toPatient(row as Selectable<PatientsTable>), hasPushTargets, links: pushed }
}

/**
 * Inserts many patients in one statement (pulls bring them by the page). Returns each new
 * patient's id and version, in the order of `inputs`: a pull of thousands needs no more back, and
 * reading every column of every new row back would cost it as much as writing them.
 */
export async function createPatients(db: DbOrTx, organizationId: string, inputs: PatientInputT[]): Promise<{ id: string; version: number }[]> {
  if (inputs.length === 0) return []
  // The rows go in as one JSON parameter read by the table's row type (jsonb_populate_recordset, as
  // createPatientAudited reads its one row): as bound parameters a page of 500 was 13,500 of
  // them, each a value node the query builder made and compiled and the driver serialized.
  const rows = inputs.map((input) => newPatientRow(organizationId, input))
  const inserted = new Map(
    (
      await sql<{ id: string; version: number }>`
        insert into patients (${PATIENT_ROW_COLUMNS})
        select ${PATIENT_ROW_COLUMNS} from jsonb_populate_recordset(null::patients, ${JSON.stringify(rows)}::jsonb)
        returning id, version`.execute(db)
    ).rows.map((r) => [r.id, r.version]),
  )
  return rows.map((r) => ({ id: r.id as string, version: inserted.get(r.id as string)! }))
}

export async function getPatients(db: DbOrTx, organizationId: string, ids: string[]): Promise<Patient[]> {
  if (ids.length === 0) return []
  const rows = await db.selectFrom('patients').selectAll().where('organization_id', '=', organizationId).where('id', 'in', ids).execute()
  return rows.map(toPatient)
}

export async function getPatient(db: DbOrTx, organizationId: string, id: string): Promise<Patient | null> {
  const row = await db
    .selectFrom('patients')
    .selectAll()
    .where('id', '=', id)
    .where('organization_id', '=', organizationId)
    .executeTakeFirst()
  return row ? toPatient(row) : null
}

/**
 * A patient with its parent account, in one statement: every push job reads both, and the account's
 * id is only known from the patient's row, so two reads went one after the other before. Null when
 * the patient is gone; `account` null when it has none.
 */
export async function getPatientWithAccount(db: DbOrTx, organizationId: string, id: string): Promise<{ patient: Patient; account: Account | null } | null> {
  const [row] = (await patientWithAccount(db, { organizationId, id })).rows
  if (!row) return null
  const account =
    row.account__id === null
      ? null
      : toAccount({
          id: row.account__id,
          name: row.account__name!,
          email: row.account__email,
          phone: row.account__phone,
          insurances: row.account__insurances as unknown[],
          version: row.account__version!,
          created_at: row.account__created_at!,
          updated_at: row.account__updated_at!,
        })
  return { patient: toPatient(row), account }
}

// Every push job reads its patient so: the statement is built once (fixedQuery).
const patientWithAccount = fixedQuery((db, key: { organizationId: string; id: string }) =>
  db
    .selectFrom('patients')
    .leftJoin('accounts', (join) => join.onRef('accounts.id', '=', 'patients.account_id').onRef('accounts.organization_id', '=', 'patients.organization_id'))
    .selectAll('patients')
    .select([
      'accounts.id as account__id',
      'accounts.name as account__name',
      'accounts.email as account__email',
      'accounts.phone as account__phone',
      'accounts.insurances as account__insurances',
      'accounts.version as account__version',
      'accounts.created_at as account__created_at',
      'accounts.updated_at as account__updated_at',
    ])
    .where('patients.id', '=', key.id)
    .where('patients.organization_id', '=', key.organizationId),
)

/** Applies a partial update and bumps the version; `customFields` merges key by key (null removes a key). */
export async function updatePatient(db: DbOrTx, organizationId: string, id: string, patch: PatientPatchT): Promise<Patient | null> {
  const current = await getPatient(db, organizationId, id)
  if (!current) return null
  const set: Record<string, unknown> = {}
  for (const [field, column] of Object.entries(COLUMNS)) {
    if (!(field in patch)) continue
    let value = (patch as Record<string, unknown>)[field]
    if (field === 'customFields') {
      value = Object.fromEntries(
        Object.entries({ ...current.customFields, ...(value as Record<string, unknown>) }).filter(([, v]) => v !== null),
      )
    }
    set[column] = toColumn(column, value)
  }
  const row = await db
    .updateTable('patients')
    .set((eb) => ({ ...(set as Record<string, never>), version: eb('version', '+', 1), updated_at: new Date() }))
    .where('id', '=', id)
    .where('organization_id', '=', organizationId)
    .returningAll()
    .executeTakeFirstOrThrow()
  return toPatient(row)
}

export async function listPatients(
  db: DbOrTx,
  organizationId: string,
  options: { cursor?: string; limit: number; accountId?: string; q?: string },
): Promise<Page<Patient>> {
  let query = db.selectFrom('patients').selectAll().where('organization_id', '=', organizationId)
  if (options.accountId) query = query.where('account_id', '=', options.accountId)
  if (options.q) query = query.where((eb) => matchesSearch(eb, options.q!))
  const rows = await applyCursor(query, { cursor: options.cursor, limit: options.limit, timeColumn: 'created_at' }).execute()
  return toPage(rows, options.limit, (r) => ({ at: r.created_at, id: r.id }), toPatient)
}

export async function patientIdsOfAccount(db: DbOrTx, organizationId: string, accountId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('patients')
    .select('id')
    .where('organization_id', '=', organizationId)
    .where('account_id', '=', accountId)
    .execute()
  return rows.map((r) => r.id)
}

function toColumn(column: string, value: unknown): unknown {
  if (value === undefined) return null
  if (JSON_COLUMNS.has(column)) return value === null ? null : JSON.stringify(value)
  return value
}

function toPatient(row: Selectable<PatientsTable>): Patient {
  const patient: Record<string, unknown> = { id: row.id }
  for (const [field, column] of Object.entries(COLUMNS)) patient[field] = row[column] ?? null
  patient.customFields = row.custom_fields ?? {}
  patient.version = row.version
  patient.createdAt = row.created_at.toISOString()
  patient.updatedAt = row.updated_at.toISOString()
  return patient as unknown as Patient
}

/** `%`, `_` and `\` typed by a user are matched as themselves. */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`)
}

const PHONES = sql<string>`regexp_replace(coalesce(phone, '') || ' ' || coalesce(alternate_phone, ''), '[^0-9 ]', '', 'g')`

/**
 * A search as intake staff type it: a phone number (any punctuation) matches by its digits;
 * otherwise each word must start a name or be found in the email.
 */
function matchesSearch(eb: ExpressionBuilder<Database, 'patients'>, q: string) {
  const digits = q.replace(/\D/g, '')
  if (/^[\d\s()+.-]+$/.test(q) && digits.length >= 4) return eb(PHONES, 'like', `%${digits}%`)
  return eb.and(
    q
      .split(/\s+/)
      .filter(Boolean)
      .map((word) => {
        const prefix = `${escapeLike(word)}%`
        return eb.or([
          eb('first_name', 'ilike', prefix),
          eb('last_name', 'ilike', prefix),
          eb('preferred_name', 'ilike', prefix),
          eb('email', 'ilike', `%${escapeLike(word)}%`),
        ])
      }),
  )
}
