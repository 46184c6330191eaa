import { newId } from '../db/ids.js'
import type { DbOrTx } from '../db/database.js'
import type { Actor } from './apiKeys.js'

/** An audit event's row as jsonb_populate_record takes it: `details` as JSON, not as text. */
export interface AuditEventRecord {
  id: string
  organization_id: string
  actor_key_id: string
  actor_name: string
  action: string
  target_type: string
  target_id: string | null
  details: Record<string, unknown> | null
}

/** The row `audit` writes, for a statement that writes it beside its change (see insertPatientWithAudit). */
export function auditEventRecord(actor: Actor, action: string, target: { type: string; id?: string | null }, details?: Record<string, unknown>): AuditEventRecord {
  return {
    id: newId(),
    organization_id: actor.organizationId,
    actor_key_id: actor.keyId,
    actor_name: actor.name,
    action,
    target_type: target.type,
    target_id: target.id ?? null,
    details: details ?? null,
  }
}

/**
 * The audit trail (F26): who changed settings and who viewed PHI. Details never hold secret
 * values — for credentials only the names of the keys that changed.
 */
export async function audit(
  db: DbOrTx,
  actor: Actor,
  action: string,
  target: { type: string; id?: string | null },
  details?: Record<string, unknown>,
): Promise<void> {
  const record = auditEventRecord(actor, action, target, details)
  await db
    .insertInto('audit_events')
    .values({ ...record, details: record.details ? JSON.stringify(record.details) : null })
    .execute()
}

/**
 * An event of the installation, not of an organization (e.g. a sign-in with an unknown key: it
 * names no one); every organization's admins see it. `who` says what is known of the actor.
 */
export async function auditInstallation(
  db: DbOrTx,
  who: string,
  action: string,
  target: { type: string; id?: string | null },
  details?: Record<string, unknown>,
): Promise<void> {
  await db
    .insertInto('audit_events')
    .values({
      id: newId(),
      organization_id: null,
      actor_key_id: null,
      actor_name: who,
      action,
      target_type: target.type,
      target_id: target.id ?? null,
      details: details ? JSON.stringify(details) : null,
    })
    .execute()
}
