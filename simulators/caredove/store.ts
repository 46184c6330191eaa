/**
 * Everything the simulated Caredove holds — service listings, referrals, integrations and the
 * integration log — and the glue between a staff action and its delivery: the action fires a
 * trigger, the event for it goes to every integration of the referral's listing.
 */
import { randomBytes } from 'node:crypto'
import type { SimulatorStore } from '../kit/control.js'
import { DeliveryLog, type Delivery, type Signing } from './deliveries.js'
import { DEMO_SIGNING_SECRET, MESSAGES, type CloseOutcome, type Trigger } from './inferred.js'
import { buildEvent, type Appointment } from './payload.js'
import { ReferralBook, type ActionResult, type HeldReferral, type ReferralEdit, type ReferralInput } from './referrals.js'

export interface ServiceListing {
  id: string
  name: string
}

/** A staff action's answer: the referral as it is now and what each integration answered. */
export type ActionAnswer = { ok: true; referral: HeldReferral; trigger: Trigger; deliveries: Delivery[] } | { ok: false; status: 400 | 404 | 409 | 410; message: string }

/** `POST /_sim/events`: one event for a trigger, for a new or named referral, sent now. */
export interface EventRequest {
  trigger: Trigger
  /** Where to send it instead of the integrations of the referral's listing. */
  connectionUrl?: string
  referralId?: string
  /** Data for the new referral, or changes to the named one. */
  referral?: Partial<Omit<ReferralInput, 'seed' | 'with_attachments' | 'with_messages'>> & Pick<ReferralInput, 'seed' | 'with_attachments' | 'with_messages'>
  routed?: boolean
  /** For `message_from_*`: the message text (and author). */
  message?: { text: string; author?: string }
  /** For `closed_*`: a sub-status within the category (default: the category). */
  sub_status?: string
  /** Signing knobs for tests: another secret, a clock offset, a repeated event id. */
  signingSecret?: string
  timestampOffsetSeconds?: number
  eventId?: string
}

export class CaredoveStore implements SimulatorStore {
  readonly referrals: ReferralBook
  readonly log: DeliveryLog

  constructor(
    readonly listings: readonly ServiceListing[],
    private readonly now: () => number,
  ) {
    this.referrals = new ReferralBook(now)
    this.log = new DeliveryLog(now)
  }

  listing(id: string): ServiceListing | undefined {
    return this.listings.find((l) => l.id === id)
  }

  /** Sends the event of an action's trigger to every integration of the referral's listing. */
  async dispatch(result: ActionResult): Promise<ActionAnswer> {
    if (!result.ok) return result
    const deliveries: Delivery[] = []
    for (const integration of this.log.integrationsFor(result.referral.service_listing_id)) {
      deliveries.push(await this.log.send({ url: integration.url, integrationId: integration.id }, this.eventFor(result.trigger, result.referral), { secret: integration.signingSecret }))
    }
    return { ok: true, referral: result.referral, trigger: result.trigger, deliveries }
  }

  /**
   * Staff edit a referral. Where a delivery of it was refused with 400 and is still flagged,
   * saving re-sends that event (same id, the fixed data) instead — Caredove's behaviour after a
   * 400; elsewhere the edit is an `edited` event.
   */
  async edit(id: string, edit: ReferralEdit): Promise<ActionAnswer> {
    const result = this.referrals.edit(id, edit)
    if (!result.ok) return result
    const referral = result.referral
    const deliveries: Delivery[] = []
    const refusedUrls = new Set<string>()
    for (const refused of this.log.refused(referral.id)) {
      refusedUrls.add(refused.url)
      const signing = this.log.signingOf(refused.id) ?? { secret: DEMO_SIGNING_SECRET }
      const event = buildEvent(refused.trigger, referral, referral.service_listing_id, { eventId: refused.eventId, occurredAt: this.timestamp() })
      deliveries.push(await this.log.send({ url: refused.url, integrationId: refused.integrationId }, event, { secret: signing.secret }, refused))
    }
    for (const integration of this.log.integrationsFor(referral.service_listing_id)) {
      if (refusedUrls.has(integration.url)) continue
      deliveries.push(await this.log.send({ url: integration.url, integrationId: integration.id }, this.eventFor('edited', referral), { secret: integration.signingSecret }))
    }
    return { ok: true, referral, trigger: 'edited', deliveries }
  }

  /** The simulator's test door: the trigger's change to a new (or named) referral, then its event, sent now. */
  async sendEvent(request: EventRequest): Promise<ActionAnswer> {
    const prepared = this.prepare(request)
    if (!prepared.ok) return prepared
    const { referral } = prepared
    const targets: { url: string; integrationId: string | null; signing: Signing }[] = request.connectionUrl
      ? [{ url: request.connectionUrl, integrationId: null, signing: { secret: request.signingSecret ?? DEMO_SIGNING_SECRET } }]
      : this.log.integrationsFor(referral.service_listing_id).map((i) => ({ url: i.url, integrationId: i.id, signing: { secret: request.signingSecret ?? i.signingSecret } }))
    if (targets.length === 0) return { ok: false, status: 400, message: MESSAGES.noTarget }
    const event = this.eventFor(request.trigger, referral, request.eventId)
    const deliveries: Delivery[] = []
    for (const target of targets) {
      deliveries.push(await this.log.send(target, event, { ...target.signing, timestampOffsetSeconds: request.timestampOffsetSeconds }))
    }
    return { ok: true, referral, trigger: request.trigger, deliveries }
  }

  async resend(deliveryId: string): Promise<{ ok: true; delivery: Delivery } | { ok: false; status: 404 | 410; message: string }> {
    const delivery = await this.log.resend(deliveryId)
    if (delivery === undefined) return { ok: false, status: 404, message: MESSAGES.deliveryNotFound(deliveryId) }
    if (delivery === null) return { ok: false, status: 410, message: MESSAGES.deliveryForgotten(deliveryId) }
    return { ok: true, delivery }
  }

  records(): unknown {
    return {
      listings: this.listings,
      referrals: this.referrals.all().map((r) => ({ ...r, attachments: r.attachments.map(({ data_base64, ...meta }) => ({ ...meta, size_bytes: Buffer.byteLength(data_base64, 'base64') })) })),
      integrations: this.log.integrations,
      deliveries: this.log.deliveries,
    }
  }

  /** Back to empty listings: no referrals, no integrations, an empty log. */
  reset(): void {
    this.referrals.reset()
    this.log.reset()
  }

  /** Applies the trigger's change (making the referral, and an appointment, if needed) without sending anything else. */
  private prepare(request: EventRequest): { ok: true; referral: HeldReferral } | { ok: false; status: 400 | 404 | 409; message: string } {
    const { trigger, referral: data = {} } = request
    const changes = { registrant: data.registrant, requester: data.requester, form_fields: data.form_fields, attachments: data.attachments }
    let referral: HeldReferral
    if (request.referralId) {
      const held = this.referrals.get(request.referralId)
      if (!held) return { ok: false, status: 404, message: MESSAGES.referralNotFound(request.referralId) }
      referral = held
      // The changes are the edit itself for `edited`; for other triggers they come before it, unsent.
      if (trigger !== 'edited' && (data.registrant || data.requester || data.form_fields || data.attachments)) this.referrals.edit(held.id, changes)
      if (data.messages) referral.messages = data.messages
    } else {
      const listingId = data.service_listing_id ?? this.listings[0]?.id
      if (!listingId || !this.listing(listingId)) return { ok: false, status: 400, message: MESSAGES.unknownListing(String(listingId), this.listings.map((l) => l.id)) }
      referral = this.referrals.create({ ...data, service_listing_id: listingId, routed: request.routed }).referral
    }
    if (request.routed !== undefined) referral.routed = request.routed
    const appointment = data.appointment ?? this.defaultAppointment(referral)

    const apply = (): ActionResult => {
      switch (trigger) {
        case 'received':
          return request.referralId ? this.referrals.setSubStatus(referral.id, 'received') : { ok: true, referral, trigger }
        case 'edited':
          return this.referrals.edit(referral.id, request.referralId ? changes : {})
        case 'edited_status_ready':
          return this.referrals.setSubStatus(referral.id, 'ready')
        case 'edited_status_received':
          return this.referrals.setSubStatus(referral.id, 'received')
        case 'booked':
          return this.referrals.book(referral.id, appointment)
        case 'rescheduled_unbooked':
          if (!referral.appointment) this.referrals.book(referral.id, appointment)
          return this.referrals.reschedule(referral.id, { start: new Date(Date.parse(referral.appointment!.start) + 86_400_000).toISOString() })
        case 'archived':
          return referral.status === 'archived' ? { ok: true, referral, trigger } : this.referrals.archive(referral.id)
        case 'message_from_provider':
        case 'message_from_requester':
          return this.referrals.message(referral.id, {
            from: trigger === 'message_from_provider' ? 'provider' : 'requester',
            text: request.message?.text ?? (trigger === 'message_from_provider' ? 'We have received the referral and will contact the client this week.' : 'Any update on an intake date for this client?'),
            author: request.message?.author,
          })
        default:
          return this.referrals.close(referral.id, trigger.slice('closed_'.length) as CloseOutcome, request.sub_status)
      }
    }
    const result = apply()
    return result.ok ? { ok: true, referral: result.referral } : result
  }

  /** Tomorrow at 14:00 UTC, an hour, at the listing's site. */
  private defaultAppointment(referral: HeldReferral): Omit<Appointment, 'status'> {
    const day = new Date(this.now() + 86_400_000)
    day.setUTCHours(14, 0, 0, 0)
    return { start: day.toISOString(), duration_minutes: 60, location: `${this.listing(referral.service_listing_id)?.name ?? 'Main site'} – Room 2`, provider_full_name: 'Jordan Lee, MSW, RSW' }
  }

  private eventFor(trigger: Trigger, referral: HeldReferral, eventId?: string) {
    return buildEvent(trigger, referral, referral.service_listing_id, { eventId: eventId ?? `evt_${randomBytes(8).toString('hex')}`, occurredAt: this.timestamp() })
  }

  private timestamp(): string {
    return new Date(this.now()).toISOString()
  }
}
