/**
 * The referrals Caredove holds on its service listings, and what its staff do to them. Each
 * action changes the referral and names the trigger it fires; sending is the store's job.
 */
import { randomBytes } from 'node:crypto'
import { generateReferral } from './generator.js'
import { MESSAGES, type CloseOutcome, type Trigger } from './inferred.js'
import type { Appointment, Attachment, FormField, Message, Registrant, Requester, WireReferral } from './payload.js'

/** A referral and the listing it was sent to; `history` is what happened to it, newest last. */
export interface HeldReferral extends WireReferral {
  service_listing_id: string
  created_at: string
  updated_at: string
  history: { at: string; trigger: Trigger }[]
}

export type RegistrantPatch = Partial<Omit<Registrant, 'address'>> & { address?: Partial<Registrant['address']> }

export interface ReferralInput {
  service_listing_id: string
  routed?: boolean
  /** Seeds the generated data (defaults to a counter). */
  seed?: number
  /** Generated attachments (a referral letter PDF and a scanned PNG); default true. */
  with_attachments?: boolean
  /** A generated message from the requester; default true. */
  with_messages?: boolean
  registrant?: RegistrantPatch
  requester?: Partial<Requester>
  form_fields?: FormField[]
  attachments?: Attachment[]
  messages?: Message[]
  appointment?: Omit<Appointment, 'status'> | null
}

export interface ReferralEdit {
  registrant?: RegistrantPatch
  requester?: Partial<Requester>
  /** Upserted by question. */
  form_fields?: FormField[]
  /** Added; one with the same file name replaces it. */
  attachments?: Attachment[]
}

export type ActionResult = { ok: true; referral: HeldReferral; trigger: Trigger } | { ok: false; status: 404 | 409; message: string }

export class ReferralBook {
  private readonly referrals = new Map<string, HeldReferral>()
  private seeds = 0

  constructor(private readonly now: () => number) {}

  get(id: string): HeldReferral | undefined {
    return this.referrals.get(id)
  }

  all(): HeldReferral[] {
    return [...this.referrals.values()]
  }

  reset(): void {
    this.referrals.clear()
    this.seeds = 0
  }

  /** A referral arrives in the listing's inbox (`received`; a routed request when `routed`). */
  create(input: ReferralInput): ActionResult & { ok: true } {
    const at = this.timestamp()
    const generated = generateReferral(input.seed ?? ++this.seeds, new Date(this.now()), { attachments: input.with_attachments, messages: input.with_messages })
    const referral: HeldReferral = {
      id: `ref_${randomBytes(6).toString('hex')}`,
      service_listing_id: input.service_listing_id,
      status: 'open',
      sub_status: 'received',
      routed: input.routed ?? false,
      registrant: patchRegistrant(generated.registrant, input.registrant),
      requester: { ...generated.requester, ...input.requester },
      appointment: input.appointment ? { ...input.appointment, status: 'booked' } : null,
      form_fields: upsertFields(generated.form_fields, input.form_fields ?? []),
      attachments: input.attachments ?? generated.attachments,
      messages: input.messages ?? generated.messages,
      created_at: at,
      updated_at: at,
      history: [],
    }
    this.referrals.set(referral.id, referral)
    return this.fired(referral, 'received')
  }

  edit(id: string, edit: ReferralEdit): ActionResult {
    return this.change(id, 'edited', (r) => {
      if (edit.registrant) r.registrant = patchRegistrant(r.registrant, edit.registrant)
      if (edit.requester) r.requester = { ...r.requester, ...edit.requester }
      if (edit.form_fields) r.form_fields = upsertFields(r.form_fields, edit.form_fields)
      for (const file of edit.attachments ?? []) r.attachments = [...r.attachments.filter((a) => a.filename !== file.filename), file]
    })
  }

  setSubStatus(id: string, subStatus: 'ready' | 'received'): ActionResult {
    return this.change(id, subStatus === 'ready' ? 'edited_status_ready' : 'edited_status_received', (r) => {
      r.status = 'open'
      r.sub_status = subStatus
    })
  }

  close(id: string, outcome: CloseOutcome, subStatus?: string): ActionResult {
    return this.change(id, `closed_${outcome}`, (r) => {
      r.status = 'closed'
      r.sub_status = subStatus ?? outcome
    })
  }

  book(id: string, appointment: Omit<Appointment, 'status'>): ActionResult {
    return this.change(id, 'booked', (r) => {
      r.appointment = { ...appointment, status: 'booked' }
    })
  }

  reschedule(id: string, changes: Partial<Omit<Appointment, 'status'>>): ActionResult {
    const referral = this.referrals.get(id)
    if (referral && !referral.appointment) return { ok: false, status: 409, message: MESSAGES.noAppointment(id) }
    return this.change(id, 'rescheduled_unbooked', (r) => {
      r.appointment = { ...r.appointment!, ...changes, status: 'rescheduled' }
    })
  }

  unbook(id: string): ActionResult {
    const referral = this.referrals.get(id)
    if (referral && !referral.appointment) return { ok: false, status: 409, message: MESSAGES.noAppointment(id) }
    if (referral?.appointment?.status === 'unbooked') return { ok: false, status: 409, message: MESSAGES.alreadyUnbooked(id) }
    return this.change(id, 'rescheduled_unbooked', (r) => {
      r.appointment = { ...r.appointment!, status: 'unbooked' }
    })
  }

  archive(id: string): ActionResult {
    if (this.referrals.get(id)?.status === 'archived') return { ok: false, status: 409, message: MESSAGES.alreadyArchived(id) }
    return this.change(id, 'archived', (r) => {
      r.status = 'archived'
    })
  }

  message(id: string, message: { from: 'provider' | 'requester'; text: string; author?: string }): ActionResult {
    return this.change(id, message.from === 'provider' ? 'message_from_provider' : 'message_from_requester', (r) => {
      const author = message.author ?? (message.from === 'provider' ? 'Intake Coordinator' : [r.requester.first_name, r.requester.last_name].filter(Boolean).join(' ') || 'Requester')
      r.messages = [...r.messages, { from: message.from, author, sent_at: this.timestamp(), text: message.text }]
    })
  }

  private change(id: string, trigger: Trigger, apply: (referral: HeldReferral) => void): ActionResult {
    const referral = this.referrals.get(id)
    if (!referral) return { ok: false, status: 404, message: MESSAGES.referralNotFound(id) }
    apply(referral)
    referral.updated_at = this.timestamp()
    return this.fired(referral, trigger)
  }

  private fired(referral: HeldReferral, trigger: Trigger): ActionResult & { ok: true } {
    referral.history.push({ at: this.timestamp(), trigger })
    return { ok: true, referral, trigger }
  }

  private timestamp(): string {
    return new Date(this.now()).toISOString()
  }
}

function patchRegistrant(base: Registrant, patch: RegistrantPatch | undefined): Registrant {
  if (!patch) return structuredClone(base)
  const { address, ...rest } = patch
  return { ...base, ...rest, address: { ...base.address, ...address } }
}

function upsertFields(fields: readonly FormField[], changes: readonly FormField[]): FormField[] {
  const out = fields.map((f) => ({ ...f }))
  for (const change of changes) {
    const existing = out.find((f) => f.question === change.question)
    if (existing) existing.answer = change.answer
    else out.push({ ...change })
  }
  return out
}
