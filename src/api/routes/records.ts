import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { AccountInput, AccountPatch, createAccount, getAccount, listAccounts, updateAccount } from '../../crm/accounts.js'
import type { LinkView } from '../../engine/links.js'
import { PatientInput, PatientPatch, getPatient, insertPatientWithAudit, listPatients, updatePatient, type Patient } from '../../crm/patients.js'
import { InputError, NotFoundError, UnsupportedError } from '../../errors.js'
import { getLink, linksOf } from '../../engine/links.js'
import { previewPush } from '../../mapping/preview.js'
import { toConflictView } from '../../engine/conflicts.js'
import { loadRunnableConnection } from '../../connections/connections.js'
import { audit, auditEventRecord } from '../../security/audit.js'
import type { DbOrTx } from '../../db/database.js'
import type { Hub } from '../../hub.js'
import { applyCursor, toPage } from '../../db/cursor.js'
import { Account, Conflict, JobStarted, LinkChanged, Patient as PatientBody, PatientWithLinks, PushPreview, errorResponses, listOf } from './responses.js'
import { IdParams, ListQuery } from './common.js'

/** CRM records (F1, F2): parent accounts with insurance, patients with their EMR links. */
export function recordRoutes(hub: Hub): FastifyPluginAsyncZod {
  return async (app) => {
    app.post('/accounts', { schema: { tags: ['accounts'], summary: 'Create a parent account with insurance', body: AccountInput, response: { 201: Account, ...errorResponses } } }, async (request, reply) => {
      const account = await hub.db.transaction().execute(async (trx) => {
        const created = await createAccount(trx, request.actor.organizationId, request.body)
        await audit(trx, request.actor, 'account.create', { type: 'account', id: created.id }, { insurances: created.insurances.length })
        return created
      })
      return reply.code(201).send(account)
    })

    app.get('/accounts', { schema: { tags: ['accounts'], summary: 'List parent accounts', querystring: ListQuery, response: { 200: listOf(Account), ...errorResponses } } }, async (request) => {
      const page = await listAccounts(hub.db, request.actor.organizationId, request.query)
      await audit(hub.db, request.actor, 'account.list', { type: 'account' }, { count: page.items.length })
      return page
    })

    app.get('/accounts/:id', { schema: { tags: ['accounts'], summary: 'Read a parent account', params: IdParams, response: { 200: Account, ...errorResponses } } }, async (request) => {
      const account = await getAccount(hub.db, request.actor.organizationId, request.params.id)
      if (!account) throw new NotFoundError('Account')
      await audit(hub.db, request.actor, 'account.view', { type: 'account', id: account.id })
      return account
    })

    app.patch(
      '/accounts/:id',
      { schema: { tags: ['accounts'], summary: 'Update a parent account; its patients are pushed again', params: IdParams, body: AccountPatch, response: { 200: Account, ...errorResponses } } },
      async (request) => {
        const account = await hub.db.transaction().execute(async (trx) => {
          const updated = await updateAccount(trx, request.actor.organizationId, request.params.id, request.body)
          if (!updated) throw new NotFoundError('Account')
          // Which fields changed, never their values (PHI stays out of the audit trail).
          await audit(trx, request.actor, 'account.update', { type: 'account', id: updated.id }, { fields: Object.keys(request.body) })
          await hub.engine.accountChanged(trx, request.actor.organizationId, updated.id)
          return updated
        })
        hub.engine.nudge()
        return account
      },
    )

    /**
     * Organizations whose last create found a connection that takes patients: their next create
     * goes straight to the statement with the pushes, instead of first trying the shorter one that
     * writes a patient nobody pushes. Only a guess of which way is shorter: both statements decide
     * from the database's answer, and a wrong guess costs one statement.
     */
    const pushingOrganizations = new Set<string>()
    app.post('/patients', { schema: { tags: ['patients'], summary: 'Create a patient; it is pushed to every enabled EMR', body: PatientInput, response: { 201: PatientWithLinks, ...errorResponses } } }, async (request, reply) => {
      const organizationId = request.actor.organizationId
      await requireAccount(hub.db, organizationId, request.body.accountId)
      const auditEvent = (id: string) => auditEventRecord(request.actor, 'patient.create', { type: 'patient', id })
      const pushes = hub.engine.newPatientPushes(organizationId)
      const answer = (patient: Patient, links: LinkView[]) => reply.code(201).send({ ...patient, links, emrInsurance: [], emrContacts: [], encounters: [] })
      if (!pushingOrganizations.has(organizationId)) {
        const alone = await insertPatientWithAudit(hub.db, organizationId, request.body, auditEvent, { pushes, unlessPushTargets: true })
        if (alone.patient) return answer(alone.patient, [])
        pushingOrganizations.add(organizationId)
      }
      // One statement, atomic by itself: the patient, its audit event and, for each enabled
      // connection that takes patients, its link, push job and the wake-up.
      const { patient, hasPushTargets, links } = await insertPatientWithAudit(hub.db, organizationId, request.body, auditEvent, { pushes, unlessPushTargets: false })
      if (!hasPushTargets) pushingOrganizations.delete(organizationId)
      // The wake-up names this process, whose listener skips it: a worker here takes the job now.
      if (links.length > 0) hub.engine.wakeOwnWorker()
      return answer(patient!, links)
    })

    app.get(
      '/patients',
      { schema: { tags: ['patients'], summary: 'List patients', querystring: ListQuery.extend({
            accountId: z.string().uuid().optional(),
            q: z.string().trim().min(1).max(100).optional().describe('search: words that start a name, or part of the email, or 4+ digits of a phone'),
          }), response: { 200: listOf(PatientBody), ...errorResponses } } },
      async (request) => {
        const page = await listPatients(hub.db, request.actor.organizationId, request.query)
        await audit(hub.db, request.actor, 'patient.list', { type: 'patient' }, { count: page.items.length, searched: request.query.q !== undefined })
        return page
      },
    )

    app.get('/patients/:id', { schema: { tags: ['patients'], summary: 'Read a patient with its EMR links', params: IdParams, response: { 200: PatientWithLinks, ...errorResponses } } }, async (request) => {
      const patient = await getPatient(hub.db, request.actor.organizationId, request.params.id)
      if (!patient) throw new NotFoundError('Patient')
      await audit(hub.db, request.actor, 'patient.view', { type: 'patient', id: patient.id })
      return withLinks(hub.db, patient)
    })

    app.patch(
      '/patients/:id',
      { schema: { tags: ['patients'], summary: 'Update a patient; the change is pushed (PATCH, never a second create)', params: IdParams, body: PatientPatch, response: { 200: PatientWithLinks, ...errorResponses } } },
      async (request) => {
        const organizationId = request.actor.organizationId
        const patient = await hub.db.transaction().execute(async (trx) => {
          if (request.body.accountId) await requireAccount(trx, organizationId, request.body.accountId)
          const updated = await updatePatient(trx, organizationId, request.params.id, request.body)
          if (!updated) throw new NotFoundError('Patient')
          await audit(trx, request.actor, 'patient.update', { type: 'patient', id: updated.id }, { fields: Object.keys(request.body) })
          await hub.engine.patientChanged(trx, organizationId, updated.id)
          return updated
        })
        hub.engine.nudge()
        return withLinks(hub.db, patient)
      },
    )

    app.post(
      '/patients/:id/push',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['patients'],
          summary: 'Push a patient (and optionally its insurance or encounters) to one connection now; refused with the reason when the connector cannot (F9)',
          params: IdParams,
          body: z
            .object({
              connectionId: z.string().uuid(),
              dataTypes: z.array(z.enum(['patient', 'insurance', 'encounter', 'preAssessment'])).min(1).default(['patient']),
            })
            .strict(),
          response: { 202: JobStarted, ...errorResponses },
        },
      },
      async (request, reply) => {
        const organizationId = request.actor.organizationId
        const connection = await loadRunnableConnection(hub.db, hub.box, request.body.connectionId)
        if (connection.row.organization_id !== organizationId) throw new NotFoundError('Connection')
        for (const dataType of request.body.dataTypes) {
          const capability = connection.connector.capabilities[dataType]?.push
          if (!capability?.supported) {
            const reason = capability && !capability.supported ? capability.reason : 'not offered by this connector'
            throw new UnsupportedError(`${connection.connector.title} cannot receive ${dataType}: ${reason}`)
          }
        }
        const patient = await getPatient(hub.db, organizationId, request.params.id)
        if (!patient) throw new NotFoundError('Patient')
        const jobId = await hub.db.transaction().execute(async (trx) => {
          const id = await hub.engine.pushPatientTo(trx, organizationId, patient.id, connection.row.id)
          await audit(trx, request.actor, 'patient.push', { type: 'patient', id: patient.id }, { connectionId: connection.row.id, dataTypes: request.body.dataTypes, jobId: id })
          return id
        })
        hub.engine.nudge()
        return reply.code(202).send({ jobId })
      },
    )

    app.put(
      '/patients/:id/links/:connectionId',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['patients'],
          summary:
            'Settle a link by hand (F5): link the patient to a record the EMR already holds (e.g. a candidate named on needs_attention), or clear a stale link with externalId null so the push creates the patient again. A push follows.',
          params: z.object({ id: z.string().uuid('must be a UUID'), connectionId: z.string().uuid('must be a UUID') }),
          body: z
            .object({
              externalId: z
                .string({ error: "send the EMR's id of the patient as a string, or null to clear the link" })
                .trim()
                .min(1, "send the EMR's id of the patient, or null to clear the link")
                .max(200)
                .nullable(),
              mrn: z.string().trim().min(1).max(200).nullish(),
            })
            .strict(),
          response: { 200: LinkChanged, ...errorResponses },
        },
      },
      async (request) => {
        const { id, connectionId } = request.params
        const change = await hub.engine.setPatientLink(request.actor.organizationId, id, connectionId, request.body)
        await audit(hub.db, request.actor, 'link.update', { type: 'patient', id }, { connectionId, before: change.before?.externalId ?? null, after: change.after.externalId })
        return { link: change.after, jobId: change.jobId }
      },
    )

    app.get(
      '/conflicts',
      {
        schema: {
          tags: ['patients'],
          summary: 'Fields changed on both sides and how each was settled (F16), newest first; `?open=true` for those not reviewed yet',
          querystring: ListQuery.extend({
            patientId: z.string().uuid().optional(),
            connectionId: z.string().uuid().optional(),
            open: z.enum(['true', 'false']).optional(),
          }),
          response: { 200: listOf(Conflict), ...errorResponses },
        },
      },
      async (request) => {
        let query = hub.db.selectFrom('conflicts').selectAll().where('organization_id', '=', request.actor.organizationId)
        if (request.query.patientId) query = query.where('patient_id', '=', request.query.patientId)
        if (request.query.connectionId) query = query.where('connection_id', '=', request.query.connectionId)
        if (request.query.open) query = query.where('reviewed_at', request.query.open === 'true' ? 'is' : 'is not', null)
        const rows = await applyCursor(query, { cursor: request.query.cursor, limit: request.query.limit, timeColumn: 'detected_at' }).execute()
        await audit(hub.db, request.actor, 'conflict.list', { type: 'patient', id: request.query.patientId ?? null })
        return toPage(rows, request.query.limit, (r) => ({ at: r.detected_at, id: r.id }), toConflictView)
      },
    )

    app.post(
      '/conflicts/:id/review',
      {
        schema: {
          tags: ['patients'],
          summary:
            'Review a conflict (F16): keep the winner (the default), or keep the losing value, which is written to the patient now and pushed to every EMR',
          params: IdParams,
          body: z.object({ keep: z.enum(['crm', 'emr']).optional().describe('whose value to keep; leave out to keep the winner') }).strict().default({}),
          response: { 200: Conflict, ...errorResponses },
        },
      },
      async (request) => {
        const view = await hub.engine.reviewConflict(request.actor.organizationId, request.params.id, request.body.keep, request.actor.name)
        await audit(hub.db, request.actor, 'conflict.review', { type: 'patient', id: view.patientId }, { conflictId: view.id, field: view.field, kept: view.kept })
        return view
      },
    )

    app.get(
      '/patients/:id/preview',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['patients'],
          summary: 'What a push would send to a connection now: each step body, and what is left out and why (F10)',
          params: IdParams,
          querystring: z.object({ connectionId: z.string().uuid() }).strict(),
          response: { 200: PushPreview, ...errorResponses },
        },
      },
      async (request) => {
        const organizationId = request.actor.organizationId
        const patient = await getPatient(hub.db, organizationId, request.params.id)
        if (!patient) throw new NotFoundError('Patient')
        const connection = await loadRunnableConnection(hub.db, hub.box, request.query.connectionId)
        if (connection.row.organization_id !== organizationId) throw new NotFoundError('Connection')
        const flow = connection.connector.flows.pushPatient
        if (!flow) throw new UnsupportedError(`${connection.connector.title} cannot receive patients`)
        const account = patient.accountId ? await getAccount(hub.db, organizationId, patient.accountId) : null
        const link = await getLink(hub.db, 'patient', patient.id, connection.row.id)
        await audit(hub.db, request.actor, 'patient.preview', { type: 'patient', id: patient.id }, { connectionId: connection.row.id })
        // The synced values too: a connector may keep what its next push needs there (Ritten: entry ids).
        const snapshot = { externalId: link?.external_id ?? null, externalMrn: link?.external_mrn ?? null, syncedValues: link?.synced_values ?? null }
        return previewPush(flow, { patient, account, mapping: connection.mapping }, snapshot, connection.settings)
      },
    )
  }
}

async function requireAccount(db: DbOrTx, organizationId: string, accountId: string | null | undefined): Promise<void> {
  if (!accountId) return
  if (!(await getAccount(db, organizationId, accountId))) throw new InputError('accountId', 'no parent account has this id')
}

/**
 * `withLinks` of a patient created in `trx`, read before it commits: its only links are those its
 * pushes just made, and no EMR holds anything of it yet (nothing else knows its id). Saves the
 * four reads after the commit — four transactions per create.
 */
/** A patient as the API shows it: with its EMR links and, read-only, what EMRs hold (insurance, encounters). */
async function withLinks(db: DbOrTx, patient: Patient) {
  const [links, insurance, encounters, contacts] = await Promise.all([
    linksOf(db, 'patient', patient.id),
    db.selectFrom('emr_insurances').select(['connection_id', 'external_id', 'data']).where('patient_id', '=', patient.id).execute(),
    db.selectFrom('emr_encounters').select(['connection_id', 'external_id', 'data']).where('patient_id', '=', patient.id).execute(),
    db.selectFrom('emr_contacts').select(['connection_id', 'external_id', 'data']).where('patient_id', '=', patient.id).execute(),
  ])
  const readOnly = (rows: { connection_id: string; external_id: string; data: Record<string, unknown> }[]) =>
    rows.map((r) => ({ connectionId: r.connection_id, externalId: r.external_id, ...r.data }))
  return { ...patient, links, emrInsurance: readOnly(insurance), encounters: readOnly(encounters), emrContacts: readOnly(contacts) }
}
