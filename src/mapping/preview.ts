import type { DroppedField, LinkSnapshot, PatientPushInput, PushPatientFlow, PushPreview } from '../connectors/connector.js'
import { isConnectorError } from '../connectors/errors.js'

export type PushPreviewAnswer = PushPreview & { blocking: DroppedField[] }

/**
 * What a push would send now, and what is left out or stops it (F10), for any connector. A
 * connector that refuses to build the push (ECW: a location or program with no mapping) throws
 * the ConnectorError the push would fail with; a preview shows that as a blocking field instead,
 * since finding such gaps before anything is sent is what a preview is for.
 */
export function previewPush<Settings>(
  flow: PushPatientFlow<Settings, unknown>,
  input: PatientPushInput,
  link: LinkSnapshot,
  settings: Settings,
): PushPreviewAnswer {
  try {
    const preview = flow.preview(input, link, settings)
    return { ...preview, blocking: preview.blocking ?? [] }
  } catch (err) {
    if (!isConnectorError(err)) throw err
    const field = typeof err.details?.field === 'string' ? err.details.field : err.code
    return { steps: [], dropped: [], blocking: [{ field, reason: err.message }] }
  }
}
