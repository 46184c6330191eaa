import { describe, expect, it } from 'vitest'
import { Webhook } from 'standardwebhooks'
import type { InboundRequest } from '../connector.js'
import { resolveMapping } from '../../mapping/mapping.js'
import { caredoveConnector, CaredoveSettings } from './connector.js'
import { caredoveDefaults } from './fields.js'

const SECRET = `whsec_${Buffer.from('caredove-unit-test-signing-secret').toString('base64')}`
const settings = CaredoveSettings.parse({ serviceListingIds: ['sl_a'], preset: 'at_the_start' })
const connection = { id: 'c1', name: 'Caredove', baseUrl: 'https://www.caredove.com', settings, secrets: { signingSecret: SECRET } }
const mapping = resolveMapping(caredoveDefaults, { fieldMap: null, valueMaps: {} })
const inbound = caredoveConnector.inbound!

function event(overrides: Record<string, unknown> = {}, referral: Record<string, unknown> = {}) {
  return {
    event: 'received',
    event_id: 'evt_1',
    occurred_at: '2026-11-30T12:00:00Z',
    service_listing_id: 'sl_a',
    referral: {
      id: 'ref_1',
      status: 'open',
      sub_status: 'received',
      registrant: { first_name: 'Ann', last_name: 'Lee', dob: '1990-02-03', address: { city: 'Ottawa', floor: 3 }, pronouns: 'she/her' },
      requester: { organization: 'Clinic' },
      form_fields: [{ question: 'Reason', answer: 'Anxiety' }],
      messages: [{ from: 'provider', author: 'Sam', sent_at: null, text: 'Hello' }],
      priority: 'urgent',
      ...referral,
    },
    ...overrides,
  }
}

function signed(body: unknown, options: { at?: Date; secret?: string } = {}): InboundRequest {
  const raw = JSON.stringify(body)
  const at = options.at ?? new Date()
  return {
    method: 'POST',
    url: '/api/inbound/caredove/c1',
    headers: { 'webhook-id': 'evt_1', 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new Webhook(options.secret ?? SECRET).sign('evt_1', at, raw) },
    rawBody: Buffer.from(raw),
    receivedAt: new Date(),
  }
}

describe('Caredove inbound', () => {
  it('verifies Standard Webhooks signatures and names each failure', () => {
    expect(inbound.verify(signed(event()), connection)).toBeNull()
    expect(inbound.verify(signed(event(), { secret: `whsec_${Buffer.from('another-secret-of-enough-length').toString('base64')}` }), connection)).toMatchObject({ status: 401, code: 'bad_signature' })
    expect(inbound.verify(signed(event(), { at: new Date(Date.now() - 301_000) }), connection)).toMatchObject({ status: 401, code: 'stale_timestamp' })
    expect(inbound.verify(signed(event(), { at: new Date(Date.now() + 301_000) }), connection)).toMatchObject({ status: 401, code: 'future_timestamp' })
    expect(inbound.verify({ ...signed(event()), headers: {} }, connection)).toMatchObject({ status: 401, code: 'missing_signature' })
  })

  it('maps the registrant, requester and appointment into CRM referral fields, the rest into the note in order', () => {
    const parsed = inbound.parse(signed(event()), connection, mapping)
    if (!parsed.ok) throw new Error(parsed.refusal.message)
    const work = parsed.events[0]!.work
    if (work.kind !== 'import_referral') throw new Error(work.kind)
    expect(work.destination).toEqual({ kind: 'crm' })
    expect(work.referral.fields).toEqual({ registrant: { firstName: 'Ann', lastName: 'Lee', dateOfBirth: '1990-02-03', address: { city: 'Ottawa' } }, requester: { organization: 'Clinic' } })
    expect(work.referral.unmapped).toEqual([
      { label: 'Registrant address floor', value: '3' },
      { label: 'Registrant pronouns', value: 'she/her' },
      { label: 'Priority', value: 'urgent' },
      { label: 'Reason', value: 'Anxiety' },
    ])
    expect(work.referral.messages).toEqual([{ from: 'provider', author: 'Sam', sentAt: null, text: 'Hello' }])
  })

  it('puts a field the connection leaves unmapped in the note, labelled', () => {
    const withoutCity = resolveMapping(caredoveDefaults, { fieldMap: caredoveDefaults.fieldMap.filter((m) => m.crm !== 'registrant.address.city'), valueMaps: {} })
    const parsed = inbound.parse(signed(event()), connection, withoutCity)
    if (!parsed.ok || parsed.events[0]!.work.kind !== 'import_referral') throw new Error('not imported')
    expect(parsed.events[0]!.work.referral.unmapped[0]).toEqual({ label: 'Registrant city', value: 'Ottawa' })
  })

  it('ignores triggers and listings the connection does not import, with the reason', () => {
    const other = inbound.parse(signed(event({ service_listing_id: 'sl_b' })), connection, mapping)
    expect(other).toMatchObject({ ok: true, events: [{ work: { kind: 'ignore', reason: 'service listing sl_b is not integrated with this connection', externalReferralId: 'ref_1' } }] })
    const atTheEnd = { ...connection, settings: CaredoveSettings.parse({ serviceListingIds: ['sl_a'] }) }
    expect(inbound.parse(signed(event()), atTheEnd, mapping)).toMatchObject({ ok: true, events: [{ work: { kind: 'ignore', reason: expect.stringMatching(/"Received" is not imported .*at the end/) } }] })
    const custom = { ...connection, settings: CaredoveSettings.parse({ serviceListingIds: ['sl_a'], preset: 'custom', triggers: ['received'] }) }
    expect(inbound.parse(signed(event({}, { routed: true })), custom, mapping)).toMatchObject({ ok: true, events: [{ work: { kind: 'ignore', reason: expect.stringMatching(/routed requests/) } }] })
  })

  it('answers a malformed body or a value of the wrong type with one sentence naming the field', () => {
    const refusal = (body: unknown) => {
      const parsed = inbound.parse(signed(body), connection, mapping)
      return parsed.ok ? null : parsed.refusal.body
    }
    expect(refusal(event({ event: 'deleted' }))).toEqual({ message: expect.stringMatching(/^event must be one of: received, edited/) })
    expect(refusal(event({}, { attachments: [{ filename: 'a.pdf', data_base64: '%%%' }] }))).toEqual({ message: 'referral.attachments[0].data_base64 is not base64' })
    expect(refusal(event({}, { registrant: { first_name: 'Ann', dob: '1990-02-30' } }))).toEqual({ message: 'Date of birth is not a date (YYYY-MM-DD)' })
    const raw = inbound.parse({ ...signed(event()), rawBody: Buffer.from('{') }, connection, mapping)
    expect(raw).toMatchObject({ ok: false, refusal: { status: 400, body: { message: 'The body is not JSON' } } })
  })

  it('needs a CRMS connection when referrals go to CRMS, and a trigger list for the custom preset', () => {
    expect(CaredoveSettings.safeParse({ serviceListingIds: ['sl_a'], destination: 'crms' }).error?.issues[0]).toMatchObject({ path: ['crmsConnectionId'] })
    expect(CaredoveSettings.safeParse({ serviceListingIds: ['sl_a'], preset: 'custom' }).error?.issues[0]).toMatchObject({ path: ['triggers'] })
    expect(CaredoveSettings.safeParse({ serviceListingIds: [] }).success).toBe(false)
  })
})
