import { sql } from 'kysely'
import type { DbOrTx } from '../db/database.js'
import { referralPushRefusal, type PushFlow, type ReferralPushInput, type ResolvedMapping } from '../connectors/connector.js'
import { ConnectorError } from '../connectors/errors.js'
import type { PushRecordType } from './push.js'
import { storeSyncedValues, syncedValuesOnLink } from './push.js'

/**
 * Referrals (job kind `push_referral`, record type `referral`): a referral from the CRM inbox
 * delivered to a referral destination (CRMS) with its attachments, summary PDF first. A
 * destination that accepts the referral takes it over: the inbox marks it accepted by that
 * system, and later events are not sent (F24).
 */
export const referralPush: PushRecordType<ReferralPushInput> = {
  recordType: 'referral',
  flowOf({ connector }) {
    const refusal = referralPushRefusal(connector)
    if (refusal) throw new ConnectorError({ code: 'unsupported', message: refusal, retryable: false })
    return connector.flows.pushReferral as PushFlow<ReferralPushInput, unknown, unknown>
  },
  async load(deps, job, connection) {
    const input = await loadReferralPushInput(deps.db, job.organization_id, job.record_id!, connection.mapping)
    if (!input) throw new ConnectorError({ code: 'record_missing', message: 'The referral no longer exists in the CRM inbox', retryable: false })
    return { input, version: input.referral.version }
  },
  storeSync: (trx, _deps, _job, _connection, linkId, _referralId, sync) => storeSyncedValues(trx, linkId, sync),
  syncOnLink: syncedValuesOnLink,
  async acceptedInSystem(trx, _deps, job, connection, referralId, accepted) {
    // Accepted once: a referral the CRM accepted (or converted) first keeps its own record of it.
    await trx
      .updateTable('referrals')
      .set({
        status: sql`case when status = 'open' then 'accepted' else status end`,
        accepted_at: accepted.at ? new Date(accepted.at) : new Date(),
        accepted_by: connection.connector.kind,
        version: sql`version + 1`,
        updated_at: new Date(),
      })
      .where('id', '=', referralId)
      .where('organization_id', '=', job.organization_id)
      .where('accepted_at', 'is', null)
      .execute()
  },
}

/** The referral as the inbox holds it, with its attachments in order (position 1: the summary PDF), and the destination's mapping. */
export async function loadReferralPushInput(db: DbOrTx, organizationId: string, referralId: string, mapping: ResolvedMapping): Promise<ReferralPushInput | null> {
  const row = await db
    .selectFrom('referrals')
    .select(['id', 'external_id', 'fields', 'note', 'status', 'version', 'accepted_by'])
    .where('id', '=', referralId)
    .where('organization_id', '=', organizationId)
    .executeTakeFirst()
  if (!row) return null
  const attachments = await db
    .selectFrom('referral_attachments')
    .select(['position', 'kind', 'filename', 'content_type', 'data'])
    .where('referral_id', '=', referralId)
    .orderBy('position')
    .execute()
  return {
    referral: { id: row.id, externalId: row.external_id, fields: row.fields, note: row.note, status: row.status, version: row.version, acceptedBy: row.accepted_by },
    attachments: attachments.map((a) => ({ position: a.position, kind: a.kind, filename: a.filename, contentType: a.content_type, data: Buffer.from(a.data) })),
    mapping,
  }
}
