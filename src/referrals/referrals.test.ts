import { describe, expect, it } from 'vitest'
import { extractText, getDocumentProxy } from 'unpdf'
import { checkAttachments, MAX_ATTACHMENT_BYTES } from './attachments.js'
import { nextAppointments, type AppointmentEntry } from './import.js'
import { buildReferralNote } from './note.js'
import { renderReferralSummary } from './summaryPdf.js'
import { CRM_INBOX_REQUIREMENTS, unmetRequirement } from './validate.js'
import { checkReferralFieldMap } from '../mapping/mapping.js'
import { caredoveFields } from '../connectors/caredove/fields.js'
import type { FieldSpec } from '../connectors/connector.js'

describe('unmetRequirement', () => {
  const complete = { registrant: { firstName: 'Ann', lastName: 'Lee', dateOfBirth: '1990-02-03' } }

  it("names the CRM inbox's first missing field in one sentence", () => {
    expect(unmetRequirement(complete, [CRM_INBOX_REQUIREMENTS])).toBeNull()
    expect(unmetRequirement({ registrant: { firstName: 'Ann', lastName: ' ' } }, [CRM_INBOX_REQUIREMENTS])).toBe('Last name is required')
    expect(unmetRequirement({ registrant: { firstName: 'Ann', lastName: 'Lee' } }, [CRM_INBOX_REQUIREMENTS])).toBe('Date of birth is required')
  })

  it("checks a destination connection's required fields through its field map", () => {
    const catalog: FieldSpec[] = [{ path: 'client.phone', label: 'Phone number', type: 'string', required: true }]
    const destination = { catalog, fieldMap: [{ crm: 'registrant.phoneHome', emr: 'client.phone' }, { crm: 'registrant.phoneAlt', emr: 'client.phone' }], system: 'CRMS' }
    expect(unmetRequirement(complete, [CRM_INBOX_REQUIREMENTS, destination])).toBe('Phone number is required')
    expect(unmetRequirement({ registrant: { ...complete.registrant, phoneAlt: '555-0100' } }, [CRM_INBOX_REQUIREMENTS, destination])).toBeNull()
    expect(unmetRequirement(complete, [{ ...destination, fieldMap: [] }])).toBe('Phone number is required by CRMS, and its field map sends nothing to it')
  })
})

describe('checkAttachments', () => {
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64')

  it('stores the type the bytes are, whatever was declared, and refuses what is not accepted, naming the file', async () => {
    const ok = await checkAttachments([
      { filename: 'scan.pdf', contentType: 'application/pdf', data: png },
      { filename: 'note.txt', contentType: 'text/plain', data: Buffer.from('Café notes\n') },
    ])
    expect(ok).toMatchObject({ ok: true, attachments: [{ contentType: 'image/png' }, { contentType: 'text/plain; charset=utf-8' }] })
    expect(await checkAttachments([{ filename: 'tool.pdf', contentType: 'application/pdf', data: Buffer.concat([Buffer.from('MZ'), Buffer.alloc(100, 1)]) }])).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^Attachment "tool.pdf" is .* not accepted/),
    })
    expect(await checkAttachments([{ filename: 'bin.txt', contentType: 'text/plain', data: Buffer.from([0x41, 0x00, 0x42]) }])).toMatchObject({ ok: false, message: expect.stringMatching(/^Attachment "bin.txt"/) })
    expect(await checkAttachments([{ filename: 'empty.pdf', contentType: 'application/pdf', data: Buffer.alloc(0) }])).toEqual({ ok: false, message: 'Attachment "empty.pdf" is empty' })
    const big = Buffer.concat([png, Buffer.alloc(MAX_ATTACHMENT_BYTES)])
    expect(await checkAttachments([{ filename: 'big.png', contentType: 'image/png', data: big }])).toEqual({ ok: false, message: 'Attachment "big.png" is larger than 10 MB' })
  })
})

describe('buildReferralNote', () => {
  it('labels every entry, indents answers of several lines, and closes with the messages', () => {
    const note = buildReferralNote(
      [
        { label: 'Reason for referral', value: 'Anxiety\nand low mood' },
        { label: 'Priority', value: 'urgent' },
      ],
      [{ from: 'requester', author: 'Dana', sentAt: '2026-11-30T11:00:00Z', text: 'Call after 2 pm' }],
    )
    expect(note).toBe('Reason for referral: Anxiety\n  and low mood\nPriority: urgent\n\nMessages:\n- 2026-11-30T11:00:00Z (from requester, Dana): Call after 2 pm')
    expect(buildReferralNote([], [])).toBe('')
  })
})

describe('nextAppointments', () => {
  const booked = { start: '2026-12-01T10:00:00Z', durationMinutes: 60, location: 'Room 1', providerFullName: 'Dr. A', status: 'booked' as const }
  const event = (trigger: string, appointment: typeof booked | null, eventId = trigger) => ({ eventId, trigger, referral: { appointment, occurredAt: null } as never })

  it('keeps booked, rescheduled and unbooked as history, and nothing when the appointment did not change', () => {
    let history: AppointmentEntry[] = nextAppointments([], event('booked', booked))
    expect(nextAppointments(history, event('edited', booked))).toBe(history)
    history = nextAppointments(history, event('edited', { ...booked, start: '2026-12-02T10:00:00Z' }))
    history = nextAppointments(history, event('rescheduled_unbooked', null))
    expect(history.map((a) => [a.status, a.start, a.trigger])).toEqual([
      ['booked', '2026-12-01T10:00:00Z', 'booked'],
      ['rescheduled', '2026-12-02T10:00:00Z', 'edited'],
      ['unbooked', '2026-12-02T10:00:00Z', 'rescheduled_unbooked'],
    ])
    expect(nextAppointments(history, event('rescheduled_unbooked', null))).toBe(history)
  })
})

describe('renderReferralSummary', () => {
  it('makes a PDF whose text holds the registrant, every answer, the messages and the history', async () => {
    const pdf = await renderReferralSummary({
      source: 'Caredove',
      externalId: 'ref_9',
      serviceListingId: 'sl_a',
      sourceStatus: 'closed',
      sourceSubStatus: 'completed',
      fields: { registrant: { firstName: 'Zoë', lastName: 'Nakamura', dateOfBirth: '1979-09-09' }, requester: { organization: 'North Clinic' } },
      unmapped: [{ label: 'Reason for referral', value: 'Opioid use disorder' }],
      appointments: [],
      messages: [{ from: 'provider', author: 'Intake', sentAt: null, text: 'We will call Monday' }],
      attachments: [{ filename: 'letter.pdf', contentType: 'application/pdf', sizeBytes: 900 }],
      events: [{ trigger: 'closed_completed', occurredAt: '2026-11-30T10:00:00.000Z', receivedAt: '2026-11-30T10:00:01.000Z', outcome: 'applied', reason: null }],
      generatedAt: new Date('2026-11-30T10:00:02Z'),
    })
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-')
    const { text } = await extractText(await getDocumentProxy(new Uint8Array(pdf)), { mergePages: true })
    for (const expected of ['Referral Summary', 'Zoë Nakamura', 'Date of birth: 1979-09-09', 'North Clinic', 'Reason for referral: Opioid use disorder', 'We will call Monday', 'letter.pdf', 'closed_completed']) {
      expect(text).toContain(expected)
    }
  })
})

describe('checkReferralFieldMap', () => {
  it('takes CRM referral fields ← catalog fields whose values travel, and refuses the others when saved', () => {
    expect(checkReferralFieldMap([{ crm: 'registrant.dateOfBirth', emr: 'registrant.dob' }, { crm: 'requester.phone', emr: 'registrant.phone_alt' }], caredoveFields)).toEqual([])
    expect(checkReferralFieldMap([{ crm: 'dob', emr: 'registrant.dob' }], caredoveFields)[0]!.message).toMatch(/not a CRM referral field/)
    expect(checkReferralFieldMap([{ crm: 'registrant.email', emr: 'registrant.unknown' }], caredoveFields, 'Caredove')[0]!.message).toBe('"registrant.unknown" is not a field Caredove has')
    expect(checkReferralFieldMap([{ crm: 'appointment.durationMinutes', emr: 'registrant.email' }], caredoveFields)[0]!.message).toBe('"registrant.email" holds text, but "appointment.durationMinutes" takes a whole number')
    expect(checkReferralFieldMap([{ crm: 'registrant.email', emr: 'form_fields.answer' }], caredoveFields)[0]!.message).toMatch(/Referral Note/)
    const twice = checkReferralFieldMap([{ crm: 'registrant.email', emr: 'registrant.email' }, { crm: 'registrant.email', emr: 'requester.phone' }], caredoveFields)
    expect(twice[0]).toMatchObject({ field: 'fieldMap[1]', message: '"registrant.email" is already mapped by fieldMap[0]' })
  })
})
