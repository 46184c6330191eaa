import type { Connector, FlowStep, ReferralPushInput } from '../connector.js'
import { ConnectorError } from '../errors.js'
import { CrmsConflict, CrmsCreated, CrmsList, CrmsReferral, CrmsSecrets, CrmsSettings, crmsCall, crmsMessage, expectOk, parseBody } from './client.js'
import { trimSlash } from '../http.js'
import type { CrmsContext, CrmsSecretsT, CrmsSettingsT } from './client.js'
import { crmsDefaults, crmsFields } from './fields.js'
import { buildCrmsReferral, type CrmsReferralWrite } from './payload.js'

type Step = FlowStep<ReferralPushInput, CrmsSettingsT, CrmsSecretsT>

/** Why an update is not sent once CRMS staff accepted the referral (F24); kept on the link and the job. */
export const ACCEPTED_IN_CRMS = 'accepted in CRMS: later updates are not sent'

/**
 * Files the referral in CRMS's inbox with its mapped fields, Referral Note and attachments
 * (summary PDF first). CRMS's create is not idempotent: after a create whose answer never came
 * back (or a link cleared by hand) the referral is first looked up by `external_id` — the referral
 * network's id — and adopted if CRMS has it; a 409 for that id adopts the one CRMS names.
 */
const createStep: Step = {
  name: 'create',
  skip: (_input, ctx) => ctx.link.externalId !== null,
  async run(input, ctx) {
    if (ctx.progress.started.create || ctx.link.clearedByHand) {
      const found = await findByExternalId(ctx, input.referral.externalId)
      if (found) return { link: { externalId: found, state: 'partial' }, output: { id: found, adopted: true } }
    }
    const write = buildCrmsReferral(input, 'create')
    await refuseIncomplete(ctx, write, 'create', 'POST', '/referrals')
    const response = await crmsCall(ctx, { operation: 'create', method: 'POST', path: '/referrals', json: write.body, loggedJson: write.logged, ...noteOf(write) })
    if (response.status === 409) {
      const id = parseBody(CrmsConflict, response, 'create').id ?? (await findByExternalId(ctx, input.referral.externalId))
      if (!id) throw new ConnectorError({ code: 'conflict', message: `CRMS create failed (409): ${crmsMessage(response)}`, retryable: false, httpStatus: 409, details: { exchangeId: response.exchangeId } })
      return { link: { externalId: id, state: 'partial' }, output: { id, adopted: true } }
    }
    const { id } = parseBody(CrmsCreated, expectOk(response, 'create'), 'create')
    return { link: { externalId: id, state: 'partial' }, output: { id, created: true, attachments: input.attachments.length } }
  },
}

/**
 * A later run (an edit, a status change, a booking…): CRMS is asked first whether its staff
 * accepted the referral. Accepted: nothing is sent, and the hub's inbox marks the referral
 * accepted by CRMS. Otherwise the fields and note are PATCHed, with only the attachments CRMS does
 * not hold yet (the same file name and bytes are never sent twice).
 */
const updateStep: Step = {
  name: 'update',
  // This job filed the referral with everything it holds now: there is nothing to update.
  skip: (_input, ctx) => ctx.done.create?.output?.created === true,
  async run(input, ctx) {
    if (input.referral.acceptedBy === 'crms') return { acceptedInSystem: { at: null, reason: ACCEPTED_IN_CRMS } }
    const id = ctx.link.externalId
    if (!id) throw new ConnectorError({ code: 'no_external_id', message: 'The CRMS referral id is unknown; the create step must run first', retryable: false })
    const path = `/referrals/${encodeURIComponent(id)}`
    const read = await crmsCall(ctx, { operation: 'read', method: 'GET', path })
    if (read.status === 404) throw staleLink(id, read)
    const held = parseBody(CrmsReferral, expectOk(read, 'read'), 'read')
    if (held.status === 'accepted') return { acceptedInSystem: { at: held.accepted_at ?? null, reason: ACCEPTED_IN_CRMS }, output: { id } }

    const write = buildCrmsReferral(input, 'update', held.attachments ?? [])
    await refuseIncomplete(ctx, write, 'update', 'PATCH', path)
    const response = await crmsCall(ctx, { operation: 'update', method: 'PATCH', path, json: write.body, loggedJson: write.logged, ...noteOf(write) })
    // Accepted by CRMS staff between the read and the PATCH.
    if (response.status === 409) return { acceptedInSystem: { at: null, reason: `${ACCEPTED_IN_CRMS} (${crmsMessage(response)})` }, output: { id } }
    if (response.status === 404) throw staleLink(id, response)
    expectOk(response, 'update')
    const sent = Array.isArray(write.body.attachments) ? write.body.attachments.length : 0
    return { link: { state: 'linked' }, output: { id, attachmentsSent: sent, attachmentsHeld: write.alreadyHeld } }
  },
}

/**
 * A referral without a value for a field CRMS requires is not sent: CRMS would refuse it with
 * the same sentence. The log keeps the refusal; the job waits for a person (fix the referral or
 * the CRMS field map, then replay).
 */
async function refuseIncomplete(ctx: CrmsContext, write: CrmsReferralWrite, operation: string, method: 'POST' | 'PATCH', path: string): Promise<void> {
  const [first, ...others] = write.missing
  if (!first) return
  const message = `${[first, ...others].map((m) => m.message).join('; ')}: the referral has no value that the CRMS field map sends to ${[first, ...others].map((m) => m.field).join(', ')}; fix the referral or the CRMS field map, then replay`
  const exchangeId = await ctx.http.recordRefusal({ operation, method, url: `${trimSlash(ctx.connection.baseUrl)}${path}`, body: write.logged, message, details: { missing: write.missing } })
  throw new ConnectorError({ code: 'missing_required', message, retryable: false, details: { exchangeId, missing: write.missing } })
}

function noteOf(write: CrmsReferralWrite): { note?: string; details?: Record<string, unknown> } {
  const parts = [
    ...write.dropped.map((d) => `${d.field} left out: ${d.reason} (kept in the Referral Note)`),
    ...(write.alreadyHeld > 0 ? [`${write.alreadyHeld} attachment(s) CRMS already holds not sent again`] : []),
  ]
  return parts.length > 0 ? { note: parts.join('; '), ...(write.dropped.length > 0 ? { details: { dropped: write.dropped } } : {}) } : {}
}

async function findByExternalId(ctx: CrmsContext, externalId: string): Promise<string | null> {
  const response = await crmsCall(ctx, { operation: 'find', method: 'GET', path: `/referrals?external_id=${encodeURIComponent(externalId)}` })
  const { items } = parseBody(CrmsList, expectOk(response, 'find'), 'find')
  return items.find((r) => r.external_id === externalId)?.id ?? null
}

function staleLink(id: string, response: { exchangeId: string }): ConnectorError {
  return new ConnectorError({
    code: 'stale_link',
    message: `The CRMS referral ${id} no longer exists (404): it was removed in CRMS; clear the referral's CRMS link to file it again`,
    retryable: false,
    httpStatus: 404,
    details: { exchangeId: response.exchangeId },
  })
}

export const crmsConnector: Connector<CrmsSettingsT, CrmsSecretsT> = {
  kind: 'crms',
  title: 'CRMS',
  settingsSchema: CrmsSettings,
  secretsSchema: CrmsSecrets,
  capabilities: {
    referral: {
      push: { supported: true, note: 'filed in the CRMS referral inbox with the Referral Note, the summary PDF and attachments; updated until CRMS accepts it' },
      pull: { supported: false, reason: 'CRMS referrals are not read back: only whether CRMS accepted one (before each update)' },
    },
    patient: {
      push: { supported: false, reason: 'CRMS is a referral destination: patients are not part of this integration' },
      pull: { supported: false, reason: 'CRMS is a referral destination: patients are not part of this integration' },
    },
  },
  fields: crmsFields,
  defaults: crmsDefaults,
  crmRecord: 'referral',
  // CRMS publishes no limits ([P]); referral bodies carry attachments, so a modest pace.
  rateLimit: { kind: 'bucket', capacity: 10, refillPerSecond: 5 },
  async test(ctx) {
    try {
      const response = await crmsCall(ctx, { operation: 'test', method: 'GET', path: '/referrals?external_id=carebridge-connection-test' })
      if (response.status === 401) return { ok: false, code: 'bad_key', message: `CRMS refused the API key (401): ${crmsMessage(response)}` }
      if (response.status === 404) {
        return { ok: false, code: 'not_crms', message: `No CRMS referral API at ${trimSlash(ctx.connection.baseUrl)}/referrals (404): check the base URL` }
      }
      parseBody(CrmsList, expectOk(response, 'test'), 'test')
      return { ok: true, message: 'Connected to CRMS: API key accepted, referral inbox readable' }
    } catch (err) {
      if (err instanceof ConnectorError) {
        const code = err.code === 'network' || err.code === 'timeout' ? 'unreachable' : err.code
        const message = code === 'unreachable' ? `CRMS is unreachable at ${trimSlash(ctx.connection.baseUrl)}: ${err.message.replace(/^test: /, '')}` : err.message
        return { ok: false, code, message }
      }
      throw err
    }
  },
  flows: {
    pushReferral: {
      steps: [createStep, updateStep],
      preview(input, link) {
        const write = buildCrmsReferral(input, link.externalId ? 'update' : 'create')
        const blocking = write.missing.map((m) => ({ field: m.field, reason: m.message }))
        return {
          steps: link.externalId
            ? [{ step: 'update', method: 'PATCH', path: `/referrals/${link.externalId}`, body: write.logged }]
            : [{ step: 'create', method: 'POST', path: '/referrals', body: write.logged }],
          dropped: write.dropped,
          ...(blocking.length > 0 ? { blocking } : {}),
        }
      },
    },
  },
}
