import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Webhook } from 'standardwebhooks'
import { extractText, getDocumentProxy } from 'unpdf'
import { createRittenSimulator, type RittenSimulator } from '../simulators/ritten/server.js'
import { createCrmsSimulator, DEMO_CRMS } from '../simulators/crms/server.js'
import { createCaredoveSimulator } from '../simulators/caredove/server.js'
import { createTestDatabase, startHub, waitFor, type RunningHub } from './harness.js'
import { connectRitten } from './rittenHelpers.js'

/**
 * Referrals end to end: the real hub receives Caredove events signed with Standard Webhooks (by
 * the maintained package, independently of the hub's verification), imports them into the CRM
 * referral inbox, and converts one into a patient that is pushed to the Ritten simulator.
 */
let hub: RunningHub
let database: Awaited<ReturnType<typeof createTestDatabase>>
let ritten: RittenSimulator
let rittenUrl: string

const SECRET = `whsec_${Buffer.from('referrals-e2e-caredove-signing-secret').toString('base64')}`
const LISTING = 'sl_intake_adult'
/** A 1×1 PNG: its bytes say PNG whatever the sender declares. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64')
const TEXT = Buffer.from('Discharge summary from St. Mary\u2019s: stable, follow-up in 2 weeks.\n')

beforeAll(async () => {
  database = await createTestDatabase()
  ritten = createRittenSimulator()
  rittenUrl = await ritten.listen(0)
  hub = await startHub({ databaseUrl: database?.url })
})

afterAll(async () => {
  await hub?.stop()
  await ritten?.close()
  await database?.drop()
})

async function connectCaredove(settings: Record<string, unknown>, credentials: Record<string, unknown> = { signingSecret: SECRET }): Promise<any> {
  const created = await hub.api('POST', '/api/connections', { connector: 'caredove', name: `Caredove ${randomUUID().slice(0, 8)}`, baseUrl: 'https://www.caredove.com', settings, credentials })
  expect(created.status, JSON.stringify(created.body)).toBe(201)
  return created.body
}

function referralBody(overrides: { event?: string; referralId?: string; registrant?: Record<string, unknown>; referral?: Record<string, unknown>; listing?: string; occurredAt?: string } = {}) {
  return {
    event: overrides.event ?? 'received',
    event_id: `evt_${randomUUID()}`,
    occurred_at: overrides.occurredAt ?? new Date().toISOString(),
    service_listing_id: overrides.listing ?? LISTING,
    referral: {
      id: overrides.referralId ?? `ref_${randomUUID().slice(0, 12)}`,
      status: 'open',
      sub_status: 'received',
      routed: false,
      registrant: {
        first_name: 'Marisol',
        middle_name: 'Ines',
        last_name: 'Okafor',
        dob: '1988-04-17',
        gender: 'female',
        address: { street: '41 Birch Lane', city: 'Hamilton', province: 'ON', country: 'Canada', postal_code: 'L8P 4R5', unit_buzzer: '12' },
        preferred_language: 'Spanish',
        phone_home: '905-555-0142',
        phone_alt: '905-555-0199',
        email: 'marisol.okafor@example.org',
        ...overrides.registrant,
      },
      requester: { first_name: 'Dana', last_name: 'Whitfield', organization: 'Hamilton Family Health Team', phone: '905-555-0100' },
      appointment: null,
      form_fields: [
        { question: 'Reason for referral', answer: 'Alcohol use disorder, relapse after 2 years sober' },
        { question: 'Current medications', answer: ['Naltrexone 50 mg', 'Sertraline 100 mg'] },
        { question: 'Safe to leave a voicemail?', answer: true },
      ],
      attachments: [
        { filename: 'consent.png', content_type: 'image/png', data_base64: PNG.toString('base64') },
        { filename: 'discharge.txt', content_type: 'text/plain', data_base64: TEXT.toString('base64') },
      ],
      messages: [{ from: 'requester', author: 'Dana Whitfield', sent_at: '2026-11-30T11:00:00Z', text: 'Client prefers afternoon calls.' }],
      ...overrides.referral,
    },
  }
}

async function send(connectionId: string, body: { event_id: string; [key: string]: unknown }, options: { secret?: string; at?: Date; id?: string; tamper?: (raw: string) => string } = {}) {
  const raw = JSON.stringify(body)
  const id = options.id ?? body.event_id
  const at = options.at ?? new Date()
  const signature = new Webhook(options.secret ?? SECRET).sign(id, at, raw)
  const res = await fetch(`${hub.url}/api/inbound/caredove/${connectionId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': signature },
    body: options.tamper ? options.tamper(raw) : raw,
  })
  return { status: res.status, body: (await res.json()) as any }
}

async function referralOf(connectionId: string, externalId: string): Promise<any | undefined> {
  const { body } = await hub.api('GET', `/api/referrals?connectionId=${connectionId}&q=${encodeURIComponent(externalId)}`)
  const item = body.items.find((r: { externalId: string }) => r.externalId === externalId)
  return item ? (await hub.api('GET', `/api/referrals/${item.id}`)).body : undefined
}

async function file(referralId: string, position: number | string): Promise<{ status: number; type: string | null; disposition: string | null; bytes: Buffer }> {
  const res = await fetch(`${hub.url}/api/referrals/${referralId}/attachments/${position}`, { headers: { authorization: 'Bearer test-admin-key-0123456789' } })
  return { status: res.status, type: res.headers.get('content-type'), disposition: res.headers.get('content-disposition'), bytes: Buffer.from(await res.arrayBuffer()) }
}

describe('Caredove connection', () => {
  it('makes a signing secret shown once when none is pasted, and refuses settings that cannot work', async () => {
    const made = await connectCaredove({ serviceListingIds: [LISTING] }, {})
    expect(made.shownOnce.signingSecret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/)
    expect(made.credentials).toEqual({ signingSecret: 'set' })
    expect(made.inboundUrl).toBe(`${hub.url}/api/inbound/caredove/${made.id}`)
    const again = await hub.api('GET', `/api/connections/${made.id}`)
    expect(again.body.shownOnce).toBeUndefined()
    const pasted = await connectCaredove({ serviceListingIds: [LISTING] })
    expect(pasted.shownOnce).toBeUndefined()

    const noCrms = await hub.api('POST', '/api/connections', { connector: 'caredove', name: 'x', baseUrl: 'https://www.caredove.com', settings: { serviceListingIds: [LISTING], destination: 'crms' } })
    expect(noCrms.status).toBe(400)
    expect(noCrms.body).toMatchObject({ field: 'settings.crmsConnectionId', message: expect.stringMatching(/required when destination is crms/) })
    const badSecret = await hub.api('POST', '/api/connections', { connector: 'caredove', name: 'x', baseUrl: 'https://www.caredove.com', settings: { serviceListingIds: [LISTING] }, credentials: { signingSecret: 'hunter2' } })
    expect(badSecret.status).toBe(400)
    expect(badSecret.body.message).toMatch(/whsec_/)

    const test = await hub.api('POST', `/api/connections/${pasted.id}/test`)
    expect(test.body).toMatchObject({ ok: true, message: expect.stringMatching(/Caredove calls the hub.*Closed – Completed/) })

    // The field map reads Caredove fields into CRM referral fields, checked when saved.
    const wrong = await hub.api('PUT', `/api/connections/${pasted.id}/mappings`, { fieldMap: [{ crm: 'firstName', emr: 'registrant.first_name' }] })
    expect(wrong.status).toBe(400)
    expect(wrong.body.message).toMatch(/not a CRM referral field/)
    const mistyped = await hub.api('PUT', `/api/connections/${pasted.id}/mappings`, { fieldMap: [{ crm: 'registrant.dateOfBirth', emr: 'registrant.email' }] })
    expect(mistyped.status).toBe(400)
    expect(mistyped.body.message).toMatch(/"registrant.email" holds text, but "registrant.dateOfBirth" takes a date/)
  })
})

describe('receiving Caredove events', () => {
  let connection: any
  beforeAll(async () => {
    connection = await connectCaredove({ serviceListingIds: [LISTING, 'sl_youth_outpatient'], preset: 'at_the_start' })
  })

  it('refuses a bad signature, a stale or future timestamp and missing headers with 401, storing nothing, each call in the log', async () => {
    const body = referralBody()
    const forged = await send(connection.id, body, { secret: `whsec_${Buffer.from('not-the-connection-secret-at-all').toString('base64')}` })
    expect(forged).toEqual({ status: 401, body: { message: expect.stringMatching(/does not match/) } })
    const stale = await send(connection.id, body, { at: new Date(Date.now() - 6 * 60_000) })
    expect(stale).toEqual({ status: 401, body: { message: 'The webhook-timestamp is more than 5 minutes old' } })
    const future = await send(connection.id, body, { at: new Date(Date.now() + 6 * 60_000) })
    expect(future.status).toBe(401)
    const altered = await send(connection.id, body, { tamper: (raw) => raw.replace('Marisol', 'Marisel') })
    expect(altered.status).toBe(401)
    const bare = await fetch(`${hub.url}/api/inbound/caredove/${connection.id}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    expect(bare.status).toBe(401)
    expect(await referralOf(connection.id, body.referral.id)).toBeUndefined()

    const { body: log } = await hub.api('GET', `/api/exchanges?connectionId=${connection.id}&direction=inbound&limit=10`)
    expect(log.items.map((e: { httpStatus: number }) => e.httpStatus)).toEqual([401, 401, 401, 401, 401])
    expect(log.items.at(-1).message).toMatch(/^refused \(bad_signature\)/)
  })

  it('imports a referral field for field, keeps every unmapped answer in the Referral Note and the summary PDF, and its files byte for byte', async () => {
    const body = referralBody()
    const answer = await send(connection.id, body)
    expect(answer.status).toBe(202)
    expect(answer.body.accepted[0]).toMatchObject({ eventId: body.event_id, type: 'received', referralId: expect.any(String) })

    const referral = await referralOf(connection.id, body.referral.id)
    expect(referral).toMatchObject({ status: 'open', serviceListingId: LISTING, sourceStatus: 'open', sourceSubStatus: 'received', registrantName: 'Marisol Ines Okafor', requesterOrganization: 'Hamilton Family Health Team', destination: 'crm', version: 1 })
    expect(referral.fields).toEqual({
      registrant: {
        firstName: 'Marisol',
        middleName: 'Ines',
        lastName: 'Okafor',
        dateOfBirth: '1988-04-17',
        gender: 'female',
        address: { street: '41 Birch Lane', city: 'Hamilton', province: 'ON', country: 'Canada', postalCode: 'L8P 4R5' },
        preferredLanguage: 'Spanish',
        phoneHome: '905-555-0142',
        phoneAlt: '905-555-0199',
        email: 'marisol.okafor@example.org',
      },
      requester: { firstName: 'Dana', lastName: 'Whitfield', organization: 'Hamilton Family Health Team', phone: '905-555-0100' },
    })
    const unmapped = [
      'Registrant address unit buzzer: 12',
      'Reason for referral: Alcohol use disorder, relapse after 2 years sober',
      'Current medications: Naltrexone 50 mg, Sertraline 100 mg',
      'Safe to leave a voicemail?: Yes',
    ]
    for (const line of unmapped) expect(referral.note).toContain(line)
    expect(referral.note).toContain('Client prefers afternoon calls.')
    expect(referral.messages).toEqual([{ from: 'requester', author: 'Dana Whitfield', sentAt: '2026-11-30T11:00:00Z', text: 'Client prefers afternoon calls.' }])
    expect(referral.events).toEqual([expect.objectContaining({ eventId: body.event_id, trigger: 'received', outcome: 'applied', reason: null, exchangeId: expect.any(String) })])

    expect(referral.attachments.map((a: any) => [a.position, a.kind, a.filename, a.contentType])).toEqual([
      [1, 'summary', `referral-summary-${body.referral.id}.pdf`, 'application/pdf'],
      [2, 'attachment', 'consent.png', 'image/png'],
      [3, 'attachment', 'discharge.txt', 'text/plain; charset=utf-8'],
    ])
    const png = await file(referral.id, 2)
    expect(png.type).toBe('image/png')
    expect(png.bytes.equals(PNG)).toBe(true)
    expect((await file(referral.id, 3)).bytes.equals(TEXT)).toBe(true)
    expect((await file(referral.id, 9)).status).toBe(404)
    // The same file by its id, as the referral lists it; a reference that is neither is a 400.
    expect((await file(referral.id, referral.attachments[1].id)).bytes.equals(PNG)).toBe(true)
    const bad = await file(referral.id, 'second')
    expect(bad.status).toBe(400)
    expect(bad.bytes.toString()).toMatch(/must be a position \(a whole number; 1 is the summary PDF\) or an attachment id/)

    const pdf = await file(referral.id, 1)
    expect(pdf.type).toBe('application/pdf')
    expect(pdf.disposition).toMatch(/^inline; filename=/)
    const { text } = await extractText(await getDocumentProxy(new Uint8Array(pdf.bytes)), { mergePages: true })
    const flat = text.replace(/\s+/g, ' ')
    expect(flat).toContain('Referral Summary')
    expect(flat).toContain('Marisol Ines Okafor')
    for (const line of unmapped) expect(flat).toContain(line.replace(/\s+/g, ' '))
    expect(flat).toContain('Client prefers afternoon calls.')

    // The log keeps the call without the files' bytes, found by the referral.
    const { body: log } = await hub.api('GET', `/api/exchanges?referralId=${referral.id}`)
    expect(log.items).toHaveLength(1)
    const exchange = (await hub.api('GET', `/api/exchanges/${log.items[0].id}`)).body
    expect(exchange).toMatchObject({ direction: 'inbound', httpStatus: 202, recordType: 'referral', recordId: referral.id })
    expect(exchange.requestBody.referral.attachments[0].data_base64).toMatch(/not kept in the log/)
    expect(exchange.details.events[0].work.referral.attachments).toEqual([
      { filename: 'consent.png', contentType: 'image/png', sizeBytes: PNG.length },
      { filename: 'discharge.txt', contentType: 'text/plain', sizeBytes: TEXT.length },
    ])
    const staffKey = (await hub.api('POST', '/api/keys', { name: 'intake desk', role: 'staff' })).body.key
    const staffView = JSON.stringify((await hub.api('GET', `/api/exchanges/${log.items[0].id}`, undefined, staffKey)).body)
    for (const phi of ['Marisol', 'Okafor', '1988-04-17', '905-555-0142', 'marisol.okafor@example.org', '41 Birch Lane', 'relapse after 2 years']) expect(staffView).not.toContain(phi)
  })

  it('applies the same event id once', async () => {
    const body = referralBody()
    expect((await send(connection.id, body)).status).toBe(202)
    const again = await send(connection.id, body)
    expect(again.status).toBe(200)
    expect(again.body.duplicates).toEqual([expect.objectContaining({ eventId: body.event_id })])
    const referral = await referralOf(connection.id, body.referral.id)
    expect(referral.events).toHaveLength(1)
    expect(referral.version).toBe(1)
  })

  it('answers 400 {"message"} naming the missing field and stores nothing; the fixed resend imports', async () => {
    const body = referralBody({ registrant: { dob: null } })
    const refused = await send(connection.id, body)
    expect(refused).toEqual({ status: 400, body: { message: 'Date of birth is required' } })
    expect(await referralOf(connection.id, body.referral.id)).toBeUndefined()

    const wrongDate = await send(connection.id, { ...body, referral: { ...body.referral, registrant: { ...body.referral.registrant, dob: '17/04/1988' } } })
    expect(wrongDate).toEqual({ status: 400, body: { message: 'Date of birth is not a date (YYYY-MM-DD)' } })
    const exe = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200, 1)])
    const badFile = await send(connection.id, { ...body, referral: { ...body.referral, registrant: { ...body.referral.registrant, dob: '1988-04-17' }, attachments: [{ filename: 'setup.pdf', content_type: 'application/pdf', data_base64: exe.toString('base64') }] } })
    expect(badFile.status).toBe(400)
    expect(badFile.body.message).toMatch(/^Attachment "setup.pdf" is .*not accepted/)
    const malformed = await send(connection.id, { ...body, referral: { ...body.referral, id: undefined } } as never)
    expect(malformed).toEqual({ status: 400, body: { message: 'referral.id is required' } })

    // Caredove's staff fix the referral and Caredove resends the same event.
    const fixed = await send(connection.id, { ...body, referral: { ...body.referral, registrant: { ...body.referral.registrant, dob: '1988-04-17' } } })
    expect(fixed.status).toBe(202)
    const referral = await referralOf(connection.id, body.referral.id)
    expect(referral.fields.registrant.dateOfBirth).toBe('1988-04-17')
  })

  it('updates the one referral until it is accepted, keeps the appointment history, then records later events as ignored', async () => {
    const referralId = `ref_${randomUUID().slice(0, 12)}`
    const at = (minutes: number) => new Date(Date.now() - 60 * 60_000 + minutes * 60_000).toISOString()
    expect((await send(connection.id, referralBody({ referralId, occurredAt: at(0) }))).status).toBe(202)
    expect((await send(connection.id, referralBody({ referralId, event: 'edited', occurredAt: at(1), registrant: { phone_home: '905-555-0777' } }))).status).toBe(202)
    const appointment = { start: '2026-12-03T15:00:00Z', duration_minutes: 60, location: 'Hamilton clinic, room 4', provider_full_name: 'Dr. Priya Raman', status: 'booked' }
    // Each event carries the referral as it now stands: the edited phone included.
    const registrant = { phone_home: '905-555-0777' }
    expect((await send(connection.id, referralBody({ referralId, event: 'booked', occurredAt: at(2), registrant, referral: { appointment } }))).status).toBe(202)
    const moved = { ...appointment, start: '2026-12-04T16:00:00Z', status: 'rescheduled' }
    expect((await send(connection.id, referralBody({ referralId, event: 'rescheduled_unbooked', occurredAt: at(3), registrant, referral: { appointment: moved } }))).status).toBe(202)
    expect((await send(connection.id, referralBody({ referralId, event: 'rescheduled_unbooked', occurredAt: at(4), registrant, referral: { appointment: null } }))).status).toBe(202)
    // An event older than the last applied does not roll the referral back.
    expect((await send(connection.id, referralBody({ referralId, event: 'edited', occurredAt: at(0.5), registrant: { phone_home: '905-555-0000' } }))).status).toBe(202)

    let referral = await referralOf(connection.id, referralId)
    expect(referral.version).toBe(5)
    expect(referral.fields.registrant.phoneHome).toBe('905-555-0777')
    expect(referral.appointments.map((a: any) => [a.status, a.start])).toEqual([
      ['booked', '2026-12-03T15:00:00Z'],
      ['rescheduled', '2026-12-04T16:00:00Z'],
      ['unbooked', '2026-12-04T16:00:00Z'],
    ])
    expect(referral.events.at(-1)).toMatchObject({ outcome: 'ignored', reason: expect.stringMatching(/before the last one applied/) })
    expect(referral.attachments.filter((a: any) => a.kind === 'attachment')).toHaveLength(2)

    const accepted = await hub.api('POST', `/api/referrals/${referral.id}/accept`)
    expect(accepted.body).toMatchObject({ status: 'accepted', acceptedBy: 'crm', acceptedAt: expect.any(String) })
    const late = await send(connection.id, referralBody({ referralId, event: 'edited', registrant: { last_name: 'Changed', dob: null } }))
    expect(late.status).toBe(202)
    expect(late.body.accepted[0].note).toMatch(/^ignored: the referral was accepted in the CRM/)
    referral = await referralOf(connection.id, referralId)
    expect(referral.fields.registrant.lastName).toBe('Okafor')
    expect(referral.events.at(-1)).toMatchObject({ trigger: 'edited', outcome: 'ignored', reason: expect.stringMatching(/accepted in the CRM at .*later updates are not applied/) })
  })

  it('converts a referral into a CRM patient and account, which is pushed to the EMR', async () => {
    const emr = await connectRitten(hub, rittenUrl)
    const body = referralBody({ registrant: { first_name: 'Tobias', last_name: 'Lindqvist' } })
    expect((await send(connection.id, body)).status).toBe(202)
    const referral = await referralOf(connection.id, body.referral.id)
    const converted = await hub.api('POST', `/api/referrals/${referral.id}/convert`, {})
    expect(converted.status, JSON.stringify(converted.body)).toBe(200)
    expect(converted.body.referral).toMatchObject({ status: 'converted', patientId: converted.body.patientId })
    const patient = (await hub.api('GET', `/api/patients/${converted.body.patientId}`)).body
    expect(patient).toMatchObject({ firstName: 'Tobias', lastName: 'Lindqvist', dob: '1988-04-17', gender: 'female', phone: '905-555-0142', email: 'marisol.okafor@example.org', language: 'Spanish', accountId: converted.body.accountId, referrerName: 'Hamilton Family Health Team (Dana Whitfield)' })
    expect(patient.address).toMatchObject({ line1: '41 Birch Lane', city: 'Hamilton', state: 'ON', postalCode: 'L8P 4R5', country: 'Canada' })
    const link = await waitFor('the Ritten push of the converted patient', async () => {
      const { body: p } = await hub.api('GET', `/api/patients/${converted.body.patientId}`)
      const l = p.links.find((x: { connectionId: string }) => x.connectionId === emr.id)
      return l?.state === 'linked' ? l : undefined
    })
    expect(link.externalId).toBeTruthy()
    const again = await hub.api('POST', `/api/referrals/${referral.id}/convert`, {})
    expect(again.status).toBe(409)
    const late = await send(connection.id, referralBody({ referralId: body.referral.id, event: 'edited' }))
    expect(late.body.accepted[0].note).toMatch(/^ignored: the referral was accepted/)
  })

  it('lists the inbox by status and text for staff, and refuses bad filters with a 400', async () => {
    const staffKey = (await hub.api('POST', '/api/keys', { name: 'front desk', role: 'staff' })).body.key
    const open = await hub.api('GET', `/api/referrals?status=open&connectionId=${connection.id}&q=okafor`, undefined, staffKey)
    expect(open.status).toBe(200)
    expect(open.body.items.length).toBeGreaterThan(0)
    expect(open.body.items.every((r: any) => r.status === 'open' && /Okafor/.test(r.registrantName))).toBe(true)
    const converted = await hub.api('GET', `/api/referrals?status=converted&q=Lindqvist`, undefined, staffKey)
    expect(converted.body.items).toHaveLength(1)
    const page = await hub.api('GET', `/api/referrals?connectionId=${connection.id}&limit=2`)
    expect(page.body.items).toHaveLength(2)
    const next = await hub.api('GET', `/api/referrals?connectionId=${connection.id}&limit=2&cursor=${page.body.next}`)
    expect(next.body.items[0].id).not.toBe(page.body.items[1].id)
    expect((await hub.api('GET', '/api/referrals?status=maybe')).status).toBe(400)
    expect((await hub.api('GET', `/api/referrals/${randomUUID()}`)).status).toBe(404)
    const { body: audit } = await hub.api('GET', '/api/audit?limit=200')
    expect(audit.items.map((a: { action: string }) => a.action)).toEqual(expect.arrayContaining(['referral.list', 'referral.view', 'referral.attachment.view', 'referral.accept', 'referral.convert']))
  })
})

describe('triggers, presets and service listings', () => {
  const ALL = ['received', 'edited', 'edited_status_ready', 'edited_status_received', 'closed_completed', 'closed_rejected', 'closed_cancelled', 'closed_failed', 'closed_error', 'booked', 'rescheduled_unbooked', 'archived', 'message_from_provider', 'message_from_requester']
  const AT_THE_START = ['received', 'edited', 'edited_status_ready', 'edited_status_received', 'booked', 'rescheduled_unbooked', 'message_from_provider', 'message_from_requester']

  async function outcomes(settings: Record<string, unknown>, routed = false): Promise<Record<string, string>> {
    const connection = await connectCaredove({ serviceListingIds: [LISTING], ...settings })
    const result: Record<string, string> = {}
    for (const trigger of [...ALL, ...(routed ? ['received+routed'] : [])]) {
      const body = referralBody({ event: trigger.replace('+routed', ''), referral: trigger.endsWith('+routed') ? { routed: true } : {} })
      const answer = await send(connection.id, body)
      expect(answer.status, `${trigger}: ${JSON.stringify(answer.body)}`).toBeLessThan(300)
      const note: string = answer.body.accepted[0].note
      result[trigger] = note.startsWith('ignored') ? 'ignored' : 'imported'
    }
    return result
  }
  const expected = (imported: string[], all: string[]) => Object.fromEntries(all.map((t) => [t, imported.includes(t) ? 'imported' : 'ignored']))

  it('at the end imports Closed – Completed only', async () => {
    expect(await outcomes({ preset: 'at_the_end' }, true)).toEqual(expected(['closed_completed'], [...ALL, 'received+routed']))
  })

  it('at the start imports Received (routed too) and the updates', async () => {
    expect(await outcomes({ preset: 'at_the_start' }, true)).toEqual(expected([...AT_THE_START, 'received+routed'], [...ALL, 'received+routed']))
  })

  it('a custom list imports exactly its triggers; routed requests only when included', async () => {
    const custom = ['received', 'closed_rejected', 'archived', 'message_from_provider']
    expect(await outcomes({ preset: 'custom', triggers: custom }, true)).toEqual(expected(custom, [...ALL, 'received+routed']))
    expect(await outcomes({ preset: 'custom', triggers: ALL, includeRoutedRequests: true }, true)).toEqual(expected([...ALL, 'received+routed'], [...ALL, 'received+routed']))
  })

  it('answers 2xx for a listing that is not integrated, with the reason, and imports nothing', async () => {
    const connection = await connectCaredove({ serviceListingIds: [LISTING], preset: 'at_the_start' })
    const body = referralBody({ listing: 'sl_somewhere_else' })
    const answer = await send(connection.id, body)
    expect(answer.status).toBe(202)
    expect(answer.body.accepted[0].note).toBe('ignored: service listing sl_somewhere_else is not integrated with this connection')
    expect(await referralOf(connection.id, body.referral.id)).toBeUndefined()
  })
})

describe('referrals bound for CRMS', () => {
  it("delivers the imported referral to CRMS with its fields, note, summary PDF and files, until CRMS accepts it", async () => {
    const crms = createCrmsSimulator()
    const crmsUrl = await crms.listen(0)
    try {
      const target = await hub.api('POST', '/api/connections', { connector: 'crms', name: 'CRMS', baseUrl: crmsUrl, credentials: { apiKey: DEMO_CRMS.apiKey } })
      expect(target.status, JSON.stringify(target.body)).toBe(201)
      const connection = await connectCaredove({ serviceListingIds: [LISTING], preset: 'at_the_start', destination: 'crms', crmsConnectionId: target.body.id })

      // CRMS's own requirement, reached through its field map: a map that sends nothing to its date of birth is refused before anything is stored.
      const fieldMap = (await hub.api('GET', `/api/connections/${target.body.id}/mappings`)).body.fieldMap.filter((m: { crm: string }) => m.crm !== 'registrant.dateOfBirth')
      expect((await hub.api('PUT', `/api/connections/${target.body.id}/mappings`, { fieldMap })).status).toBe(200)
      const blocked = await send(connection.id, referralBody())
      expect(blocked).toEqual({ status: 400, body: { message: 'Date of birth is required by CRMS, and its field map sends nothing to it' } })
      expect((await hub.api('PUT', `/api/connections/${target.body.id}/mappings`, { fieldMap: null })).status).toBe(200)

      const body = referralBody()
      const answer = await send(connection.id, body)
      expect(answer.status).toBe(202)
      expect(answer.body.accepted[0].jobId).toEqual(expect.any(String))
      const filed = await waitFor('the referral in CRMS', async () => crms.inbox.list(body.referral.id)[0])
      expect(filed.registrant).toMatchObject({ first_name: 'Marisol', last_name: 'Okafor', date_of_birth: '1988-04-17', postal_code: 'L8P 4R5' })
      expect(filed.referral_note).toContain('Reason for referral: Alcohol use disorder, relapse after 2 years sober')
      expect(filed.attachments.map((a: { filename: string }) => a.filename)).toEqual([`referral-summary-${body.referral.id}.pdf`, 'consent.png', 'discharge.txt'])
      expect(Buffer.from(filed.attachments[1]!.data).equals(PNG)).toBe(true)
      const referral = await waitFor('the delivery linked', async () => {
        const r = await referralOf(connection.id, body.referral.id)
        return r?.delivery?.state === 'linked' ? r : undefined
      })
      expect(referral.delivery).toMatchObject({ connectionId: target.body.id, externalId: filed.id })

      // CRMS's staff accept it: the next event's delivery finds that out and the inbox referral is accepted by CRMS; later events are ignored.
      crms.inbox.accept(filed.id)
      expect((await send(connection.id, referralBody({ referralId: body.referral.id, event: 'edited' }))).status).toBe(202)
      await waitFor('the referral accepted by CRMS', async () => (await referralOf(connection.id, body.referral.id))?.acceptedBy === 'crms' || undefined)
      const late = await send(connection.id, referralBody({ referralId: body.referral.id, event: 'edited' }))
      expect(late.body.accepted[0].note).toMatch(/^ignored: the referral was accepted in CRMS/)
    } finally {
      await crms.close()
    }
  })
})

describe('through the Caredove simulator', () => {
  it("shows the 400's message in Caredove's integration log, and the fixed referral resent on save imports under the same event id", async () => {
    const caredove = createCaredoveSimulator()
    const caredoveUrl = await caredove.listen(0)
    try {
      const listing = caredove.store.listings[0]!.id
      const connection = await connectCaredove({ serviceListingIds: [listing], preset: 'at_the_start' })
      caredove.integrate(connection.inboundUrl, { signingSecret: SECRET })
      const sent = await caredove.refer({ registrant: { dob: null } })
      if (!sent.ok) throw new Error(sent.message)
      expect(sent.deliveries[0]).toMatchObject({ http_code: 400, body: '{"message":"Date of birth is required"}' })

      const fixed = await (await fetch(`${caredoveUrl}/_sim/referrals/${sent.referral.id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ registrant: { dob: '1979-03-14' } }) })).json()
      expect(fixed.deliveries[0]).toMatchObject({ http_code: 202, eventId: sent.deliveries[0]!.eventId, trigger: 'received' })
      const referral = await referralOf(connection.id, sent.referral.id)
      expect(referral.fields.registrant.dateOfBirth).toBe('1979-03-14')
      expect(referral.events).toEqual([expect.objectContaining({ eventId: sent.deliveries[0]!.eventId, trigger: 'received', outcome: 'applied' })])
      expect(referral.attachments.map((a: { kind: string }) => a.kind)).toEqual(['summary', 'attachment', 'attachment'])
    } finally {
      await caredove.close()
    }
  })
})


describe('outbound events', () => {
  it('announces a referral new to the inbox once (referral.imported), signed, not its later updates', async () => {
    const received: { id: string; type: string; data: Record<string, unknown> }[] = []
    const { createServer } = await import('node:http')
    const server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        try {
          received.push(new Webhook(subscriptionSecret).verify(Buffer.concat(chunks).toString('utf8'), req.headers as Record<string, string>) as (typeof received)[number])
          res.writeHead(204).end()
        } catch {
          res.writeHead(400).end()
        }
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    let subscriptionSecret = ''
    try {
      const port = (server.address() as { port: number }).port
      const subscription = await hub.api('POST', '/api/event-subscriptions', { url: `http://127.0.0.1:${port}/hooks`, events: ['referral.imported'] })
      expect(subscription.status).toBe(201)
      subscriptionSecret = subscription.body.secret
      const connection = await connectCaredove({ serviceListingIds: [LISTING], preset: 'at_the_start' })
      const first = referralBody()
      expect((await send(connection.id, first)).status).toBeLessThan(300)
      expect((await send(connection.id, referralBody({ event: 'edited', referralId: first.referral.id }))).status).toBeLessThan(300)
      const referral = await referralOf(connection.id, first.referral.id)
      const event = await waitFor('referral.imported at the receiver', async () => received.find((e) => e.type === 'referral.imported'))
      expect(event.data).toEqual({ referralId: referral.id, connectionId: connection.id, connector: 'caredove', externalId: first.referral.id, trigger: 'received' })
      // The edit reached the inbox; nothing more was announced for it.
      await waitFor('the edit applied', async () => ((await referralOf(connection.id, first.referral.id)).events.length >= 2 ? true : undefined))
      const deliveries = (await hub.api('GET', `/api/event-subscriptions/${subscription.body.id}/deliveries`)).body.items
      expect(deliveries.map((d: { eventType: string }) => d.eventType)).toEqual(['referral.imported'])
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })
})
