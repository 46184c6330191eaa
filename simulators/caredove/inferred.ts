/**
 * What this simulator does that Caredove does not publish, tagged [P] (our proposal) or [I]
 * (inferred). Verified [V] from Caredove's integration articles: the event triggers and their
 * meaning, service listings being what is integrated, each delivery's `http_code` and raw body
 * kept in an integration log, 2xx = success, on 400 staff fix the referral and it is sent again
 * on save, on 5xx staff press Resend, failures flagged until cleared.
 *
 * Kept in this one file (and the wire format in payload.ts) so that, when the real answer is
 * learnt, it is corrected here only.
 */

/** [V] The triggers an integration can send (seed documents 003 and 004); "routed requests" are `received` with `referral.routed: true`. */
export const TRIGGERS = [
  'received',
  'edited',
  'edited_status_ready',
  'edited_status_received',
  'closed_completed',
  'closed_rejected',
  'closed_cancelled',
  'closed_failed',
  'closed_error',
  'booked',
  'rescheduled_unbooked',
  'archived',
  'message_from_provider',
  'message_from_requester',
] as const
export type Trigger = (typeof TRIGGERS)[number]

/** [V] The categories a referral is closed in; [I] the sub-status sent is the category unless staff pick another. */
export const CLOSE_OUTCOMES = ['completed', 'rejected', 'cancelled', 'failed', 'error'] as const
export type CloseOutcome = (typeof CLOSE_OUTCOMES)[number]

/**
 * [P] Events are signed with Standard Webhooks (https://www.standardwebhooks.com/): headers
 * `webhook-id` (= event_id), `webhook-timestamp` (Unix seconds), `webhook-signature`
 * (`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`), secret `whsec_<base64>`.
 */
export const DEMO_SIGNING_SECRET = 'whsec_Y2FyZWJyaWRnZS1kZW1vLWNhcmVkb3ZlLXNpZ25pbmc='

/** [P] The demo organization's service listings (a listing is a program that receives referrals). */
export const DEMO_SERVICE_LISTINGS = [
  { id: 'sl_intake_adult', name: 'Adult Mental Health & Addictions Intake' },
  { id: 'sl_youth_outpatient', name: 'Youth Outpatient Counselling (12–24)' },
] as const

/** [I] How long Caredove waits for the receiver before recording the delivery as failed. */
export const DELIVERY_TIMEOUT_MS = 10_000

export const MESSAGES = {
  referralNotFound: (id: string) => `Referral ${id} not found`,
  deliveryNotFound: (id: string) => `Delivery ${id} not found`,
  deliveryForgotten: (id: string) => `Delivery ${id} is too old to resend: its event is no longer kept`,
  integrationNotFound: (id: string) => `Integration ${id} not found`,
  unknownListing: (id: string, known: string[]) => `Service listing ${id} does not exist (listings: ${known.join(', ')})`,
  noAppointment: (id: string) => `Referral ${id} has no appointment to reschedule or unbook: book one first`,
  alreadyUnbooked: (id: string) => `Referral ${id}'s appointment is already unbooked`,
  alreadyArchived: (id: string) => `Referral ${id} is already archived`,
  noTarget: 'No integration receives this referral\'s service listing: send connectionUrl, or POST /_sim/integrations first',
  badSecret: 'signingSecret must be "whsec_" followed by base64 (e.g. the demo secret)',
  routeNotFound: (method: string, path: string) => `No route matches ${method} ${path}`,
} as const
