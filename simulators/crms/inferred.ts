/**
 * CRMS Software publishes no API. Everything here is our proposal [P], apart from what Caredove's
 * "Caredove-CRMS integration" article states [V]: the mapped registrant / requester / appointment
 * fields, the "Referral Note", the summary PDF plus the referral's attachments, and 400 answers
 * whose `message` is a short sentence staff can act on ("Date of birth is required").
 *
 * Kept in this one file so that, when the real answer is learnt, it is corrected here only.
 */

/** [P] Every error answer: `{"message": "…"}` — one sentence naming what to fix. */
export function crmsError(message: string, extra: Record<string, unknown> = {}): { message: string } & Record<string, unknown> {
  return { message, ...extra }
}

/** [P] Registrant fields CRMS cannot file a referral without, with the label its messages use. */
export const REQUIRED_REGISTRANT_FIELDS = [
  { field: 'first_name', label: 'First name' },
  { field: 'last_name', label: 'Last name' },
  { field: 'date_of_birth', label: 'Date of birth' },
] as const

/** [P] Limits: one attachment's decoded size, and a whole request (base64 inflates by a third). */
export const LIMITS = {
  attachmentBytes: 20 * 1024 * 1024,
  requestBytes: 64 * 1024 * 1024,
  /** Longest text field; the referral note may be longer. */
  textLength: 1000,
  noteLength: 200_000,
  attachments: 50,
} as const

export const MESSAGES = {
  missingApiKey: 'Send your CRMS API key in the X-API-Key header',
  wrongApiKey: 'The API key is not valid for this CRMS instance',
  invalidJson: 'The request body is not valid JSON',
  notAnObject: 'The request body must be a JSON object',
  referralNotFound: (id: string) => `Referral ${id} not found`,
  attachmentNotFound: (id: string, attachmentId: string) => `Referral ${id} has no attachment ${attachmentId}`,
  duplicateExternalId: (externalId: string, id: string) => `A referral with external_id ${externalId} already exists (${id})`,
  alreadyAccepted: (id: string) => `Referral ${id} was accepted in CRMS and can no longer be updated`,
  routeNotFound: (method: string, path: string) => `No route matches ${method} ${path}`,
  required: (label: string) => `${label} is required`,
} as const
