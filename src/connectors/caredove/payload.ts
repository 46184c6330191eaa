import { z } from 'zod'
import type { InboundReferral, ResolvedMapping } from '../connector.js'
import { CRM_REFERRAL_FIELDS } from '../../crm/referralFields.js'
import { convertForField } from '../../mapping/mapping.js'
import { getPath, setPath } from '../../mapping/paths.js'
import { CAREDOVE_TRIGGERS } from './triggers.js'
import { caredoveFields } from './fields.js'

/**
 * [P] The body Caredove posts for one trigger (its outbound format is not public; this is ours,
 * shared with simulators/caredove). Objects are loose: a key this schema does not name is kept
 * and lands in the Referral Note rather than being dropped or refused.
 */
const Text = z.string().max(20_000).nullish()
const Answer = z.union([z.string().max(20_000), z.number(), z.boolean(), z.null(), z.array(z.union([z.string().max(20_000), z.number(), z.boolean()])).max(200)])

const Registrant = z.looseObject({
  first_name: Text,
  middle_name: Text,
  last_name: Text,
  dob: Text,
  gender: Text,
  address: z.looseObject({ street: Text, city: Text, province: Text, country: Text, postal_code: Text }).nullish(),
  preferred_language: Text,
  phone_home: Text,
  phone_alt: Text,
  email: Text,
})

const Appointment = z.looseObject({
  start: Text,
  duration_minutes: z.number({ error: 'must be a number of minutes' }).int('must be a whole number of minutes').min(0).max(100_000).nullish(),
  location: Text,
  provider_full_name: Text,
  status: z.enum(['booked', 'rescheduled', 'unbooked'], { error: 'must be booked, rescheduled or unbooked' }).nullish(),
})

const Attachment = z.object({
  filename: z.string({ error: 'is required' }).trim().min(1, 'is required').max(255, 'must be at most 255 characters'),
  content_type: z.string().max(255).nullish(),
  data_base64: z
    .string({ error: 'is required (the file as base64)' })
    .regex(/^[A-Za-z0-9+/\r\n]*={0,2}[\r\n]*$/, 'is not base64'),
})

const Message = z.looseObject({
  from: z.enum(['provider', 'requester'], { error: 'must be provider or requester' }),
  author: Text,
  sent_at: Text,
  text: z.string({ error: 'is required' }).max(20_000),
})

const Referral = z.looseObject({
  id: z.string({ error: 'is required' }).trim().min(1, 'is required').max(200),
  status: Text,
  sub_status: Text,
  routed: z.boolean({ error: 'must be true or false' }).optional(),
  registrant: Registrant.nullish(),
  requester: z.looseObject({ first_name: Text, last_name: Text, organization: Text, phone: Text }).nullish(),
  appointment: Appointment.nullish(),
  form_fields: z.array(z.looseObject({ question: z.string({ error: 'is required' }).max(2_000), answer: Answer.optional() })).max(1_000).default([]),
  attachments: z.array(Attachment).max(50, 'at most 50 attachments per referral').default([]),
  messages: z.array(Message).max(2_000).default([]),
})

export const CaredoveEvent = z.looseObject({
  event: z.enum(CAREDOVE_TRIGGERS, { error: `must be one of: ${CAREDOVE_TRIGGERS.join(', ')}` }),
  event_id: z.string({ error: 'is required (each event has its own id)' }).trim().min(1, 'is required').max(200),
  occurred_at: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }).nullish(),
  service_listing_id: z.string({ error: 'is required' }).trim().min(1, 'is required').max(200),
  referral: Referral,
})
export type CaredoveEventT = z.output<typeof CaredoveEvent>

/** Keys read into the referral's own structure (status, appointments, messages, attachments), not the note. */
const STRUCTURAL = new Set(['id', 'status', 'sub_status', 'routed', 'form_fields', 'attachments', 'messages', 'appointment.status'])
const EVENT_KEYS = new Set(['event', 'event_id', 'occurred_at', 'service_listing_id', 'referral'])

/** A body as JSON, or the sentence that says why not (for a 400 Caredove's staff read). */
export function readEventBody(raw: Buffer): { ok: true; event: CaredoveEventT } | { ok: false; message: string } {
  let json: unknown
  try {
    json = JSON.parse(raw.toString('utf8'))
  } catch {
    return { ok: false, message: 'The body is not JSON' }
  }
  const parsed = CaredoveEvent.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '')
    return { ok: false, message: `${path || 'The body'} ${issue.message.replace(/^Invalid input: /, '')}` }
  }
  return { ok: true, event: parsed.data }
}

/**
 * The referral in CRM terms: the fields the connection's field map names (converted to the CRM
 * field's type, or a sentence naming the field when a value cannot be), and everything else —
 * unmapped fields with their labels, keys this connector does not know, every form answer
 * labelled with its question — for the Referral Note, in the sender's order (the messages,
 * carried apart, close the note).
 */
export function toInboundReferral(event: CaredoveEventT, mapping: ResolvedMapping): { ok: true; referral: InboundReferral } | { ok: false; message: string } {
  const referral = event.referral
  const crmSpecs = new Map(CRM_REFERRAL_FIELDS.map((s) => [s.path, s]))
  const fields: Record<string, unknown> = {}
  const mapped = new Set<string>()
  for (const { crm, emr } of mapping.fieldMap) {
    const spec = crmSpecs.get(crm)
    if (!spec) continue
    mapped.add(emr)
    const raw = getPath(referral, emr)
    if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) continue
    const converted = convertForField(typeof raw === 'string' ? raw.trim() : raw, spec)
    if (!converted.ok) return { ok: false, message: `${spec.label} ${converted.problem}` }
    setPath(fields, crm, converted.value)
  }

  const unmapped: InboundReferral['unmapped'] = []
  const labels = new Map(caredoveFields.map((f) => [f.path, f.label]))
  const collect = (value: unknown, path: string) => {
    if (STRUCTURAL.has(path) || mapped.has(path)) return
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      for (const [key, inner] of Object.entries(value)) collect(inner, path ? `${path}.${key}` : key)
      return
    }
    const text = noteText(value)
    if (text !== null) unmapped.push({ label: labels.get(path) ?? humanize(path), value: text })
  }
  for (const [key, value] of Object.entries(referral)) collect(value, key)
  for (const field of referral.form_fields) {
    const text = noteText(field.answer)
    if (text !== null) unmapped.push({ label: field.question.trim() || 'Form answer', value: text })
  }
  for (const [key, value] of Object.entries(event)) if (!EVENT_KEYS.has(key)) collect(value, `event.${key}`)

  const appointment = referral.appointment
  return {
    ok: true,
    referral: {
      externalId: referral.id,
      serviceListingId: event.service_listing_id,
      status: referral.status ?? null,
      subStatus: referral.sub_status ?? null,
      occurredAt: event.occurred_at ?? null,
      fields,
      unmapped,
      appointment: appointment
        ? {
            start: appointment.start ?? null,
            durationMinutes: appointment.duration_minutes ?? null,
            location: appointment.location ?? null,
            providerFullName: appointment.provider_full_name ?? null,
            status: appointment.status ?? (event.event === 'rescheduled_unbooked' ? 'rescheduled' : 'booked'),
          }
        : null,
      messages: referral.messages.map((m) => ({ from: m.from, author: m.author ?? null, sentAt: m.sent_at ?? null, text: m.text })),
      attachments: referral.attachments.map((a) => ({ filename: a.filename, contentType: a.content_type ?? 'application/octet-stream', data: Buffer.from(a.data_base64, 'base64') })),
      source: { ...event, referral: { ...referral, attachments: referral.attachments.map((a) => ({ filename: a.filename, content_type: a.content_type ?? null, size_bytes: Buffer.byteLength(a.data_base64, 'base64') })) } },
    },
  }
}

function noteText(value: unknown): string | null {
  if (value === undefined || value === null) return null
  if (Array.isArray(value)) {
    const parts = value.map(noteText).filter((v): v is string => v !== null)
    return parts.length > 0 ? parts.join(', ') : null
  }
  if (typeof value === 'object') return JSON.stringify(value)
  if (typeof value === 'boolean') return value ? 'Yes' : 'No'
  const text = String(value).trim()
  return text === '' ? null : text
}

/** `registrant.address.unit_number` → "Registrant address unit number": a label for a key no catalog names. */
function humanize(path: string): string {
  const words = path.replace(/^event\./, '').replace(/[._]+/g, ' ').replace(/([a-z])([A-Z])/g, '$1 $2').trim().toLowerCase()
  return words.charAt(0).toUpperCase() + words.slice(1)
}
