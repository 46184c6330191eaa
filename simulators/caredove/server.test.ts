import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileTypeFromBuffer } from 'file-type'
import { Webhook } from 'standardwebhooks'
import { extractText } from 'unpdf'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createCaredoveSimulator, DEMO_CAREDOVE, textPdf, TRIGGERS, type CaredoveEvent, type CaredoveSimulator } from './server.js'

/** A small receiver standing in for the hub: it keeps what it got and answers from a script. */
interface Received {
  headers: IncomingHttpHeaders
  raw: string
  event: CaredoveEvent
}
let receiver: Server
let receiverUrl: string
let received: Received[] = []
let answer: (event: CaredoveEvent) => { status: number; body: string } = () => ({ status: 202, body: '{"received":1}' })

let sim: CaredoveSimulator
let base: string

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8')
      const event = JSON.parse(raw) as CaredoveEvent
      received.push({ headers: req.headers, raw, event })
      const { status, body } = answer(event)
      res.writeHead(status, { 'content-type': 'application/json' }).end(body)
    })
  })
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/api/inbound/caredove/conn-1`
  sim = createCaredoveSimulator()
  base = await sim.listen(0)
})
afterAll(async () => {
  await sim.close()
  await new Promise((resolve) => receiver.close(resolve))
})
beforeEach(async () => {
  await fetch(`${base}/_sim/reset`, { method: 'POST' })
  received = []
  answer = () => ({ status: 202, body: '{"received":1}' })
})

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : null }
}

const verify = (r: Received, secret: string = DEMO_CAREDOVE.signingSecret) => new Webhook(secret).verify(r.raw, r.headers as Record<string, string>)
const integrate = (body: Record<string, unknown> = {}) => call('POST', '/_sim/integrations', { url: receiverUrl, ...body })

describe('Caredove simulator: signed events', () => {
  it('signs each event with Standard Webhooks (webhook-id = event_id) and sends the wire format, real attachments included', async () => {
    expect((await integrate()).status).toBe(201)
    const created = await call('POST', '/_sim/referrals', { service_listing_id: 'sl_youth_outpatient', seed: 7 })
    expect(created.status).toBe(201)
    expect(received).toHaveLength(1)
    const [delivery] = received
    expect(verify(delivery!)).toEqual(delivery!.event)
    expect(delivery!.headers['webhook-id']).toBe(delivery!.event.event_id)
    expect(Math.abs(Number(delivery!.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60)

    const event = delivery!.event
    expect(event).toMatchObject({ event: 'received', event_id: expect.stringMatching(/^evt_/), service_listing_id: 'sl_youth_outpatient', occurred_at: expect.any(String) })
    expect(Object.keys(event.referral).sort()).toEqual(['appointment', 'attachments', 'form_fields', 'id', 'messages', 'registrant', 'requester', 'routed', 'status', 'sub_status'])
    expect(event.referral).toMatchObject({ id: created.body.referral.id, status: 'open', sub_status: 'received', routed: false, appointment: null })
    expect(Object.keys(event.referral.registrant).sort()).toEqual(['address', 'dob', 'email', 'first_name', 'gender', 'last_name', 'middle_name', 'phone_alt', 'phone_home', 'preferred_language'])
    expect(Object.keys(event.referral.registrant.address).sort()).toEqual(['city', 'country', 'postal_code', 'province', 'street'])
    expect(event.referral.registrant.dob).toMatch(/^\d{4}-\d{2}-\d{2}$/)
    expect(event.referral.requester.organization).toEqual(expect.any(String))
    expect(event.referral.form_fields.map((f) => f.question)).toContain('Reason for referral')
    expect(event.referral.messages[0]).toMatchObject({ from: 'requester', text: expect.any(String) })

    // The attachments are what they claim to be, by their bytes.
    const types = await Promise.all(event.referral.attachments.map(async (a) => [a.content_type, (await fileTypeFromBuffer(Buffer.from(a.data_base64, 'base64')))?.mime]))
    expect(types).toEqual([
      ['application/pdf', 'application/pdf'],
      ['image/png', 'image/png'],
    ])
    const letter = Buffer.from(event.referral.attachments[0]!.data_base64, 'base64')
    const { text } = await extractText(new Uint8Array(letter), { mergePages: true })
    expect(text).toContain(`${event.referral.registrant.first_name} ${event.referral.registrant.last_name}`)

    // The integration log keeps the receiver's code and raw body.
    expect(created.body.deliveries).toEqual([expect.objectContaining({ eventId: event.event_id, trigger: 'received', http_code: 202, body: '{"received":1}', success: true, flagged: false })])
  })

  it('/_sim/events produces the right event for every trigger, for a new or a named referral', async () => {
    for (const trigger of TRIGGERS) {
      const res = await call('POST', '/_sim/events', { trigger, connectionUrl: receiverUrl })
      expect(res.status, trigger).toBe(200)
      expect(res.body).toMatchObject({ id: expect.stringMatching(/^dlv_/), eventId: expect.any(String), trigger, http_code: 202, body: '{"received":1}', delivered_at: expect.any(String) })
      const event = received.at(-1)!.event
      expect(verify(received.at(-1)!)).toEqual(event)
      expect(event.event).toBe(trigger)
      expect(event.event_id).toBe(res.body.eventId)
      const { referral } = event
      if (trigger.startsWith('closed_')) expect([referral.status, referral.sub_status]).toEqual(['closed', trigger.slice(7)])
      if (trigger === 'edited_status_ready') expect(referral.sub_status).toBe('ready')
      if (trigger === 'edited_status_received' || trigger === 'received') expect(referral.sub_status).toBe('received')
      if (trigger === 'booked') expect(referral.appointment).toMatchObject({ status: 'booked', duration_minutes: 60, start: expect.any(String), location: expect.any(String), provider_full_name: expect.any(String) })
      if (trigger === 'rescheduled_unbooked') expect(referral.appointment?.status).toBe('rescheduled')
      if (trigger === 'archived') expect(referral.status).toBe('archived')
      if (trigger === 'message_from_provider') expect(referral.messages.at(-1)?.from).toBe('provider')
      if (trigger === 'message_from_requester') expect(referral.messages.at(-1)?.from).toBe('requester')
    }
    expect(new Set(received.map((r) => r.event.event_id)).size).toBe(TRIGGERS.length)

    // A routed request is `received` with routed: true; a named referral keeps its id; overrides reach the event.
    const routed = await call('POST', '/_sim/events', { trigger: 'received', connectionUrl: receiverUrl, routed: true, referral: { registrant: { dob: null, first_name: 'Zoé' } } })
    expect(received.at(-1)!.event.referral).toMatchObject({ routed: true, registrant: { dob: null, first_name: 'Zoé' } })
    await call('POST', '/_sim/events', { trigger: 'message_from_provider', connectionUrl: receiverUrl, referralId: routed.body.referralId, message: { text: 'Intake booked for Tuesday', author: 'Sam Intake' } })
    expect(received.at(-1)!.event.referral).toMatchObject({ id: routed.body.referralId, messages: expect.arrayContaining([expect.objectContaining({ from: 'provider', author: 'Sam Intake', text: 'Intake booked for Tuesday' })]) })
    await call('POST', '/_sim/events', { trigger: 'edited', connectionUrl: receiverUrl, referralId: routed.body.referralId, referral: { registrant: { dob: '1991-03-05' } } })
    expect(received.at(-1)!.event.referral.registrant.dob).toBe('1991-03-05')
    const held = (await call('GET', `/_sim/referrals/${routed.body.referralId}`)).body
    expect(held.history.map((h: { trigger: string }) => h.trigger)).toEqual(['received', 'message_from_provider', 'edited'])
  })

  it('can sign with another secret, a stale timestamp or a repeated event id, for the receiver\u2019s refusals', async () => {
    await call('POST', '/_sim/events', { trigger: 'received', connectionUrl: receiverUrl, signingSecret: 'whsec_b3RoZXItc2VjcmV0' })
    expect(() => verify(received.at(-1)!)).toThrow()
    expect(verify(received.at(-1)!, 'whsec_b3RoZXItc2VjcmV0')).toEqual(received.at(-1)!.event)
    await call('POST', '/_sim/events', { trigger: 'received', connectionUrl: receiverUrl, timestampOffsetSeconds: -600 })
    expect(() => verify(received.at(-1)!)).toThrow(/timestamp/i)
    await call('POST', '/_sim/events', { trigger: 'edited', connectionUrl: receiverUrl, eventId: 'evt_same' })
    await call('POST', '/_sim/events', { trigger: 'edited', connectionUrl: receiverUrl, eventId: 'evt_same' })
    expect(received.slice(-2).map((r) => r.headers['webhook-id'])).toEqual(['evt_same', 'evt_same'])
  })
})

describe('Caredove simulator: staff actions and integrations', () => {
  it('every trigger is reachable from a staff action, delivered to the integrations of the referral\u2019s listing only', async () => {
    await integrate({ serviceListingIds: ['sl_intake_adult'] })
    const other = await call('POST', '/_sim/referrals', { service_listing_id: 'sl_youth_outpatient' })
    expect(other.body.deliveries).toEqual([])
    expect(received).toHaveLength(0)

    const { referral } = (await call('POST', '/_sim/referrals', { service_listing_id: 'sl_intake_adult', routed: true })).body
    const at = `/_sim/referrals/${referral.id}`
    const steps: [string, string, unknown, string][] = [
      ['PATCH', at, { registrant: { phone_alt: '905-555-0111' }, form_fields: [{ question: 'Reason for referral', answer: 'Updated reason' }] }, 'edited'],
      ['POST', `${at}/status`, { sub_status: 'ready' }, 'edited_status_ready'],
      ['POST', `${at}/status`, { sub_status: 'received' }, 'edited_status_received'],
      ['POST', `${at}/book`, { start: '2026-12-03T15:00:00Z', duration_minutes: 45, location: 'Room 4', provider_full_name: 'Jordan Lee' }, 'booked'],
      ['POST', `${at}/reschedule`, { start: '2026-12-04T15:00:00Z' }, 'rescheduled_unbooked'],
      ['POST', `${at}/unbook`, undefined, 'rescheduled_unbooked'],
      ['POST', `${at}/message`, { from: 'provider', text: 'We will call Monday' }, 'message_from_provider'],
      ['POST', `${at}/message`, { from: 'requester', text: 'Thanks!', author: 'Dr. Shah' }, 'message_from_requester'],
      ...(['completed', 'rejected', 'cancelled', 'failed', 'error'] as const).map((outcome): [string, string, unknown, string] => ['POST', `${at}/close`, { outcome }, `closed_${outcome}`]),
      ['POST', `${at}/archive`, undefined, 'archived'],
    ]
    for (const [method, path, body, trigger] of steps) {
      const res = await call(method, path, body)
      expect(res.status, `${method} ${path}`).toBe(200)
      expect(res.body.trigger).toBe(trigger)
      expect(received.at(-1)!.event.event).toBe(trigger)
    }
    const events = received.map((r) => r.event)
    expect(new Set(events.map((e) => e.event))).toEqual(new Set(TRIGGERS))
    expect(events[0]!.referral.routed).toBe(true)
    expect(events.find((e) => e.event === 'edited')!.referral).toMatchObject({ registrant: { phone_alt: '905-555-0111' }, form_fields: expect.arrayContaining([{ question: 'Reason for referral', answer: 'Updated reason' }]) })
    expect(events.filter((e) => e.event === 'rescheduled_unbooked').map((e) => [e.referral.appointment?.status, e.referral.appointment?.start])).toEqual([
      ['rescheduled', '2026-12-04T15:00:00Z'],
      ['unbooked', '2026-12-04T15:00:00Z'],
    ])
    expect(events.find((e) => e.event === 'message_from_requester')!.referral.messages.at(-1)).toMatchObject({ from: 'requester', author: 'Dr. Shah', text: 'Thanks!' })
    expect(events.at(-1)!.referral.status).toBe('archived')

    // Refusals of impossible actions and bad bodies name what to fix.
    expect(await call('POST', `${at}/archive`)).toEqual({ status: 409, body: { message: `Referral ${referral.id} is already archived` } })
    expect((await call('POST', '/_sim/referrals/ref_nope/close', { outcome: 'completed' })).status).toBe(404)
    expect(await call('POST', `${at}/close`, { outcome: 'done' })).toEqual({ status: 400, body: { message: 'outcome must be one of: completed, rejected, cancelled, failed, error' } })
    expect(await call('PATCH', at, { registrant: { ssn: '1' } })).toEqual({ status: 400, body: { message: 'registrant.ssn is not a field this route takes' } })
    const fresh = (await call('POST', '/_sim/referrals', {})).body.referral
    expect((await call('POST', `/_sim/referrals/${fresh.id}/unbook`)).status).toBe(409)
  })

  it('validates integrations and events', async () => {
    expect(await call('POST', '/_sim/integrations', { url: receiverUrl, signingSecret: 'secret' })).toEqual({ status: 400, body: { message: expect.stringMatching(/^signingSecret: .*whsec_/) } })
    expect((await call('POST', '/_sim/integrations', { url: 'ftp://x' })).status).toBe(400)
    expect(await call('POST', '/_sim/integrations', { url: receiverUrl, serviceListingIds: ['sl_nope'] })).toEqual({ status: 400, body: { message: expect.stringMatching(/^Service listing sl_nope does not exist/) } })
    expect((await call('POST', '/_sim/events', { trigger: 'closed' })).body.message).toMatch(/^trigger must be one of: received, edited/)
    expect(await call('POST', '/_sim/events', { trigger: 'received' })).toEqual({ status: 400, body: { message: expect.stringMatching(/^No integration receives/) } })
    const made = (await integrate()).body
    expect((await call('GET', '/_sim/integrations')).body.items).toEqual([made])
    expect((await call('DELETE', `/_sim/integrations/${made.id}`)).status).toBe(204)
    expect((await call('GET', '/_sim/integrations')).body.items).toEqual([])
  })
})

describe('Caredove simulator: integration log', () => {
  it('keeps a failed delivery flagged; Resend sends the same event id freshly signed and clears it', async () => {
    await integrate()
    let fail = true
    answer = () => (fail ? { status: 503, body: '{"error":"database_unavailable"}' } : { status: 202, body: '{"received":1}' })
    const created = await call('POST', '/_sim/referrals', {})
    const [failed] = created.body.deliveries
    expect(failed).toMatchObject({ http_code: 503, body: '{"error":"database_unavailable"}', success: false, flagged: true })
    expect((await call('GET', '/_sim/deliveries?flagged=true')).body.items.map((d: { id: string }) => d.id)).toEqual([failed.id])

    fail = false
    const resent = await call('POST', `/_sim/deliveries/${failed.id}/resend`)
    expect(resent.body).toMatchObject({ eventId: failed.eventId, http_code: 202, success: true, resend_of: failed.id })
    expect(received.map((r) => r.headers['webhook-id'])).toEqual([failed.eventId, failed.eventId])
    expect(received[1]!.raw).toBe(received[0]!.raw)
    expect(verify(received[1]!)).toEqual(received[0]!.event)
    expect((await call('GET', '/_sim/deliveries?flagged=true')).body.items).toEqual([])
    expect((await call('GET', `/_sim/deliveries/${failed.id}`)).body).toMatchObject({ flagged: false, cleared_by: resent.body.id, event: { event_id: failed.eventId } })
    expect((await call('POST', '/_sim/deliveries/dlv_nope/resend')).status).toBe(404)
  })

  it('records an unreachable receiver with no http_code, and staff can clear the flag', async () => {
    const res = await call('POST', '/_sim/events', { trigger: 'received', connectionUrl: 'http://127.0.0.1:1/api/inbound/caredove/x' })
    expect(res.body).toMatchObject({ http_code: null, body: expect.stringMatching(/fetch failed|ECONNREFUSED/), flagged: true })
    expect((await call('POST', `/_sim/deliveries/${res.body.id}/clear`)).body).toMatchObject({ flagged: false, cleared_by: null })
  })

  it('after a 400, fixing the referral re-sends the refused event (same id, fixed data) instead of an edit', async () => {
    await integrate()
    answer = (event) => (event.referral.registrant.dob ? { status: 202, body: '{"received":1}' } : { status: 400, body: '{"message":"Date of birth is required"}' })
    const created = await call('POST', '/_sim/referrals', { registrant: { dob: null } })
    const [refused] = created.body.deliveries
    expect(refused).toMatchObject({ trigger: 'received', http_code: 400, body: '{"message":"Date of birth is required"}', flagged: true })

    // Still wrong: refused again, one flagged failure per event remains to fix.
    await call('PATCH', `/_sim/referrals/${created.body.referral.id}`, { registrant: { phone_home: '905-555-0100' } })
    expect(received.map((r) => r.event.event)).toEqual(['received', 'received'])

    const fixed = await call('PATCH', `/_sim/referrals/${created.body.referral.id}`, { registrant: { dob: '1990-02-14' } })
    expect(fixed.body.deliveries).toEqual([expect.objectContaining({ trigger: 'received', eventId: refused.eventId, http_code: 202, success: true })])
    expect(received.map((r) => [r.event.event, r.event.event_id])).toEqual([
      ['received', refused.eventId],
      ['received', refused.eventId],
      ['received', refused.eventId],
    ])
    expect(received.at(-1)!.event.referral.registrant).toMatchObject({ dob: '1990-02-14', phone_home: '905-555-0100' })
    expect((await call('GET', '/_sim/deliveries?flagged=true')).body.items).toEqual([])

    // Now that it went through, the next save is an ordinary edit.
    await call('PATCH', `/_sim/referrals/${created.body.referral.id}`, { registrant: { email: 'new@example.ca' } })
    expect(received.at(-1)!.event.event).toBe('edited')
    expect(received.at(-1)!.event.event_id).not.toBe(refused.eventId)
  })

  it('lists records without attachment bytes and reads one referral with them; reset empties everything', async () => {
    await integrate()
    const { referral } = (await call('POST', '/_sim/referrals', {})).body
    const records = (await call('GET', '/_sim/records')).body
    expect(records.listings.map((l: { id: string }) => l.id)).toEqual(['sl_intake_adult', 'sl_youth_outpatient'])
    expect(records.referrals[0].attachments[0]).toEqual({ filename: 'referral-letter.pdf', content_type: 'application/pdf', size_bytes: expect.any(Number) })
    expect(records.deliveries).toHaveLength(1)
    const full = (await call('GET', `/_sim/referrals/${referral.id}`)).body
    expect(full.attachments[0].data_base64.length).toBeGreaterThan(100)
    await call('POST', '/_sim/reset')
    expect((await call('GET', '/_sim/records')).body).toMatchObject({ referrals: [], integrations: [], deliveries: [] })
  })
})

describe('textPdf', () => {
  it('makes a PDF whose text a reader extracts', async () => {
    const { text } = await extractText(new Uint8Array(textPdf('Referral letter', ['Re: Amelia (Rose) Tremblay', 'Back\\slash'])), { mergePages: true })
    expect(text).toContain('Referral letter')
    expect(text).toContain('Re: Amelia (Rose) Tremblay')
    expect(text).toContain('Back\\slash')
  })
})

describe('createCaredoveSimulator', () => {
  it('refer() delivers a new referral to the integrations, as a staff member receiving it would', async () => {
    sim.integrate(receiverUrl, { serviceListingIds: ['sl_youth_outpatient'] })
    const answer = await sim.refer({ service_listing_id: 'sl_youth_outpatient', registrant: { first_name: 'Mei' }, with_attachments: false })
    expect(answer).toMatchObject({ ok: true, trigger: 'received', deliveries: [expect.objectContaining({ http_code: 202 })] })
    expect(received.at(-1)!.event.referral).toMatchObject({ registrant: { first_name: 'Mei' }, attachments: [] })
    expect(await sim.refer({ service_listing_id: 'sl_nope' })).toMatchObject({ ok: false, status: 400 })
  })
})
