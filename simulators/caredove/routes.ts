/**
 * The simulator's control surface (Caredove has no inbound API of its own here): integrations,
 * the test door `POST /_sim/events`, staff actions on referrals that fire triggers, and the
 * integration log with Resend. Bodies are parsed strictly; a bad one is a 400 naming the field.
 * Data fields take any text: the hub's checks (a malformed date, a fake PDF) must be testable.
 */
import type { FastifyInstance, FastifyReply } from 'fastify'
import { z } from 'zod'
import { CLOSE_OUTCOMES, DEMO_SIGNING_SECRET, MESSAGES, TRIGGERS } from './inferred.js'
import type { HeldReferral } from './referrals.js'
import type { ActionAnswer, CaredoveStore } from './store.js'

const text = z.string().max(10_000).nullable()
const registrantPatch = z.strictObject({
  first_name: text.optional(),
  middle_name: text.optional(),
  last_name: text.optional(),
  dob: text.optional(),
  gender: text.optional(),
  address: z.strictObject({ street: text.optional(), city: text.optional(), province: text.optional(), country: text.optional(), postal_code: text.optional() }).optional(),
  preferred_language: text.optional(),
  phone_home: text.optional(),
  phone_alt: text.optional(),
  email: text.optional(),
})
const requesterPatch = z.strictObject({ first_name: text.optional(), last_name: text.optional(), organization: text.optional(), phone: text.optional() })
const formField = z.strictObject({ question: z.string().min(1), answer: z.string() })
const attachment = z.strictObject({ filename: z.string().min(1), content_type: z.string().min(1), data_base64: z.string() })
const message = z.strictObject({ from: z.enum(['provider', 'requester']), author: z.string().min(1), sent_at: z.string().min(1), text: z.string() })
const isoDateTime = z.string().refine((v) => !Number.isNaN(Date.parse(v)) && /T/.test(v), { message: 'must be an ISO 8601 date-time' })
const appointment = z.strictObject({ start: isoDateTime, duration_minutes: z.number().int().positive(), location: text, provider_full_name: text })
const appointmentChange = appointment.partial()
const secret = z.string().refine((v) => /^whsec_[A-Za-z0-9+/]+={0,2}$/.test(v), { message: MESSAGES.badSecret })
const url = z.string().refine((v) => /^https?:\/\//.test(v) && URL.canParse(v), { message: 'must be an http(s) URL' })

const referralData = z.strictObject({
  service_listing_id: z.string().optional(),
  seed: z.number().int().nonnegative().optional(),
  with_attachments: z.boolean().optional(),
  with_messages: z.boolean().optional(),
  registrant: registrantPatch.optional(),
  requester: requesterPatch.optional(),
  form_fields: z.array(formField).optional(),
  attachments: z.array(attachment).optional(),
  messages: z.array(message).optional(),
  appointment: appointment.nullable().optional(),
})

const schemas = {
  integration: z.strictObject({ url, signingSecret: secret.optional(), serviceListingIds: z.array(z.string()).min(1).optional() }),
  event: z.strictObject({
    trigger: z.enum(TRIGGERS),
    connectionUrl: url.optional(),
    referralId: z.string().optional(),
    referral: referralData.optional(),
    routed: z.boolean().optional(),
    message: z.strictObject({ text: z.string().min(1), author: z.string().min(1).optional() }).optional(),
    sub_status: z.string().min(1).optional(),
    signingSecret: secret.optional(),
    timestampOffsetSeconds: z.number().int().optional(),
    eventId: z.string().min(1).max(200).optional(),
  }),
  create: referralData.extend({ routed: z.boolean().optional() }),
  edit: z.strictObject({ registrant: registrantPatch.optional(), requester: requesterPatch.optional(), form_fields: z.array(formField).optional(), attachments: z.array(attachment).optional() }),
  status: z.strictObject({ sub_status: z.enum(['ready', 'received']) }),
  close: z.strictObject({ outcome: z.enum(CLOSE_OUTCOMES), sub_status: z.string().min(1).optional() }),
  message: z.strictObject({ from: z.enum(['provider', 'requester']), text: z.string().min(1), author: z.string().min(1).optional() }),
}

type Parsed<T> = { ok: true; value: T } | { ok: false }

/** Registers the /_sim routes of Caredove. Call after installSimControl. */
export function registerCaredoveRoutes(app: FastifyInstance, store: CaredoveStore): void {
  const parse = <S extends z.ZodType>(schema: S, body: unknown, reply: FastifyReply): Parsed<z.infer<S>> => {
    const result = schema.safeParse(body ?? {})
    if (result.success) return { ok: true, value: result.data }
    void reply.code(400).send({ message: describe(result.error.issues[0]!) })
    return { ok: false }
  }
  const id = (params: unknown) => (params as { id: string }).id

  app.get('/_sim/listings', async () => ({ items: store.listings }))

  app.get('/_sim/integrations', async () => ({ items: store.log.integrations }))
  app.post('/_sim/integrations', async (request, reply) => {
    const body = parse(schemas.integration, request.body, reply)
    if (!body.ok) return reply
    const listingIds = body.value.serviceListingIds ?? store.listings.map((l) => l.id)
    const unknown = listingIds.find((l) => !store.listing(l))
    if (unknown) return reply.code(400).send({ message: MESSAGES.unknownListing(unknown, store.listings.map((l) => l.id)) })
    return reply.code(201).send(store.log.addIntegration({ url: body.value.url, signingSecret: body.value.signingSecret ?? DEMO_SIGNING_SECRET, serviceListingIds: listingIds }))
  })
  app.delete('/_sim/integrations/:id', async (request, reply) => {
    if (!store.log.removeIntegration(id(request.params))) return reply.code(404).send({ message: MESSAGES.integrationNotFound(id(request.params)) })
    return reply.code(204).send()
  })

  app.post('/_sim/events', async (request, reply) => {
    const body = parse(schemas.event, request.body, reply)
    if (!body.ok) return reply
    const answer = await store.sendEvent(body.value)
    if (!answer.ok) return reply.code(answer.status).send({ message: answer.message })
    // The delivery record, as Caredove's integration log shows it (the first, if several integrations got it).
    return { ...answer.deliveries[0]!, referralId: answer.referral.id, deliveries: answer.deliveries }
  })

  app.get('/_sim/referrals', async () => ({ items: store.referrals.all().map(summary) }))
  app.get('/_sim/referrals/:id', async (request, reply) => {
    const referral = store.referrals.get(id(request.params))
    return referral ?? reply.code(404).send({ message: MESSAGES.referralNotFound(id(request.params)) })
  })
  app.post('/_sim/referrals', async (request, reply) => {
    const body = parse(schemas.create, request.body, reply)
    if (!body.ok) return reply
    const listingId = body.value.service_listing_id ?? store.listings[0]!.id
    if (!store.listing(listingId)) return reply.code(400).send({ message: MESSAGES.unknownListing(listingId, store.listings.map((l) => l.id)) })
    return send(reply, await store.dispatch(store.referrals.create({ ...body.value, service_listing_id: listingId })), 201)
  })
  app.patch('/_sim/referrals/:id', async (request, reply) => {
    const body = parse(schemas.edit, request.body, reply)
    if (!body.ok) return reply
    return send(reply, await store.edit(id(request.params), body.value))
  })
  app.post('/_sim/referrals/:id/status', async (request, reply) => {
    const body = parse(schemas.status, request.body, reply)
    if (!body.ok) return reply
    return send(reply, await store.dispatch(store.referrals.setSubStatus(id(request.params), body.value.sub_status)))
  })
  app.post('/_sim/referrals/:id/close', async (request, reply) => {
    const body = parse(schemas.close, request.body, reply)
    if (!body.ok) return reply
    return send(reply, await store.dispatch(store.referrals.close(id(request.params), body.value.outcome, body.value.sub_status)))
  })
  app.post('/_sim/referrals/:id/book', async (request, reply) => {
    const body = parse(appointment, request.body, reply)
    if (!body.ok) return reply
    return send(reply, await store.dispatch(store.referrals.book(id(request.params), body.value)))
  })
  app.post('/_sim/referrals/:id/reschedule', async (request, reply) => {
    const body = parse(appointmentChange, request.body, reply)
    if (!body.ok) return reply
    return send(reply, await store.dispatch(store.referrals.reschedule(id(request.params), body.value)))
  })
  app.post('/_sim/referrals/:id/unbook', async (request, reply) => send(reply, await store.dispatch(store.referrals.unbook(id(request.params)))))
  app.post('/_sim/referrals/:id/archive', async (request, reply) => send(reply, await store.dispatch(store.referrals.archive(id(request.params)))))
  app.post('/_sim/referrals/:id/message', async (request, reply) => {
    const body = parse(schemas.message, request.body, reply)
    if (!body.ok) return reply
    return send(reply, await store.dispatch(store.referrals.message(id(request.params), body.value)))
  })

  app.get('/_sim/deliveries', async (request) => {
    const query = request.query as { referralId?: string; flagged?: string }
    const items = store.log.deliveries.filter((d) => (!query.referralId || d.referralId === query.referralId) && (query.flagged === undefined || String(d.flagged) === query.flagged))
    return { items }
  })
  app.get('/_sim/deliveries/:id', async (request, reply) => {
    const delivery = store.log.get(id(request.params))
    return delivery ?? reply.code(404).send({ message: MESSAGES.deliveryNotFound(id(request.params)) })
  })
  app.post('/_sim/deliveries/:id/resend', async (request, reply) => {
    const answer = await store.resend(id(request.params))
    return answer.ok ? answer.delivery : reply.code(answer.status).send({ message: answer.message })
  })
  app.post('/_sim/deliveries/:id/clear', async (request, reply) => {
    const delivery = store.log.clear(id(request.params))
    return delivery ?? reply.code(404).send({ message: MESSAGES.deliveryNotFound(id(request.params)) })
  })
}

function send(reply: FastifyReply, answer: ActionAnswer, status = 200) {
  if (!answer.ok) return reply.code(answer.status).send({ message: answer.message })
  return reply.code(status).send({ referral: summary(answer.referral), trigger: answer.trigger, deliveries: answer.deliveries })
}

/** A referral without its attachment bytes (GET /_sim/referrals/:id has them). */
function summary(referral: HeldReferral) {
  return { ...referral, attachments: referral.attachments.map(({ data_base64, ...meta }) => ({ ...meta, size_bytes: Buffer.byteLength(data_base64, 'base64') })) }
}

function describe(issue: z.core.$ZodIssue): string {
  const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[') || 'body'
  if (issue.code === 'unrecognized_keys') return `${path === 'body' ? '' : `${path}.`}${issue.keys[0]} is not a field this route takes`
  if (issue.code === 'invalid_value' && 'values' in issue) return `${path} must be one of: ${issue.values.map(String).join(', ')}`
  if (issue.code === 'invalid_type') return `${path} must be ${issue.expected === 'object' ? 'an object' : issue.expected === 'array' ? 'a list' : `a ${issue.expected}`}`
  return `${path}: ${issue.message}`
}
