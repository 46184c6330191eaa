import { beforeEach, describe, expect, it } from 'vitest'
import type { CrmsSimulator } from '../../../simulators/crms/server.js'
import { resolveMapping } from '../../mapping/mapping.js'
import { attemptPush, type FakeContext } from '../testing.js'
import type { CrmsSecretsT, CrmsSettingsT } from './client.js'
import { ACCEPTED_IN_CRMS, crmsConnector } from './connector.js'
import { crmsDefaults } from './fields.js'
import { SCAN_PNG, SUMMARY_PDF, crmsWorld, referralInput } from './testdata.js'
import { sha256 } from './payload.js'

const flow = crmsConnector.flows.pushReferral!
let sim: CrmsSimulator
let context: (apiKey?: string) => FakeContext<CrmsSettingsT, CrmsSecretsT>

beforeEach(async () => {
  ;({ sim, context } = await crmsWorld())
})

describe('CRMS referral delivery', () => {
  it('files the referral field for field, with the Referral Note and every attachment byte for byte, summary PDF first', async () => {
    const { ctx, calls } = context()
    const input = referralInput()
    const attempt = await attemptPush(flow, input, ctx)
    expect(attempt.ok).toBe(true)
    const [held] = sim.inbox.list(input.referral.externalId)
    expect(held).toBeDefined()
    expect(attempt.link.externalId).toBe(held!.id)
    expect(held!.registrant).toEqual({
      first_name: 'Amelia',
      middle_name: 'Rose',
      last_name: 'Tremblay',
      date_of_birth: '1988-04-12',
      gender: 'Female',
      address: '12 King St W',
      city: 'Hamilton',
      province: 'ON',
      country: 'Canada',
      postal_code: 'L8P 1A1',
      preferred_language: 'English',
      phone_home: '905-555-0134',
      email: 'amelia@example.com',
    })
    expect(held!.requester).toEqual({ first_name: 'Priya', last_name: 'Shah', organization: 'Hamilton Family Health Team', phone: '905-555-0100' })
    expect(held!.appointment).toEqual({ start: '2026-12-03T15:00:00Z', duration_minutes: 60, location: 'Main clinic', provider_full_name: 'Jordan Lee' })
    expect(held!.referral_note).toBe('Reason for referral: low mood\nCurrent medications: none')
    expect(held!.attachments.map((a) => [a.filename, a.content_type])).toEqual([
      ['Referral summary.pdf', 'application/pdf'],
      ['scan.png', 'image/png'],
    ])
    expect(held!.attachments[0]!.data.equals(SUMMARY_PDF)).toBe(true)
    expect(held!.attachments[1]!.data.equals(SCAN_PNG)).toBe(true)
    // One create, and the log keeps the attachments' size and hash, not their bytes.
    expect(calls.map((c) => c.operation)).toEqual(['create'])
    const logged = JSON.stringify(calls[0]!.body)
    expect(logged).not.toContain(SCAN_PNG.toString('base64'))
    expect(logged).toContain(`sha256 ${sha256(SCAN_PNG)}`)
  })

  it('sends the referral fields CRMS is not mapped to in the note under their labels', async () => {
    const { ctx } = context()
    const mapping = resolveMapping(crmsDefaults, {
      fieldMap: crmsDefaults.fieldMap.filter((m) => !['registrant.gender', 'requester.phone'].includes(m.crm)),
      valueMaps: {},
    })
    const input = referralInput({ mapping })
    expect((await attemptPush(flow, input, ctx)).ok).toBe(true)
    const [held] = sim.inbox.list(input.referral.externalId)
    expect(held!.registrant.gender).toBeUndefined()
    expect(held!.referral_note).toBe(
      'Reason for referral: low mood\nCurrent medications: none\n\nNot carried by the CRMS field map:\nGender: Female\nRequester phone: 905-555-0100',
    )
  })

  it('reads stored dotted field paths as well as nested ones', async () => {
    const { ctx } = context()
    const input = referralInput({
      fields: { 'registrant.firstName': 'Noor', 'registrant.lastName': 'Haddad', 'registrant.dateOfBirth': '1999-09-09', 'registrant.address.city': 'Guelph' },
    })
    expect((await attemptPush(flow, input, ctx)).ok).toBe(true)
    expect(sim.inbox.list(input.referral.externalId)[0]!.registrant).toEqual({ first_name: 'Noor', last_name: 'Haddad', date_of_birth: '1999-09-09', city: 'Guelph' })
  })

  it('updates by PATCH until accepted: cleared fields cleared, only attachments CRMS lacks sent, never a second referral', async () => {
    const { ctx, calls } = context()
    const input = referralInput()
    const first = await attemptPush(flow, input, ctx)
    expect(first.ok).toBe(true)

    // A later event: the appointment unbooked, the email gone, a new summary and a new file.
    const registrant = input.referral.fields.registrant as Record<string, unknown>
    delete registrant.email
    delete input.referral.fields.appointment
    input.referral.note = 'Reason for referral: low mood (edited)'
    const newSummary = Buffer.concat([SUMMARY_PDF, Buffer.from('% v2\n')])
    const letter = Buffer.from('%PDF-1.4\n% letter\n%%EOF\n')
    input.attachments = [
      { position: 1, kind: 'summary', filename: 'Referral summary.pdf', contentType: 'application/pdf', data: newSummary },
      { position: 2, kind: 'attachment', filename: 'scan.png', contentType: 'image/png', data: SCAN_PNG },
      { position: 3, kind: 'attachment', filename: 'letter.pdf', contentType: 'application/pdf', data: letter },
    ]
    calls.length = 0
    const second = await attemptPush(flow, input, ctx, { link: first.link, progress: { done: {}, started: {} } })
    expect(second.ok).toBe(true)
    expect(calls.map((c) => c.operation)).toEqual(['read', 'update'])
    const patch = calls[1]!.body as { attachments: { filename: string }[] }
    expect(patch.attachments.map((a) => a.filename)).toEqual(['Referral summary.pdf', 'letter.pdf'])

    const all = sim.inbox.list(input.referral.externalId)
    expect(all).toHaveLength(1)
    expect(all[0]!.registrant.email).toBeUndefined()
    expect(all[0]!.appointment).toBeNull()
    expect(all[0]!.referral_note).toBe('Reason for referral: low mood (edited)')
    expect(all[0]!.attachments.map((a) => a.filename)).toEqual(['Referral summary.pdf', 'scan.png', 'Referral summary.pdf', 'letter.pdf'])
  })

  it('sends nothing once CRMS accepted the referral, and says the hub referral is accepted in CRMS', async () => {
    const { ctx, calls } = context()
    const input = referralInput()
    const first = await attemptPush(flow, input, ctx)
    await sim.app.inject({ method: 'POST', url: `/_sim/referrals/${first.link.externalId}/accept` })
    calls.length = 0
    input.referral.note = 'changed after acceptance'
    const step = flow.steps.find((s) => s.name === 'update')!
    const result = await step.run(input, { ...ctx, link: first.link, progress: { done: {}, started: {} }, done: {} })
    expect(result.acceptedInSystem).toMatchObject({ reason: ACCEPTED_IN_CRMS, at: expect.stringMatching(/^\d{4}-/) })
    expect(calls.map((c) => c.operation)).toEqual(['read'])
    expect(sim.inbox.list(input.referral.externalId)[0]!.referral_note).not.toBe('changed after acceptance')

    // A referral the hub already knows CRMS accepted is not even read.
    calls.length = 0
    const known = await step.run({ ...input, referral: { ...input.referral, acceptedBy: 'crms' } }, { ...ctx, link: first.link, progress: { done: {}, started: {} }, done: {} })
    expect(known.acceptedInSystem?.reason).toBe(ACCEPTED_IN_CRMS)
    expect(calls).toHaveLength(0)
  })

  it('adopts the referral CRMS names in a 409 for the same external id', async () => {
    const { ctx } = context()
    const input = referralInput()
    expect((await attemptPush(flow, input, ctx)).ok).toBe(true)
    const existing = sim.inbox.list(input.referral.externalId)[0]!.id
    // The hub lost the link (e.g. its own record restored from an older backup) and files again.
    const again = await attemptPush(flow, input, ctx)
    expect(again.ok).toBe(true)
    expect(again.link.externalId).toBe(existing)
    expect(sim.inbox.list(input.referral.externalId)).toHaveLength(1)
  })

  it('refuses a referral without a field CRMS requires before sending it, in CRMS\u2019s words', async () => {
    const { ctx, calls } = context()
    const input = referralInput()
    delete (input.referral.fields.registrant as Record<string, unknown>).dateOfBirth
    const attempt = await attemptPush(flow, input, ctx)
    expect(attempt.ok).toBe(false)
    if (attempt.ok) return
    expect(attempt.error).toMatchObject({ code: 'missing_required', retryable: false })
    expect(attempt.error.message).toMatch(/^Date of birth is required: .*registrant\.date_of_birth/)
    expect(calls).toHaveLength(1)
    expect(calls[0]!.status).toBeNull()
    expect(sim.inbox.list()).toHaveLength(0)
    expect(flow.preview(input, { externalId: null, externalMrn: null }, {}).blocking).toEqual([{ field: 'registrant.date_of_birth', reason: 'Date of birth is required' }])
  })

  it('surfaces a CRMS 400 with its message as needing a person', async () => {
    const { ctx } = context()
    const input = referralInput()
    ;(input.referral.fields.registrant as Record<string, unknown>).dateOfBirth = '2199-01-01'
    const attempt = await attemptPush(flow, input, ctx)
    expect(attempt.ok).toBe(false)
    if (attempt.ok) return
    expect(attempt.error).toMatchObject({ retryable: false, httpStatus: 400, message: 'CRMS create failed (400): registrant.date_of_birth cannot be in the future' })
  })
})

describe('CRMS connection test', () => {
  it('names the cause: accepted, a wrong key, an unreachable CRMS', async () => {
    expect(await crmsConnector.test(context().ctx)).toMatchObject({ ok: true })
    expect(await crmsConnector.test(context('wrong-key').ctx)).toMatchObject({ ok: false, code: 'bad_key', message: expect.stringMatching(/CRMS refused the API key \(401\)/) })
    const { fakeContext } = await import('../testing.js')
    const unreachable = fakeContext<CrmsSettingsT, CrmsSecretsT>({
      connection: { baseUrl: 'http://127.0.0.1:9', settings: {}, secrets: { apiKey: 'k' } },
      send: async () => {
        throw new (await import('../errors.js')).ConnectorError({ code: 'network', message: 'test: connection refused (ECONNREFUSED)', retryable: true })
      },
    })
    expect(await crmsConnector.test(unreachable.ctx)).toEqual({ ok: false, code: 'unreachable', message: 'CRMS is unreachable at http://127.0.0.1:9: connection refused (ECONNREFUSED)' })
  })
})
