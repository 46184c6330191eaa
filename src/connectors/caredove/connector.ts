import { randomBytes } from 'node:crypto'
import { z } from 'zod'
import { Webhook, WebhookVerificationError } from 'standardwebhooks'
import type { Connector, InboundRefusal } from '../connector.js'
import { caredoveDefaults, caredoveFields } from './fields.js'
import { readEventBody, toInboundReferral } from './payload.js'
import { CAREDOVE_PRESETS, CAREDOVE_TRIGGERS, TRIGGER_LABELS, importedTriggers, notImportedReason } from './triggers.js'

/** Standard Webhooks secrets: `whsec_` and the base64 of 24 to 64 random bytes. */
const SECRET_PATTERN = /^whsec_[A-Za-z0-9+/]{32,88}={0,2}$/

export const CaredoveSettings = z
  .object({
    serviceListingIds: z
      .array(z.string().trim().min(1, 'must not be empty').max(200))
      .min(1, 'name at least one integrated Caredove service listing (e.g. sl_intake_adult)')
      .max(500)
      .describe('The Caredove service listings integrated with this connection; events for other listings are answered 2xx and ignored'),
    preset: z
      .enum(CAREDOVE_PRESETS)
      .default('at_the_end')
      .describe('at_the_end: import when Closed – Completed; at_the_start: import when Received, then updates until accepted; custom: the triggers below'),
    triggers: z.array(z.enum(CAREDOVE_TRIGGERS)).max(CAREDOVE_TRIGGERS.length).default([]).describe('With the custom preset: the triggers that import'),
    includeRoutedRequests: z.boolean().optional().describe('Import routed requests (Received with routed: true); by default on with at_the_start only'),
    destination: z.enum(['crm', 'crms']).default('crm').describe('Where imported referrals go: the CRM referral inbox, or also a CRMS connection'),
    crmsConnectionId: z.string().uuid('must be the id of a CRMS connection').optional().describe('With destination crms: the CRMS connection referrals are delivered to'),
  })
  .strict()
  .superRefine((settings, ctx) => {
    if (settings.preset === 'custom' && settings.triggers.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['triggers'], message: 'the custom preset needs at least one trigger' })
    }
    if (settings.destination === 'crms' && !settings.crmsConnectionId) {
      ctx.addIssue({ code: 'custom', path: ['crmsConnectionId'], message: 'is required when destination is crms' })
    }
  })

export const CaredoveSecrets = z
  .object({
    signingSecret: z
      .string()
      .trim()
      .regex(SECRET_PATTERN, 'must be a Standard Webhooks secret: "whsec_" then the base64 of 24 to 64 bytes (leave it out and the hub makes one)')
      .describe('The secret Caredove signs each event with (Standard Webhooks); made by the hub when left out'),
  })
  .strict()

export type CaredoveSettingsT = z.output<typeof CaredoveSettings>
export type CaredoveSecretsT = z.output<typeof CaredoveSecrets>

export const caredoveConnector: Connector<CaredoveSettingsT, CaredoveSecretsT> = {
  kind: 'caredove',
  title: 'Caredove',
  crmRecord: 'referral',
  settingsSchema: CaredoveSettings,
  secretsSchema: CaredoveSecrets,
  capabilities: {
    referral: {
      push: { supported: false, reason: 'Caredove sends referrals to the hub; the hub does not write to Caredove' },
      pull: { supported: true, note: 'signed events from Caredove (Received, Edited, status, Closed, Booked, Rescheduled, Archived, messages) into the CRM referral inbox' },
    },
    patient: {
      push: { supported: false, reason: 'Caredove is a referral network, not an EMR' },
      pull: { supported: false, reason: 'Caredove is a referral network, not an EMR' },
    },
  },
  fields: caredoveFields,
  defaults: caredoveDefaults,
  shownOnce: ['signingSecret'],
  async generateSecrets() {
    return { signingSecret: `whsec_${randomBytes(32).toString('base64')}` }
  },
  async test(ctx) {
    const settings = ctx.connection.settings
    try {
      new Webhook(ctx.connection.secrets.signingSecret)
    } catch (err) {
      return { ok: false, code: 'bad_secret', message: `The signing secret cannot be used: ${(err as Error).message}` }
    }
    const imported = importedTriggers(settings)
    const triggers = [...imported.triggers].map((t) => TRIGGER_LABELS[t]).join(', ')
    return {
      ok: true,
      message:
        `Caredove calls the hub, so there is nothing to call out to: give Caredove this connection's webhook URL and its signing secret. ` +
        `The secret is well-formed; events for ${settings.serviceListingIds.join(', ')} import on ${triggers}${imported.routed ? ' (routed requests included)' : ''} ` +
        `into the ${settings.destination === 'crms' ? 'CRM referral inbox and CRMS' : 'CRM referral inbox'}.`,
      details: { serviceListingIds: settings.serviceListingIds, triggers: [...imported.triggers], routed: imported.routed, destination: settings.destination },
    }
  },
  flows: {},
  inbound: {
    description:
      'Give Caredove the URL POST {hub}/api/inbound/caredove/{connectionId} and this connection\u2019s signing secret. Caredove signs each event with Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature: HMAC-SHA256 over id.timestamp.body); a bad signature or a timestamp more than 5 minutes off is refused with 401 and nothing is stored. A referral that cannot be imported is answered 400 {"message": "Date of birth is required"} for Caredove\u2019s staff to fix and resend.',
    verify(request, connection) {
      try {
        new Webhook(connection.secrets.signingSecret).verify(request.rawBody, request.headers, { jsonParse: false })
        return null
      } catch (err) {
        if (!(err instanceof WebhookVerificationError)) throw err
        return signatureRefusal(err.message)
      }
    },
    parse(request, connection, mapping) {
      const read = readEventBody(request.rawBody)
      if (!read.ok) return { ok: false, refusal: badRequest(read.message) }
      const event = read.event
      const settings = connection.settings
      const externalReferralId = event.referral.id
      const ignore = (reason: string) => ({ ok: true as const, events: [{ id: event.event_id, type: event.event, work: { kind: 'ignore' as const, reason, externalReferralId } }] })
      if (!settings.serviceListingIds.includes(event.service_listing_id)) {
        return ignore(`service listing ${event.service_listing_id} is not integrated with this connection`)
      }
      const notImported = notImportedReason(settings, event.event, event.referral.routed === true)
      if (notImported) return ignore(notImported)
      const referral = toInboundReferral(event, mapping)
      if (!referral.ok) return { ok: false, refusal: badRequest(referral.message) }
      const destination = settings.destination === 'crms' && settings.crmsConnectionId ? { kind: 'connection' as const, connectionId: settings.crmsConnectionId } : { kind: 'crm' as const }
      return { ok: true, events: [{ id: event.event_id, type: event.event, work: { kind: 'import_referral', trigger: event.event, referral: referral.referral, destination } }] }
    },
  },
}

/** Caredove shows the body to its staff: one short sentence as `{"message"}`. */
function badRequest(message: string): InboundRefusal {
  return { status: 400, code: 'invalid_referral', message, body: { message } }
}

function signatureRefusal(reason: string): InboundRefusal {
  const [code, message] =
    reason === 'Missing required headers'
      ? ['missing_signature', 'The webhook-id, webhook-timestamp and webhook-signature headers are required']
      : reason === 'Message timestamp too old'
        ? ['stale_timestamp', 'The webhook-timestamp is more than 5 minutes old']
        : reason === 'Message timestamp too new'
          ? ['future_timestamp', 'The webhook-timestamp is more than 5 minutes in the future']
          : reason === 'Invalid Signature Headers'
            ? ['bad_timestamp', 'The webhook-timestamp is not a number of seconds']
            : ['bad_signature', 'The webhook-signature does not match this connection\u2019s signing secret']
  return { status: 401, code, message, body: { message } }
}
