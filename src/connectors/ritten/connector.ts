import type { Connector, FlowStep, PatientPushInput } from '../connector.js'
import { ConnectorError } from '../errors.js'
import { CreatedId, Payers, RittenPatient, RittenSecrets, RittenSettings, expectOk, parseBody, rittenCall, rittenMessage } from './client.js'
import type { RittenContext, RittenSecretsT, RittenSettingsT } from './client.js'
import { rittenDefaults, rittenFields } from './fields.js'
import {
  adoptHeldEntries,
  applyKnownIds,
  entriesLeftInRitten,
  leftInRittenReason,
  NO_HELD_ENTRIES,
  nextEntryIds,
  readEntryIds,
  takeNewEntryIds,
  withEntryIds,
  type HeldEntries,
} from './entries.js'
import { buildRittenPayloads, createProblem, patchBody } from './payload.js'

type Step = FlowStep<PatientPushInput, RittenSettingsT, RittenSecretsT>
type StepCtx = Parameters<Step['run']>[1]

/**
 * Step 1 (the help-center article "Ritten EMR Integration Data Flow and Insurance Mapping
 * (CRM)"): create with the mandatory fields and our id as `externalId`. Ritten's create is not
 * idempotent, so when an earlier attempt started a create whose answer never came back, or a
 * person cleared the link, the patient is first looked up by externalId and adopted if it exists.
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
    const problem = createProblem(create)
    if (problem) throw new ConnectorError({ code: 'missing_name', message: problem, retryable: false })
    const response = expectOk(await rittenCall(ctx, { operation: 'create', method: 'POST', path: '/patients', json: create }), 'create')
    const { id } = parseBody(CreatedId, response, 'create')
    return { link: { externalId: id, state: 'partial' }, output: { id } }
  },
}

/**
 * Step 2: the bulk — demographics, contacts, the address and (gated) insurance. Address and
 * insurance entries go with the ids Ritten gave them, so that Ritten updates them instead of
 * adding copies; the ids are kept with the link (entries.ts).
 */
const patchStep: Step = {
  name: 'patch',
  async run(input, ctx) {
    const id = ctx.link.externalId
    if (!id) throw new ConnectorError({ code: 'no_external_id', message: 'The Ritten patient id is unknown; the create step must run first', retryable: false })
    const payloads = buildRittenPayloads(input)
    const { entries, present } = payloads
    const kept = readEntryIds(ctx.link.syncedValues)
    applyKnownIds(entries, kept)
    const leftInRitten = entriesLeftInRitten(kept, present)
    const note = [payloads.insuranceNote, ...leftInRitten.map(leftInRittenReason)].filter(Boolean).join('; ') || undefined

    // What Ritten held before this PATCH, where entries without an id might already be there: a
    // patient this job did not just create, or an earlier PATCH whose answer was lost.
    let before = createdByThisJob(ctx) ? NO_HELD_ENTRIES : null
    if (entries.some((e) => !e.id) && before === null) {
      before = await readHeldEntries(ctx, id)
      adoptHeldEntries(entries, before)
    }
    const send = () =>
      rittenCall(ctx, {
        operation: 'patch',
        method: 'PATCH',
        path: `/patients/${encodeURIComponent(id)}`,
        json: patchBody(payloads),
        note,
        details: payloads.dropped.length > 0 ? { dropped: payloads.dropped } : undefined,
      })
    let response = await send()
    if (response.status === 400 && entries.some((e) => e.id)) {
      // Perhaps an entry was deleted inside Ritten, and its kept id is refused: forget the ids
      // Ritten no longer has and try once more; any other 400 stands.
      const held = await readHeldEntries(ctx, id)
      const gone = entries.filter((e) => e.id && !held[e.field].some((h) => h.id === e.id))
      if (gone.length > 0) {
        for (const entry of gone) delete entry.id
        adoptHeldEntries(entries, held)
        before = held
        response = await send()
      }
    }
    if (response.status === 404) throw staleLink(id, response)
    const patient = parseBody(RittenPatient, expectOk(response, 'patch'), 'patch')
    takeNewEntryIds(entries, { addresses: patient.addresses, insurance: patient.insurance }, before ?? NO_HELD_ENTRIES)
    const ids = nextEntryIds(kept, entries, present)
    return {
      link: { externalMrn: patient.mrn ?? null, state: 'linked' },
      output: {
        mrn: patient.mrn ?? null,
        insuranceNote: payloads.insuranceNote,
        ...(leftInRitten.length > 0 ? { leftInRitten: leftInRitten.map((e) => ({ field: e.field, id: e.id, label: e.label })) } : {}),
      },
      // The entry ids live in the link's synced values; nothing else is reconciled for Ritten.
      sync: { values: withEntryIds(ctx.link.syncedValues, ids), emrUpdatedAt: null, conflicts: [], crmChanges: {} },
    }
  },
}

/**
 * Whether the Ritten patient was created by this job and no PATCH has reached it yet: then it
 * holds no address or insurance, and there is nothing to look up before the first PATCH.
 */
function createdByThisJob(ctx: StepCtx): boolean {
  const created = ctx.done.create?.output
  return created !== undefined && typeof created.id === 'string' && !ctx.progress.started.patch
}

async function readHeldEntries(ctx: RittenContext, id: string): Promise<HeldEntries> {
  const response = await rittenCall(ctx, { operation: 'read', method: 'GET', path: `/patients/${encodeURIComponent(id)}` })
  if (response.status === 404) throw staleLink(id, response)
  const patient = parseBody(RittenPatient, expectOk(response, 'read'), 'read')
  return { addresses: patient.addresses, insurance: patient.insurance }
}

function staleLink(id: string, response: { exchangeId: string }): ConnectorError {
  return new ConnectorError({
    code: 'stale_link',
    message: `The linked Ritten patient ${id} no longer exists (404): link the patient to its current record, or clear the link to create it again (PUT /api/patients/{id}/links/{connectionId})`,
    retryable: false,
    httpStatus: 404,
    details: { exchangeId: response.exchangeId },
  })
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
  // Ritten: 50 requests/s sustained with a burst of 100 (token bucket). We burst 10 under it:
  // Ritten's bucket starts refilling when our first call reaches it, later than we reserved it,
  // so calls that travel faster than that one would find it short (a burst test saw one 429);
  // 10 tokens absorb 200 ms of such difference.
  rateLimit: { kind: 'bucket', capacity: 90, refillPerSecond: 50 },
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
        const payloads = buildRittenPayloads(input)
        const { create } = payloads
        const kept = readEntryIds(link.syncedValues)
        applyKnownIds(payloads.entries, kept)
        const patch = patchBody(payloads)
        const problem = link.externalId ? null : createProblem(create)
        const dropped = [
          ...(problem ? [{ field: 'name', reason: problem }] : []),
          ...payloads.dropped,
          ...entriesLeftInRitten(kept, payloads.present).map((e) => ({ field: e.field, reason: leftInRittenReason(e) })),
        ]
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
