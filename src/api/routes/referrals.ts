import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { createAccount } from '../../crm/accounts.js'
import { createPatient } from '../../crm/patients.js'
import { ConflictError, NotFoundError } from '../../errors.js'
import { ConvertInput, patientFromReferral } from '../../referrals/convert.js'
import { ReferralFilter, getAttachment, getReferralRow, listReferrals, referralDetail } from '../../referrals/inbox.js'
import { audit } from '../../security/audit.js'
import type { Hub } from '../../hub.js'
import { IdParams } from './common.js'
import { ReferralConverted, ReferralDetail, ReferralListItem, errorResponses, listOf } from './responses.js'

/**
 * The CRM referral inbox (F3, F20–F24): referrals imported from referral networks (Caredove),
 * each with its mapped fields, Referral Note, attachments (the summary PDF first) and event
 * history; accepted, or converted into a CRM patient that then flows to the EMRs. Staff work the
 * inbox like they work patients; every view of a referral or a file is audited (PHI).
 */
export function referralRoutes(hub: Hub): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/referrals',
      {
        schema: {
          tags: ['referrals'],
          summary: 'The referral inbox, most recently changed first; filter by status, source connection, or text',
          querystring: ReferralFilter,
          response: { 200: listOf(ReferralListItem), ...errorResponses },
        },
      },
      async (request) => {
        const page = await listReferrals(hub.db, request.actor.organizationId, request.query)
        await audit(hub.db, request.actor, 'referral.list', { type: 'referral' }, { count: page.items.length, searched: request.query.q !== undefined })
        return page
      },
    )

    app.get(
      '/referrals/:id',
      {
        schema: {
          tags: ['referrals'],
          summary: 'One referral: mapped fields, Referral Note, appointments, messages, attachments, the history of events applied or ignored, and its delivery to CRMS',
          params: IdParams,
          response: { 200: ReferralDetail, ...errorResponses },
        },
      },
      async (request) => {
        const row = await getReferralRow(hub.db, request.actor.organizationId, request.params.id)
        if (!row) throw new NotFoundError('Referral')
        await audit(hub.db, request.actor, 'referral.view', { type: 'referral', id: row.id })
        return referralDetail(hub.db, row)
      },
    )

    app.get(
      '/referrals/:id/attachments/:attachment',
      {
        schema: {
          tags: ['referrals'],
          summary: "A referral's file by its position — 1 is the Referral Summary PDF, then the referral's own attachments — or by its id (attachments[].id)",
          params: z.object({
            id: z.string().uuid('must be a UUID'),
            attachment: z.union(
              [
                z.string().uuid().transform((v) => v as number | string),
                z.coerce.number().int().min(1).max(10_000),
              ],
              { error: 'must be a position (a whole number; 1 is the summary PDF) or an attachment id (a UUID)' },
            ),
          }),
          response: { 200: z.any().describe('the file, with its content type'), ...errorResponses },
        },
      },
      async (request, reply) => {
        const row = await getReferralRow(hub.db, request.actor.organizationId, request.params.id)
        if (!row) throw new NotFoundError('Referral')
        const file = await getAttachment(hub.db, row.id, request.params.attachment)
        if (!file) throw new NotFoundError(`Attachment ${request.params.attachment} of this referral`)
        await audit(hub.db, request.actor, 'referral.attachment.view', { type: 'referral', id: row.id }, { position: file.position, kind: file.kind })
        // Served as a download except PDFs, which open in the browser; never sniffed into something else.
        const disposition = file.content_type === 'application/pdf' ? 'inline' : 'attachment'
        return reply
          .header('content-type', file.content_type)
          .header('content-disposition', `${disposition}; filename="${file.filename.replace(/[^\x20-\x7e]|["\\]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(file.filename)}`)
          .header('x-content-type-options', 'nosniff')
          .header('cache-control', 'private, no-store')
          .send(file.data)
      },
    )

    app.post(
      '/referrals/:id/accept',
      {
        schema: {
          tags: ['referrals'],
          summary: 'Accept a referral in the CRM: later events from the network are recorded as ignored, with the reason (F24)',
          params: IdParams,
          response: { 200: ReferralDetail, ...errorResponses },
        },
      },
      async (request) => {
        const organizationId = request.actor.organizationId
        const row = await hub.db.transaction().execute(async (trx) => {
          const current = await trx.selectFrom('referrals').selectAll().where('id', '=', request.params.id).where('organization_id', '=', organizationId).forUpdate().executeTakeFirst()
          if (!current) throw new NotFoundError('Referral')
          // Accepting twice changes nothing: the first acceptance stands.
          if (current.status !== 'open') return current
          const accepted = await trx
            .updateTable('referrals')
            .set({ status: 'accepted', accepted_at: new Date(), accepted_by: 'crm', updated_at: new Date() })
            .where('id', '=', current.id)
            .returningAll()
            .executeTakeFirstOrThrow()
          await audit(trx, request.actor, 'referral.accept', { type: 'referral', id: current.id })
          return accepted
        })
        return referralDetail(hub.db, row)
      },
    )

    app.post(
      '/referrals/:id/convert',
      {
        schema: {
          tags: ['referrals'],
          summary:
            'Convert a referral to a CRM patient: a parent account and a patient are made from the registrant (as POST /api/patients does, so the patient is pushed to every enabled EMR), and the referral is linked to it',
          params: IdParams,
          body: ConvertInput.default({}),
          response: { 200: ReferralConverted, ...errorResponses },
        },
      },
      async (request) => {
        const organizationId = request.actor.organizationId
        const result = await hub.db.transaction().execute(async (trx) => {
          const current = await trx.selectFrom('referrals').selectAll().where('id', '=', request.params.id).where('organization_id', '=', organizationId).forUpdate().executeTakeFirst()
          if (!current) throw new NotFoundError('Referral')
          if (current.status === 'converted') throw new ConflictError(`This referral was already converted to patient ${current.patient_id}`)
          const name = [getName(current.fields, 'firstName'), getName(current.fields, 'lastName')].filter(Boolean).join(' ')
          const account = await createAccount(trx, organizationId, { name: request.body.accountName ?? (name || `Referral ${current.external_id}`), insurances: [] })
          const patient = await createPatient(trx, organizationId, patientFromReferral(current.fields, request.body.patient, account.id))
          await audit(trx, request.actor, 'account.create', { type: 'account', id: account.id }, { insurances: 0, fromReferral: current.id })
          await audit(trx, request.actor, 'patient.create', { type: 'patient', id: patient.id }, { fromReferral: current.id })
          await hub.engine.patientChanged(trx, organizationId, patient.id)
          const converted = await trx
            .updateTable('referrals')
            .set({
              status: 'converted',
              patient_id: patient.id,
              accepted_at: current.accepted_at ?? new Date(),
              accepted_by: current.accepted_by ?? 'crm',
              updated_at: new Date(),
            })
            .where('id', '=', current.id)
            .returningAll()
            .executeTakeFirstOrThrow()
          await audit(trx, request.actor, 'referral.convert', { type: 'referral', id: current.id }, { patientId: patient.id, accountId: account.id })
          return { row: converted, patientId: patient.id, accountId: account.id }
        })
        hub.engine.nudge()
        return { referral: await referralDetail(hub.db, result.row), patientId: result.patientId, accountId: result.accountId }
      },
    )
  }
}

function getName(fields: Record<string, unknown>, key: string): string | null {
  const registrant = fields.registrant
  const value = registrant && typeof registrant === 'object' ? (registrant as Record<string, unknown>)[key] : null
  return typeof value === 'string' && value.trim() ? value.trim() : null
}
