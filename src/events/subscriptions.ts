import { newId } from '../db/ids.js'
import { z } from 'zod'
import type { Selectable } from 'kysely'
import type { DbOrTx } from '../db/database.js'
import type { Database } from '../db/schema.js'
import { NotFoundError } from '../errors.js'
import type { SecretBox } from '../security/secrets.js'
import { EVENT_TYPES } from './catalog.js'
import { generateSigningSecret } from './signature.js'

type SubscriptionRow = Selectable<Database['event_subscriptions']>

const SubscriptionFields = {
  // Loopback and private addresses are allowed: receivers (and the demo's) often run beside the hub.
  url: z
    .string()
    .max(2000)
    .url('must be an absolute http(s) URL')
    .refine((u) => /^https?:\/\//i.test(u), 'must be an http(s) URL')
    // zod's check passes some strings the URL parser (which delivery uses) refuses, e.g. `http:///`.
    .refine((u) => URL.canParse(u) && new URL(u).hostname !== '', 'must be an http(s) URL with a host')
    .refine((u) => {
      if (!URL.canParse(u)) return true
      const parsed = new URL(u)
      return parsed.username === '' && parsed.password === ''
    }, 'must not carry a user or password (the log keeps URLs; deliveries are authenticated by their signature)'),
  events: z
    .array(z.enum(EVENT_TYPES, { error: `must be one of: ${EVENT_TYPES.join(', ')}` }))
    .min(1, 'name at least one event')
    .max(EVENT_TYPES.length * 2)
    .transform((events) => [...new Set(events)]),
  enabled: z.boolean(),
  description: z.string().trim().max(200).nullable(),
}

export const SubscriptionInput = z
  .object({ ...SubscriptionFields, enabled: SubscriptionFields.enabled.default(true), description: SubscriptionFields.description.optional() })
  .strict()

/** No defaults: a field left out of a PATCH stays as it is. */
export const SubscriptionPatch = z.object(SubscriptionFields).partial().strict()

export interface SubscriptionView {
  id: string
  url: string
  events: string[]
  enabled: boolean
  description: string | null
  createdAt: string
  updatedAt: string
}

/** A subscription as created (or its secret rotated): the signing secret is shown this once. */
export interface SubscriptionWithSecret extends SubscriptionView {
  secret: string
}

export async function createSubscription(db: DbOrTx, box: SecretBox, organizationId: string, input: z.output<typeof SubscriptionInput>): Promise<SubscriptionWithSecret> {
  const secret = generateSigningSecret()
  const row = await db
    .insertInto('event_subscriptions')
    .values({
      id: newId(),
      organization_id: organizationId,
      url: input.url,
      events: JSON.stringify(input.events),
      enabled: input.enabled,
      description: input.description ?? null,
      secret: box.seal(secret),
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  return { ...toView(row), secret }
}

export async function listSubscriptions(db: DbOrTx, organizationId: string): Promise<SubscriptionView[]> {
  const rows = await db.selectFrom('event_subscriptions').selectAll().where('organization_id', '=', organizationId).orderBy('created_at').orderBy('id').execute()
  return rows.map(toView)
}

export async function getSubscription(db: DbOrTx, organizationId: string, id: string): Promise<SubscriptionView> {
  return toView(await requireRow(db, organizationId, id))
}

export async function updateSubscription(
  db: DbOrTx,
  organizationId: string,
  id: string,
  patch: z.output<typeof SubscriptionPatch>,
): Promise<{ before: SubscriptionView; after: SubscriptionView }> {
  const before = await requireRow(db, organizationId, id)
  const row = await db
    .updateTable('event_subscriptions')
    .set({
      ...(patch.url !== undefined ? { url: patch.url } : {}),
      ...(patch.events !== undefined ? { events: JSON.stringify(patch.events) } : {}),
      ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
      ...(patch.description !== undefined ? { description: patch.description } : {}),
      updated_at: new Date(),
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
  return { before: toView(before), after: toView(row) }
}

/** A new signing secret replaces the old one at once; deliveries from now on (retries too) are signed with it. */
export async function rotateSecret(db: DbOrTx, box: SecretBox, organizationId: string, id: string): Promise<SubscriptionWithSecret> {
  await requireRow(db, organizationId, id)
  const secret = generateSigningSecret()
  const row = await db.updateTable('event_subscriptions').set({ secret: box.seal(secret), updated_at: new Date() }).where('id', '=', id).returningAll().executeTakeFirstOrThrow()
  return { ...toView(row), secret }
}

/** Deliveries still waiting for this subscription find it gone and end without sending. */
export async function deleteSubscription(db: DbOrTx, organizationId: string, id: string): Promise<SubscriptionView> {
  const row = await requireRow(db, organizationId, id)
  await db.deleteFrom('event_subscriptions').where('id', '=', id).execute()
  return toView(row)
}

/** A subscription with its secret opened, for a delivery; undefined when it was deleted. */
export async function subscriptionForDelivery(db: DbOrTx, box: SecretBox, organizationId: string, id: string): Promise<(SubscriptionView & { secret: string }) | undefined> {
  const row = await db.selectFrom('event_subscriptions').selectAll().where('id', '=', id).where('organization_id', '=', organizationId).executeTakeFirst()
  return row ? { ...toView(row), secret: box.open(row.secret) } : undefined
}

async function requireRow(db: DbOrTx, organizationId: string, id: string): Promise<SubscriptionRow> {
  const row = await db.selectFrom('event_subscriptions').selectAll().where('id', '=', id).where('organization_id', '=', organizationId).executeTakeFirst()
  if (!row) throw new NotFoundError('Event subscription')
  return row
}

function toView(row: SubscriptionRow): SubscriptionView {
  return {
    id: row.id,
    url: row.url,
    events: row.events,
    enabled: row.enabled,
    description: row.description,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  }
}
