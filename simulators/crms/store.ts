/**
 * CRMS's referral inbox: referrals filed by an integration (status `new`) until CRMS staff
 * accept them, with their attachments kept as bytes. Behind one object that the routes use and
 * the /_sim control surface lists and resets.
 */
import { createHash, randomBytes } from 'node:crypto'
import type { SimulatorStore } from '../kit/control.js'
import { MESSAGES } from './inferred.js'
import { missingRequired, type AttachmentBody, type ReferralBody } from './payload.js'

export type ReferralStatus = 'new' | 'accepted'

type Fields = Record<string, string | number | null>

export interface StoredAttachment {
  id: string
  filename: string
  content_type: string
  size_bytes: number
  sha256: string
  data: Buffer
}

export interface CrmsReferral {
  id: string
  external_id: string
  status: ReferralStatus
  registrant: Fields
  requester: Fields
  appointment: Fields | null
  referral_note: string | null
  attachments: StoredAttachment[]
  /** 1 when filed, +1 per accepted PATCH. */
  revision: number
  created_at: string
  updated_at: string
  accepted_at: string | null
}

/** A referral as the API answers it: attachments described, their bytes served on their own route. */
export type ReferralView = Omit<CrmsReferral, 'attachments'> & { attachments: Omit<StoredAttachment, 'data'>[] }

export type Outcome<T> = { ok: true; value: T } | { ok: false; status: 400 | 404 | 409; body: { message: string; id?: string } }

export class CrmsInbox implements SimulatorStore {
  private readonly referrals = new Map<string, CrmsReferral>()
  /** 4xx answers to API writes, newest last: what an integration was told to fix. */
  readonly refusals: { at: string; method: string; path: string; status: number; message: string }[] = []

  constructor(private readonly now: () => number = Date.now) {}

  create(body: ReferralBody): Outcome<CrmsReferral> {
    const externalId = body.external_id!
    const existing = this.findByExternalId(externalId)
    if (existing) return { ok: false, status: 409, body: { message: MESSAGES.duplicateExternalId(externalId, existing.id), id: existing.id } }
    const at = this.timestamp()
    const referral: CrmsReferral = {
      id: `crms_ref_${randomBytes(8).toString('hex')}`,
      external_id: externalId,
      status: 'new',
      registrant: merge({}, body.registrant),
      requester: merge({}, body.requester),
      appointment: body.appointment ? merge({}, body.appointment) : null,
      referral_note: body.referral_note ?? null,
      attachments: [],
      revision: 1,
      created_at: at,
      updated_at: at,
      accepted_at: null,
    }
    addAttachments(referral, body.attachments ?? [])
    this.referrals.set(referral.id, referral)
    return { ok: true, value: referral }
  }

  /**
   * Sent fields replace, null clears, absent fields stay; an attachment already held (same file
   * name and bytes) is not added twice. Refused once the referral is accepted.
   */
  update(id: string, body: ReferralBody): Outcome<CrmsReferral> {
    const referral = this.referrals.get(id)
    if (!referral) return { ok: false, status: 404, body: { message: MESSAGES.referralNotFound(id) } }
    if (referral.status === 'accepted') return { ok: false, status: 409, body: { message: MESSAGES.alreadyAccepted(id), id } }
    if (body.external_id !== undefined && body.external_id !== referral.external_id) {
      const other = this.findByExternalId(body.external_id)
      if (other) return { ok: false, status: 409, body: { message: MESSAGES.duplicateExternalId(body.external_id, other.id), id: other.id } }
    }
    const registrant = body.registrant === undefined ? referral.registrant : merge(body.registrant === null ? {} : referral.registrant, body.registrant)
    const missing = missingRequired(registrant as Record<string, string | null>)
    if (missing) return { ok: false, status: 400, body: { message: missing } }

    referral.registrant = registrant
    if (body.external_id !== undefined) referral.external_id = body.external_id
    if (body.requester !== undefined) referral.requester = merge(body.requester === null ? {} : referral.requester, body.requester)
    if (body.appointment !== undefined) referral.appointment = body.appointment === null ? null : merge(referral.appointment ?? {}, body.appointment)
    if (body.referral_note !== undefined) referral.referral_note = body.referral_note
    addAttachments(referral, body.attachments ?? [])
    referral.revision += 1
    referral.updated_at = this.timestamp()
    return { ok: true, value: referral }
  }

  /** CRMS staff accept the referral: from then on, updates are refused with 409. */
  accept(id: string): Outcome<CrmsReferral> {
    const referral = this.referrals.get(id)
    if (!referral) return { ok: false, status: 404, body: { message: MESSAGES.referralNotFound(id) } }
    if (referral.status !== 'accepted') {
      referral.status = 'accepted'
      referral.accepted_at = this.timestamp()
    }
    return { ok: true, value: referral }
  }

  get(id: string): CrmsReferral | undefined {
    return this.referrals.get(id)
  }

  list(externalId?: string): CrmsReferral[] {
    const all = [...this.referrals.values()]
    return externalId === undefined ? all : all.filter((r) => r.external_id === externalId)
  }

  records(): { referrals: ReferralView[]; refusals: CrmsInbox['refusals'] } {
    return { referrals: this.list().map(view), refusals: this.refusals }
  }

  reset(): void {
    this.referrals.clear()
    this.refusals.length = 0
  }

  private findByExternalId(externalId: string): CrmsReferral | undefined {
    return this.list().find((r) => r.external_id === externalId)
  }

  private timestamp(): string {
    return new Date(this.now()).toISOString()
  }
}

export function view(referral: CrmsReferral): ReferralView {
  return { ...referral, attachments: referral.attachments.map(({ data: _data, ...meta }) => meta) }
}

function merge(base: Fields, patch: Record<string, string | number | null | undefined> | null | undefined): Fields {
  const out: Fields = { ...base }
  for (const [key, value] of Object.entries(patch ?? {})) {
    if (value === undefined) continue
    if (value === null) delete out[key]
    else out[key] = value
  }
  return out
}

function addAttachments(referral: CrmsReferral, attachments: readonly AttachmentBody[]): void {
  for (const attachment of attachments) {
    const data = Buffer.from(attachment.data_base64, 'base64')
    const sha256 = createHash('sha256').update(data).digest('hex')
    const filename = attachment.filename.trim()
    if (referral.attachments.some((a) => a.filename === filename && a.sha256 === sha256)) continue
    referral.attachments.push({
      id: `att_${referral.attachments.length + 1}`,
      filename,
      content_type: attachment.content_type,
      size_bytes: data.length,
      sha256,
      data,
    })
  }
}
