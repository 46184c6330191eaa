import type { InboundReferral } from '../connectors/connector.js'

/**
 * The Referral Note (F21): everything the field map does not name, each line labelled with its
 * question (or field), in the sender's order, then the messages — so nothing the referrer wrote
 * is lost. Plain text: it travels to CRMS as `referral_note` and reads the same in the CRM.
 */
export function buildReferralNote(unmapped: InboundReferral['unmapped'], messages: InboundReferral['messages']): string {
  const lines = unmapped.map((entry) => labelled(entry.label, entry.value))
  if (messages.length > 0) {
    lines.push('', 'Messages:')
    for (const message of messages) {
      const who = [`from ${message.from}`, message.author].filter(Boolean).join(', ')
      lines.push(labelled(`- ${message.sentAt ? `${message.sentAt} ` : ''}(${who})`, message.text))
    }
  }
  return lines.join('\n').trim()
}

/** "Label: value", a value of several lines indented under its label. */
function labelled(label: string, value: string): string {
  const [first, ...rest] = value.split(/\r?\n/)
  return [`${label}: ${first}`, ...rest.map((line) => `  ${line}`)].join('\n')
}
