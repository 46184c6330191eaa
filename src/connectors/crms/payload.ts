import { createHash } from 'node:crypto'
import type { DroppedField, ReferralPushInput } from '../connector.js'
import { CRM_REFERRAL_FIELDS } from '../../crm/referralFields.js'
import { applyFieldMap } from '../../mapping/mapping.js'
import { getPath, setPath } from '../../mapping/paths.js'
import { crmsFields } from './fields.js'

/** An attachment as CRMS identifies one it holds: the same file name and bytes are never added twice. */
export interface HeldAttachment {
  filename: string
  sha256: string
}

export interface CrmsAttachmentBody {
  filename: string
  content_type: string
  data_base64: string
}

export interface CrmsReferralWrite {
  /** The body for POST /referrals (create) or PATCH /referrals/{id} (update). */
  body: Record<string, unknown>
  /** The same body as the log keeps it: attachment bytes replaced by their size and hash. */
  logged: Record<string, unknown>
  /** Values the field map names that CRMS cannot take (e.g. a date that is not one), with why; they go to the note too. */
  dropped: DroppedField[]
  /** "Date of birth is required" for each required CRMS field the referral leaves empty: nothing is sent while any remain. */
  missing: { field: string; message: string }[]
  /** Attachments not sent because CRMS already holds them (update). */
  alreadyHeld: number
}

const REQUIRED = crmsFields.filter((f) => f.required)

/**
 * The CRMS referral for one CRM inbox referral: the mapped fields, the Referral Note, and the
 * attachments (summary PDF first). A CRM referral field that the CRMS field map does not carry,
 * or whose value CRMS cannot take, is added to the note under its label, so nothing the referrer
 * wrote is lost on the way. An update clears what the referral no longer holds (null, CRMS's
 * "clear") and sends only attachments CRMS does not hold yet.
 */
export function buildCrmsReferral(input: ReferralPushInput, mode: 'create' | 'update', held: readonly HeldAttachment[] = []): CrmsReferralWrite {
  const fields = referralFieldValues(input.referral.fields)
  const mapped = applyFieldMap(fields, input.mapping, crmsFields)
  const body: Record<string, unknown> = {}
  if (mode === 'create') body.external_id = input.referral.externalId
  if (mode === 'update') {
    // Every field the map sends is stated: what the referral no longer holds is cleared in CRMS.
    for (const { emr } of input.mapping.fieldMap) {
      if (crmsFields.some((f) => f.path === emr && !f.managedBy)) setPath(body, emr, null)
    }
  }
  for (const [path, value] of mapped.values) setPath(body, path, value)
  // An appointment with nothing left (unbooked) is cleared whole.
  const appointment = body.appointment as Record<string, unknown> | undefined
  if (mode === 'update' && appointment && Object.values(appointment).every((v) => v === null)) body.appointment = null

  const note = noteWithUncarried(input, fields, mapped.values)
  body.referral_note = note
  const heldKeys = new Set(held.map((h) => `${h.filename.trim()}\u0000${h.sha256}`))
  const toSend = input.attachments.filter((a) => !heldKeys.has(`${a.filename.trim()}\u0000${sha256(a.data)}`))
  const attachments: CrmsAttachmentBody[] = toSend.map((a) => ({ filename: a.filename, content_type: a.contentType, data_base64: a.data.toString('base64') }))
  if (attachments.length > 0 || mode === 'create') body.attachments = attachments

  const missing = REQUIRED.filter((spec) => {
    const value = getPath(body, spec.path)
    return typeof value !== 'string' || value.trim() === ''
  }).map((spec) => ({ field: spec.path, message: `${spec.label} is required` }))

  const logged = {
    ...body,
    ...(body.attachments
      ? { attachments: toSend.map((a) => ({ filename: a.filename, content_type: a.contentType, data_base64: `[${a.data.length} bytes, sha256 ${sha256(a.data)}]` })) }
      : {}),
  }
  return { body, logged, dropped: mapped.dropped, missing, alreadyHeld: input.attachments.length - toSend.length }
}

/**
 * The referral's CRM fields as one nested object (`registrant.firstName` → `{registrant: {firstName}}`),
 * whether they are stored nested or under their dotted paths.
 */
export function referralFieldValues(fields: Record<string, unknown>): Record<string, unknown> {
  const nested: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(fields)) {
    if (key.includes('.')) continue
    nested[key] = structuredClone(value)
  }
  for (const [key, value] of Object.entries(fields)) {
    if (key.includes('.') && value !== undefined) setPath(nested, key, value)
  }
  return nested
}

/** The Referral Note, plus each CRM referral field CRMS is not sent (unmapped, or refused by its type) under its label. */
function noteWithUncarried(input: ReferralPushInput, fields: Record<string, unknown>, sent: Map<string, unknown>): string {
  // A value the field map names but CRMS refused (dropped) is not in `sent`: it goes to the note too.
  const carried = new Set(input.mapping.fieldMap.filter(({ emr }) => sent.has(emr)).map(({ crm }) => crm))
  const lines: string[] = []
  for (const spec of CRM_REFERRAL_FIELDS) {
    const value = getPath(fields, spec.path)
    if (value === undefined || value === null || value === '' || carried.has(spec.path)) continue
    lines.push(`${spec.label}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
  }
  const note = input.referral.note.trim()
  if (lines.length === 0) return note
  const section = `Not carried by the CRMS field map:\n${lines.join('\n')}`
  return note ? `${note}\n\n${section}` : section
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}
