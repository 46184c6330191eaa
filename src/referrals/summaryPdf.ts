import { CRM_REFERRAL_FIELDS } from '../crm/referralFields.js'
import { getPath } from '../mapping/paths.js'
import type { InboundReferral } from '../connectors/connector.js'

/** Everything the Referral Summary shows, as the inbox holds it after the event just applied. */
export interface ReferralSummary {
  source: string
  externalId: string
  serviceListingId: string | null
  sourceStatus: string | null
  sourceSubStatus: string | null
  fields: Record<string, unknown>
  /** The Referral Note's entries: form answers and every field the map does not name. */
  unmapped: InboundReferral['unmapped']
  appointments: { start: string | null; durationMinutes: number | null; location: string | null; providerFullName: string | null; status: string; trigger: string; occurredAt: string | null }[]
  messages: InboundReferral['messages']
  attachments: { filename: string; contentType: string; sizeBytes: number }[]
  events: { trigger: string; occurredAt: string | null; receivedAt: string; outcome: string; reason: string | null }[]
  generatedAt: Date
}

/**
 * The Referral Summary PDF (F22): a person reads it in CRMS or a chart without the hub, and its
 * text is extractable (standard fonts, real text, no images of text). Stored as the referral's
 * first attachment and made again whenever an event is applied.
 */
export async function renderReferralSummary(summary: ReferralSummary): Promise<Buffer> {
  // Loaded at the first summary, not with the hub: pdfkit and its font engine add ~25 MB and
  // ~150 ms to every start, and many hubs never import a referral.
  const { default: PDFDocument } = await import('pdfkit')
  const doc = new PDFDocument({ size: 'LETTER', margin: 54, info: { Title: `Referral Summary ${summary.externalId}`, Author: 'carebridge' } })
  const chunks: Buffer[] = []
  doc.on('data', (chunk: Buffer) => chunks.push(chunk))
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)))
    doc.on('error', reject)
  })

  const name = ['registrant.firstName', 'registrant.middleName', 'registrant.lastName'].map((p) => text(getPath(summary.fields, p))).filter(Boolean).join(' ')
  doc.font('Helvetica-Bold').fontSize(18).text('Referral Summary')
  doc.font('Helvetica').fontSize(10).fillColor('#444')
  doc.text(`${summary.source} referral ${summary.externalId}${summary.serviceListingId ? ` · service listing ${summary.serviceListingId}` : ''}`)
  doc.text(`Status: ${[summary.sourceStatus, summary.sourceSubStatus].filter(Boolean).join(' / ') || 'not reported'} · generated ${summary.generatedAt.toISOString()}`)
  doc.fillColor('black').moveDown(0.5)
  doc.font('Helvetica-Bold').fontSize(14).text(name || 'Registrant name not given')

  section(doc, 'Registrant')
  fieldRows(doc, summary.fields, 'registrant.')
  section(doc, 'Requester')
  fieldRows(doc, summary.fields, 'requester.')
  section(doc, 'Appointment')
  if (!fieldRows(doc, summary.fields, 'appointment.')) row(doc, 'Appointment', 'none booked')
  if (summary.appointments.length > 0) {
    doc.moveDown(0.3).font('Helvetica-Bold').fontSize(10).text('Appointment history')
    for (const a of summary.appointments) {
      const what = [a.start, a.durationMinutes !== null ? `${a.durationMinutes} min` : null, a.location, a.providerFullName].filter(Boolean).join(', ')
      row(doc, `${a.status} (${a.occurredAt ?? 'time not given'})`, what || '—')
    }
  }

  section(doc, 'Form answers and other details (Referral Note)')
  if (summary.unmapped.length === 0) row(doc, 'Details', 'none')
  for (const entry of summary.unmapped) row(doc, entry.label, entry.value)

  section(doc, 'Messages')
  if (summary.messages.length === 0) row(doc, 'Messages', 'none')
  for (const m of summary.messages) row(doc, `From ${m.from}${m.author ? ` (${m.author})` : ''}${m.sentAt ? `, ${m.sentAt}` : ''}`, m.text)

  section(doc, 'Attachments')
  if (summary.attachments.length === 0) row(doc, 'Attachments', 'none')
  for (const a of summary.attachments) row(doc, a.filename, `${a.contentType}, ${a.sizeBytes} bytes`)

  section(doc, 'Event history')
  for (const e of summary.events) {
    row(doc, `${e.occurredAt ?? e.receivedAt} ${e.trigger}`, `${e.outcome}${e.reason ? `: ${e.reason}` : ''} (received ${e.receivedAt})`)
  }
  doc.end()
  return done
}

function section(doc: PDFKit.PDFDocument, title: string): void {
  doc.moveDown(0.8).font('Helvetica-Bold').fontSize(12).fillColor('#1f4e79').text(title).fillColor('black').moveDown(0.2)
}

function row(doc: PDFKit.PDFDocument, label: string, value: string): void {
  doc.font('Helvetica-Bold').fontSize(10).text(`${printable(label)}: `, { continued: true }).font('Helvetica').text(printable(value))
}

/** The CRM referral fields under a prefix, labelled; false when none has a value. */
function fieldRows(doc: PDFKit.PDFDocument, fields: Record<string, unknown>, prefix: string): boolean {
  let any = false
  for (const spec of CRM_REFERRAL_FIELDS) {
    if (!spec.path.startsWith(prefix)) continue
    const value = text(getPath(fields, spec.path))
    if (!value) continue
    row(doc, spec.label, value)
    any = true
  }
  if (!any && prefix !== 'appointment.') row(doc, 'Details', 'none given')
  return any
}

function text(value: unknown): string {
  return value === undefined || value === null ? '' : String(value)
}

/** The standard fonts draw Latin-1 (WinAnsi); other characters are shown as "?" rather than garbled glyphs. */
function printable(value: string): string {
  return value.replace(/[^\x09\x0a\x0d\x20-\x7e\xa0-\xff\u2013\u2014\u2018\u2019\u201c\u201d\u2022\u2026\u20ac]/g, '?')
}
