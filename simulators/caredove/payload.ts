/**
 * The wire format of Caredove's events [P] — not public, ours, shared with the hub's Caredove
 * connector: every event the simulator sends is built here, so the format is corrected in one
 * place. The referral is held in this same shape, so an event is a snapshot of it.
 */
import type { Trigger } from './inferred.js'

export type ReferralStatus = 'open' | 'closed' | 'archived'
export type AppointmentStatus = 'booked' | 'rescheduled' | 'unbooked'

export interface Registrant {
  first_name: string | null
  middle_name: string | null
  last_name: string | null
  /** YYYY-MM-DD */
  dob: string | null
  gender: string | null
  address: { street: string | null; city: string | null; province: string | null; country: string | null; postal_code: string | null }
  preferred_language: string | null
  phone_home: string | null
  phone_alt: string | null
  email: string | null
}

export interface Requester {
  first_name: string | null
  last_name: string | null
  organization: string | null
  phone: string | null
}

export interface Appointment {
  /** ISO 8601 date-time with zone. */
  start: string
  duration_minutes: number
  location: string | null
  provider_full_name: string | null
  status: AppointmentStatus
}

export interface FormField {
  question: string
  answer: string
}

export interface Attachment {
  filename: string
  content_type: string
  data_base64: string
}

export interface Message {
  from: 'provider' | 'requester'
  author: string
  sent_at: string
  text: string
}

/** A referral as Caredove holds it and sends it. */
export interface WireReferral {
  id: string
  status: ReferralStatus
  sub_status: string
  /** A routed request (sent to a routing listing and passed on), delivered as `received`. */
  routed: boolean
  registrant: Registrant
  requester: Requester
  appointment: Appointment | null
  form_fields: FormField[]
  attachments: Attachment[]
  messages: Message[]
}

export interface CaredoveEvent {
  event: Trigger
  event_id: string
  occurred_at: string
  service_listing_id: string
  referral: WireReferral
}

/** The event for a trigger: a deep copy of the referral as it is now, so later edits do not change what was sent. */
export function buildEvent(trigger: Trigger, referral: WireReferral, serviceListingId: string, at: { eventId: string; occurredAt: string }): CaredoveEvent {
  return {
    event: trigger,
    event_id: at.eventId,
    occurred_at: at.occurredAt,
    service_listing_id: serviceListingId,
    referral: structuredClone({
      id: referral.id,
      status: referral.status,
      sub_status: referral.sub_status,
      routed: referral.routed,
      registrant: referral.registrant,
      requester: referral.requester,
      appointment: referral.appointment,
      form_fields: referral.form_fields,
      attachments: referral.attachments,
      messages: referral.messages,
    }),
  }
}
