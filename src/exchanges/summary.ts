/**
 * One sentence for a failed answer, from whatever error shape the system uses: `message`,
 * per-field `errors`, OAuth `error_description`, KIPU's `errors` string, FHIR OperationOutcome.
 */
export function summarizeFailure(status: number, json: unknown, text: string, note?: string): string {
  const found = json && typeof json === 'object' ? fromBody(json as Record<string, unknown>) : []
  const detail = found.length > 0 ? found.join('; ') : text.trim().slice(0, 300) || 'no message'
  return [`${status}: ${detail}`, note].filter(Boolean).join(' — ')
}

function fromBody(body: Record<string, unknown>): string[] {
  const parts: string[] = []
  if (typeof body.message === 'string') parts.push(body.message)
  if (typeof body.errors === 'string') parts.push(body.errors)
  if (Array.isArray(body.errors)) {
    for (const e of body.errors) {
      if (typeof e === 'string') parts.push(e)
      else if (e && typeof e === 'object') {
        const { path, message } = e as { path?: unknown; message?: unknown }
        parts.push([path, message].filter((x) => typeof x === 'string').join(': '))
      }
    }
  }
  if (typeof body.error_description === 'string') parts.push(`${String(body.error ?? 'error')}: ${body.error_description}`)
  else if (typeof body.error === 'string' && parts.length === 0) parts.push(body.error)
  if (body.resourceType === 'OperationOutcome' && Array.isArray(body.issue)) {
    for (const issue of body.issue as Record<string, unknown>[]) {
      const coding = (issue.details as { coding?: { code?: string; display?: string }[] } | undefined)?.coding?.[0]
      const text = (issue.details as { text?: string } | undefined)?.text
      const code = coding ? [coding.code, coding.display].filter(Boolean).join(' ') : undefined
      parts.push([code, text ?? issue.diagnostics].filter((x) => typeof x === 'string' && x).join(': '))
    }
  }
  return parts.filter(Boolean)
}
