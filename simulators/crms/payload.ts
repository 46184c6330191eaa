/**
 * The bodies of POST and PATCH /referrals, parsed strictly: an unknown field, a wrong type or a
 * bad value is a 400 whose message names the field (an attachment by its file name). Missing
 * required registrant fields are checked on the referral as it would be stored, so a PATCH may
 * complete a referral but never empty a required field.
 */
import { z } from 'zod'
import { LIMITS, MESSAGES, REQUIRED_REGISTRANT_FIELDS } from './inferred.js'

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
const MIME_TYPE = /^[A-Za-z0-9][\w.+-]*\/[A-Za-z0-9][\w.+-]*(?:\s*;.*)?$/

/** null and a missing key both mean "not given" (a PATCH uses null to clear a field). */
const text = (max: number = LIMITS.textLength) => z.string().max(max).nullable().optional()

const dateOfBirth = z
  .string()
  .refine((value) => isCalendarDate(value), { message: 'must be a date in YYYY-MM-DD format' })
  .refine((value) => !isCalendarDate(value) || value <= new Date().toISOString().slice(0, 10), { message: 'cannot be in the future' })
  .nullable()
  .optional()

const email = z
  .string()
  .max(LIMITS.textLength)
  .refine((value) => value === '' || /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value), { message: 'must be an email address' })
  .nullable()
  .optional()

const registrantSchema = z.strictObject({
  first_name: text(),
  middle_name: text(),
  last_name: text(),
  date_of_birth: dateOfBirth,
  gender: text(),
  address: text(),
  city: text(),
  province: text(),
  country: text(),
  postal_code: text(),
  preferred_language: text(),
  phone_home: text(),
  phone_alt: text(),
  email,
})

const requesterSchema = z.strictObject({
  first_name: text(),
  last_name: text(),
  organization: text(),
  phone: text(),
})

const appointmentSchema = z.strictObject({
  start: z
    .string()
    .refine((value) => isIsoDateTime(value), { message: 'must be an ISO 8601 date-time with a time zone, e.g. 2026-12-01T14:00:00Z' })
    .nullable()
    .optional(),
  duration_minutes: z.number().int().positive().max(24 * 60).nullable().optional(),
  location: text(),
  provider_full_name: text(),
})

const attachmentSchema = z
  .strictObject({
    filename: z.string().trim().min(1).max(255),
    content_type: z.string().regex(MIME_TYPE, { message: 'must be a media type such as application/pdf' }),
    data_base64: z.string().min(1).regex(BASE64, { message: 'is not valid base64' }),
  })
  .refine((a) => !BASE64.test(a.data_base64) || base64Size(a.data_base64) <= LIMITS.attachmentBytes, {
    message: `is larger than ${LIMITS.attachmentBytes / 1024 / 1024} MB`,
    path: ['data_base64'],
  })

const referralSchema = z.strictObject({
  external_id: z.string().trim().min(1).max(200).optional(),
  registrant: registrantSchema.nullable().optional(),
  requester: requesterSchema.nullable().optional(),
  appointment: appointmentSchema.nullable().optional(),
  referral_note: text(LIMITS.noteLength),
  attachments: z.array(attachmentSchema).max(LIMITS.attachments).nullable().optional(),
})

export type ReferralBody = z.infer<typeof referralSchema>
export type RegistrantBody = z.infer<typeof registrantSchema>
export type AttachmentBody = z.infer<typeof attachmentSchema>

export type ParseResult = { ok: true; body: ReferralBody } | { ok: false; message: string }

/** Parses a POST /referrals body: everything the PATCH checks, plus `external_id` and the required registrant fields. */
export function parseCreate(input: unknown): ParseResult {
  const parsed = parseReferral(input)
  if (!parsed.ok) return parsed
  if (!parsed.body.external_id) return { ok: false, message: MESSAGES.required('external_id') }
  const missing = missingRequired(parsed.body.registrant ?? {})
  return missing ? { ok: false, message: missing } : parsed
}

/** Parses a PATCH /referrals/:id body; the required fields are checked on the merged referral by the caller. */
export function parseReferral(input: unknown): ParseResult {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return { ok: false, message: MESSAGES.notAnObject }
  const result = referralSchema.safeParse(input)
  if (result.success) return { ok: true, body: result.data }
  return { ok: false, message: describeIssue(result.error.issues[0]!, input as Record<string, unknown>) }
}

/** "Date of birth is required" for the first required registrant field that is missing or blank. */
export function missingRequired(registrant: Partial<Record<string, string | null | undefined>>): string | null {
  for (const { field, label } of REQUIRED_REGISTRANT_FIELDS) {
    const value = registrant[field]
    if (typeof value !== 'string' || value.trim() === '') return MESSAGES.required(label)
  }
  return null
}

/** One sentence naming the field: "registrant.date_of_birth must be a date in YYYY-MM-DD format". */
function describeIssue(issue: z.core.$ZodIssue, input: Record<string, unknown>): string {
  const path = issue.path
  const subject = subjectOf(path, input)
  switch (issue.code) {
    case 'unrecognized_keys': {
      const prefix = subject === 'body' ? '' : `${subject}.`
      return `${prefix}${issue.keys[0]} is not a CRMS referral field`
    }
    case 'invalid_type':
      return `${subject} must be ${article(issue.expected)}`
    case 'too_big':
      return issue.origin === 'string'
        ? `${subject} must be at most ${issue.maximum} characters`
        : issue.origin === 'array'
          ? `${subject} may hold at most ${issue.maximum} items`
          : `${subject} must be at most ${issue.maximum}`
    case 'too_small':
      return issue.origin === 'string' ? `${subject} must not be empty` : `${subject} must be at least ${issue.minimum === 0 ? 1 : issue.minimum}`
    default:
      return `${subject} ${issue.message}`
  }
}

/** The field an issue is about; an attachment's fields are named by its file name, as staff know it. */
function subjectOf(path: readonly PropertyKey[], input: Record<string, unknown>): string {
  if (path[0] === 'attachments' && typeof path[1] === 'number') {
    const entry = Array.isArray(input.attachments) ? (input.attachments[path[1]] as Record<string, unknown> | undefined) : undefined
    const name = entry && typeof entry.filename === 'string' && entry.filename.trim() !== '' ? `"${entry.filename}"` : `#${path[1] + 1}`
    const rest = path.slice(2).map(String).join('.')
    return rest ? `Attachment ${name} ${rest}` : `Attachment ${name}`
  }
  let out = ''
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out ? `.${String(part)}` : String(part)
  return out || 'body'
}

function article(expected: string): string {
  if (expected === 'object') return 'an object'
  if (expected === 'array') return 'a list'
  if (expected === 'int') return 'a whole number'
  return `a ${expected}`
}

export function isCalendarDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false
  const date = new Date(`${value}T00:00:00Z`)
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value
}

function isIsoDateTime(value: string): boolean {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value) && !Number.isNaN(Date.parse(value))
}

function base64Size(data: string): number {
  const padding = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0
  return (data.length / 4) * 3 - padding
}
