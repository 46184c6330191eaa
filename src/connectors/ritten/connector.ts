import type { Connector, FlowStep, PatientPushInput } from '../connector.js'
import { ConnectorError } from '../errors.js'
import { CreatedId, Payers, RittenPatient, RittenSecrets, RittenSettings, expectOk, parseBody, rittenCall, rittenMessage } from './client.js'
import type { RittenContext, RittenSecretsT, RittenSettingsT } from './client.js'
import { rittenDefaults, rittenFields } from './fields.js'
import { buildRittenPayloads } from './payload.js'

type Step = FlowStep<PatientPushInput, RittenSettingsT, RittenSecretsT>

/**
 * Step 1 of seed 000: create with the mandatory fields and our id as `externalId`. Ritten's
 * create is not idempotent, so when an earlier attempt started a create whose answer never came
 * back, or a person cleared the link, the patient is first looked up by externalId and adopted if
 * it exists.
 */
const createStep: Step = {
  name: 'create',
  skip: (_input, ctx) => ctx.link.externalId !== null,
  async run(input, ctx) {
    if (ctx.progress.started.create || ctx.link.clearedByHand) {
      const found = await lookupByExternalId(ctx, input.patient.id)
      if (found) return { link: { externalId: found.id, externalMrn: found.mrn ?? null, state: 'partial' }, output: { adopted: true } }
    }
    const { create } = buildRittenPayloads(input)
    const response = expectOk(await rittenCall(ctx, { operation: 'create', method: 'POST', path: '/patients', json: create }), 'create')
    const { id } = parseBody(CreatedId, response, 'create')
    return { link: { externalId: id, state: 'partial' }, output: { id } }
  },
}

/** Step 2 of seed 000: the bulk — demographics, contacts, addresses and (gated) insurance. */
const patchStep: Step = {
  name: 'patch',
  async run(input, ctx) {
    const id = ctx.link.externalId
    if (!id) throw new ConnectorError({ code: 'no_external_id', message: 'The Ritten patient id is unknown; the create step must run first', retryable: false })
    const { patch, dropped, insuranceNote } = buildRittenPayloads(input)
    const response = await rittenCall(ctx, {
      operation: 'patch',
      method: 'PATCH',
      path: `/patients/${encodeURIComponent(id)}`,
      json: patch,
      note: insuranceNote ?? undefined,
      details: dropped.length > 0 ? { dropped } : undefined,
    })
    if (response.status === 404) {
      throw new ConnectorError({
        code: 'stale_link',
        message: `The linked Ritten patient ${id} no longer exists (404): link the patient to its current record, or clear the link to create it again (PUT /api/patients/{id}/links/{connectionId})`,
        retryable: false,
        httpStatus: 404,
        details: { exchangeId: response.exchangeId },
      })
    }
    const patient = parseBody(RittenPatient, expectOk(response, 'patch'), 'patch')
    return { link: { externalMrn: patient.mrn ?? null, state: 'linked' }, output: { mrn: patient.mrn ?? null, insuranceNote } }
  },
}

async function lookupByExternalId(ctx: RittenContext, externalId: string) {
  const response = await rittenCall(ctx, { operation: 'lookup', method: 'GET', path: `/patients/external/${encodeURIComponent(externalId)}` })
  if (response.status === 404) return null
  return parseBody(RittenPatient, expectOk(response, 'lookup'), 'lookup')
}

export const rittenConnector: Connector<RittenSettingsT, RittenSecretsT> = {
  kind: 'ritten',
  title: 'Ritten',
  settingsSchema: RittenSettings,
  secretsSchema: RittenSecrets,
  capabilities: {
    patient: { push: { supported: true, note: 'two-step: create, then PATCH' }, pull: { supported: false, reason: 'Not built yet: Ritten patients are not pulled into the CRM' } },
    insurance: { push: { supported: true, note: 'inside the PATCH, when the payer code is mapped' }, pull: { supported: false, reason: 'Not built yet' } },
    encounter: { push: { supported: false, reason: 'Not part of this integration' }, pull: { supported: false, reason: 'Not part of this integration' } },
  },
  fields: rittenFields,
  defaults: rittenDefaults,
  // Ritten: 50 requests/s sustained with a burst of 100 (token bucket).
  rateLimit: { kind: 'bucket', capacity: 100, refillPerSecond: 50 },
  async test(ctx) {
    try {
      const response = await rittenCall(ctx, { operation: 'test', method: 'GET', path: '/insurance/payers' })
      if (response.status === 403) {
        return { ok: false, code: 'tenant_refused', message: `Ritten refused tenant "${ctx.connection.settings.tenant}": ${rittenMessage(response)}` }
      }
      const payers = parseBody(Payers, expectOk(response, 'test'), 'test')
      return { ok: true, message: `Connected to Ritten tenant "${ctx.connection.settings.tenant}": ${payers.length} insurance payers available`, details: { payers: payers.length } }
    } catch (err) {
      if (err instanceof ConnectorError) return { ok: false, code: err.code, message: err.message }
      throw err
    }
  },
  flows: {
    pushPatient: {
      steps: [createStep, patchStep],
      preview(input, link) {
        const { create, patch, dropped } = buildRittenPayloads(input)
        return {
          steps: [
            {
              step: 'create',
              method: 'POST',
              path: '/patients',
              body: create,
              ...(link.externalId ? { skipped: `already created in Ritten as ${link.externalId}` } : {}),
            },
            { step: 'patch', method: 'PATCH', path: `/patients/${link.externalId ?? '{id from create}'}`, body: patch },
          ],
          dropped,
        }
      },
    },
  },
}
