import { Badge } from '@mantine/core'

export function when(iso: string | null | undefined): string {
  if (!iso) return '—'
  const date = new Date(iso)
  return date.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' })
}

export function ago(iso: string | null | undefined): string {
  if (!iso) return 'never'
  const seconds = Math.round((Date.now() - new Date(iso).getTime()) / 1000)
  if (seconds < 60) return `${Math.max(seconds, 0)} s ago`
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`
  if (seconds < 86_400) return `${Math.round(seconds / 3600)} h ago`
  return `${Math.round(seconds / 86_400)} days ago`
}

const LINK_COLORS: Record<string, string> = { linked: 'green', partial: 'yellow', pending: 'gray', failed: 'red', needs_attention: 'orange' }
export function LinkState({ state }: { state: string }) {
  return (
    <Badge color={LINK_COLORS[state] ?? 'gray'} variant="light" data-testid="link-state">
      {state.replace('_', ' ')}
    </Badge>
  )
}

const JOB_COLORS: Record<string, string> = { succeeded: 'green', running: 'blue', queued: 'gray', retrying: 'yellow', failed: 'red', needs_attention: 'orange' }
export function JobState({ state }: { state: string }) {
  return (
    <Badge color={JOB_COLORS[state] ?? 'gray'} variant="light" data-testid="job-state">
      {state.replace('_', ' ')}
    </Badge>
  )
}

const REASONS: Record<number, string> = { 200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 412: 'Precondition Failed', 422: 'Unprocessable Entity', 429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' }

/** "200 OK", or the error — as the seeds' integration logs show an exchange. */
export function ExchangeStatus({ status, httpStatus }: { status: 'ok' | 'error'; httpStatus: number | null }) {
  const text = httpStatus ? `${httpStatus} ${REASONS[httpStatus] ?? ''}`.trim() : status === 'ok' ? 'OK' : 'error'
  return (
    <Badge color={status === 'ok' ? 'green' : 'red'} variant="light" data-testid="exchange-status">
      {text}
    </Badge>
  )
}

export function words(identifier: string): string {
  return identifier.replace(/_/g, ' ').replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()
}
