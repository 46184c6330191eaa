import { newId } from '../db/ids.js'
import { z } from 'zod'
import type { DbOrTx } from '../db/database.js'
import { applyCursor, toPage, type Page } from '../db/cursor.js'
import { Address, Email, IsoDate, Phone, Text } from './fields.js'
import { InsurancePriority, SubscriberRelationship } from './vocabulary.js'

/** A parent account: the party who holds the insurance policies for one or more patients. */
export const InsuranceInput = z
  .object({
    id: z.string().uuid().optional(),
    payerCode: Text(40).min(1, 'payerCode is required'),
    payerName: Text(200).nullish(),
    memberId: Text(60).min(1, 'memberId is required'),
    groupNumber: Text(60).nullish(),
    priority: InsurancePriority.default('primary'),
    startDate: IsoDate.nullish(),
    endDate: IsoDate.nullish(),
    subscriber: z
      .object({
        relationship: SubscriberRelationship.default('self'),
        firstName: Text(100).nullish(),
        lastName: Text(100).nullish(),
        dob: IsoDate.nullish(),
        phone: Phone.nullish(),
        address: Address.nullish(),
      })
      .strict()
      .nullish(),
  })
  .strict()

const AccountFields = {
  name: Text(200).min(1, 'name is required'),
  email: Email.nullish(),
  phone: Phone.nullish(),
  insurances: z.array(InsuranceInput).max(10),
}

export const AccountInput = z.object({ ...AccountFields, insurances: AccountFields.insurances.default([]) }).strict()

/** No defaults here: a field left out of a PATCH must stay as it is. */
export const AccountPatch = z.object(AccountFields).partial().strict()

export type Insurance = z.output<typeof InsuranceInput> & { id: string }
export type AccountInputT = z.output<typeof AccountInput>
export type AccountPatchT = z.output<typeof AccountPatch>

export interface Account {
  id: string
  name: string
  email: string | null
  phone: string | null
  insurances: Insurance[]
  version: number
  createdAt: string
  updatedAt: string
}

export async function createAccount(db: DbOrTx, organizationId: string, input: AccountInputT): Promise<Account> {
  const row = await db
    .insertInto('accounts')
    .values({
      id: newId(),
      organization_id: organizationId,
      name: input.name,
      email: input.email ?? null,
      phone: input.phone ?? null,
      insurances: JSON.stringify(withIds(input.insurances, [])),
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  return toAccount(row)
}

export async function getAccount(db: DbOrTx, organizationId: string, id: string): Promise<Account | null> {
  const row = await db
    .selectFrom('accounts')
    .selectAll()
    .where('id', '=', id)
    .where('organization_id', '=', organizationId)
    .executeTakeFirst()
  return row ? toAccount(row) : null
}

/** Applies a partial update; `insurances`, when given, replaces the list (entries keep their id when sent back). */
export async function updateAccount(db: DbOrTx, organizationId: string, id: string, patch: AccountPatchT): Promise<Account | null> {
  const current = await getAccount(db, organizationId, id)
  if (!current) return null
  const row = await db
    .updateTable('accounts')
    .set((eb) => ({
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.email !== undefined ? { email: patch.email ?? null } : {}),
      ...(patch.phone !== undefined ? { phone: patch.phone ?? null } : {}),
      ...(patch.insurances !== undefined ? { insurances: JSON.stringify(withIds(patch.insurances, current.insurances)) } : {}),
      version: eb('version', '+', 1),
      updated_at: new Date(),
    }))
    .where('id', '=', id)
    .where('organization_id', '=', organizationId)
    .returningAll()
    .executeTakeFirstOrThrow()
  return toAccount(row)
}

export async function listAccounts(db: DbOrTx, organizationId: string, options: { cursor?: string; limit: number }): Promise<Page<Account>> {
  const rows = await applyCursor(
    db.selectFrom('accounts').selectAll().where('organization_id', '=', organizationId),
    { cursor: options.cursor, limit: options.limit, timeColumn: 'created_at' },
  ).execute()
  return toPage(rows, options.limit, (r) => ({ at: r.created_at, id: r.id }), toAccount)
}

function withIds(insurances: z.output<typeof InsuranceInput>[], existing: Insurance[]): Insurance[] {
  const known = new Set(existing.map((i) => i.id))
  return insurances.map((i) => ({ ...i, id: i.id && known.has(i.id) ? i.id : newId() }))
}

export type AccountRow = {
  id: string
  name: string
  email: string | null
  phone: string | null
  insurances: unknown[]
  version: number
  created_at: Date
  updated_at: Date
}

export function toAccount(row: AccountRow): Account {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    phone: row.phone,
    insurances: row.insurances as Insurance[],
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  }
}
