import { createHash } from 'node:crypto'
import { fileTypeFromBuffer } from 'file-type'

/** Each attachment may be up to 10 MB (the whole event, base64 included, up to 32 MB: see the inbound route). */
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024

/** What a referral may carry, by what the bytes are (never by the name or the declared type). */
const ACCEPTED: Record<string, string> = {
  'application/pdf': 'PDF',
  'image/png': 'PNG',
  'image/jpeg': 'JPEG',
  'image/gif': 'GIF',
  'image/tiff': 'TIFF',
  'image/heic': 'HEIC',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'Word',
  'application/x-cfb': 'Word 97-2003',
  'application/rtf': 'RTF',
}
export const ACCEPTED_TYPES_TEXT = 'PDF, Word, RTF, PNG, JPEG, GIF, TIFF, HEIC or plain text'

export interface CheckedAttachment {
  filename: string
  /** The type the bytes are, which is what is stored and served. */
  contentType: string
  data: Buffer
  sha256: string
}

/**
 * Checks each attachment by its bytes: a type the inbox accepts, not empty, within the size limit.
 * Plain text has no signature, so a file declared as text passes when it is UTF-8 without NUL bytes.
 * The first refusal is one sentence naming the file.
 */
export async function checkAttachments(
  attachments: readonly { filename: string; contentType: string; data: Buffer }[],
): Promise<{ ok: true; attachments: CheckedAttachment[] } | { ok: false; message: string }> {
  const checked: CheckedAttachment[] = []
  for (const attachment of attachments) {
    const name = `Attachment "${attachment.filename}"`
    if (attachment.data.length === 0) return { ok: false, message: `${name} is empty` }
    if (attachment.data.length > MAX_ATTACHMENT_BYTES) return { ok: false, message: `${name} is larger than ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MB` }
    const detected = await fileTypeFromBuffer(attachment.data)
    let contentType: string
    if (detected) {
      if (!ACCEPTED[detected.mime]) return { ok: false, message: `${name} is ${detected.ext.toUpperCase()} (${detected.mime}), which is not accepted: send ${ACCEPTED_TYPES_TEXT}` }
      contentType = detected.mime
    } else if (/^text\/plain\b/i.test(attachment.contentType) && isPlainText(attachment.data)) {
      contentType = 'text/plain; charset=utf-8'
    } else {
      return { ok: false, message: `${name} is not a file type that is accepted: send ${ACCEPTED_TYPES_TEXT}` }
    }
    checked.push({ filename: attachment.filename, contentType, data: attachment.data, sha256: createHash('sha256').update(attachment.data).digest('hex') })
  }
  return { ok: true, attachments: checked }
}

function isPlainText(data: Buffer): boolean {
  if (data.includes(0)) return false
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(data)
    return true
  } catch {
    return false
  }
}
