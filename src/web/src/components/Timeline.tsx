import { Group, Stack, Text } from '@mantine/core'
import { useQuery } from '@tanstack/react-query'
import { api, unwrap } from '../api/client'
import { ErrorAlert, Loading } from './states'

/** Successes and failures per hour over the last day (one connection, or all), as stacked bars. */
export function Timeline({ connectionId }: { connectionId?: string }) {
  const timeline = useQuery({
    queryKey: ['timeline', connectionId ?? null],
    queryFn: () => unwrap(api.GET('/api/exchange-timeline', { params: { query: { hours: 24, bucketMinutes: 60, ...(connectionId ? { connectionId } : {}) } } })),
    refetchInterval: 15_000,
  })
  if (timeline.isPending) return <Loading label="Loading the chart…" />
  if (timeline.isError) return <ErrorAlert error={timeline.error} title="Could not load the chart" />
  const { since, bucketMinutes, items } = timeline.data
  const start = new Date(since).getTime()
  const step = bucketMinutes * 60_000
  const count = Math.max(1, Math.ceil((Date.now() - start) / step))
  const buckets = Array.from({ length: count }, (_, i) => ({ at: start + i * step, ok: 0, error: 0 }))
  for (const item of items) {
    const bucket = buckets[Math.floor((new Date(item.at).getTime() - start) / step)]
    if (bucket) {
      bucket.ok += item.ok
      bucket.error += item.error
    }
  }
  const max = Math.max(1, ...buckets.map((b) => b.ok + b.error))
  const totalOk = buckets.reduce((n, b) => n + b.ok, 0)
  const totalError = buckets.reduce((n, b) => n + b.error, 0)
  const width = 100 / count
  return (
    <Stack gap={2}>
      <Group gap="md">
        <Text size="sm" fw={500}>
          Last 24 hours
        </Text>
        <Text size="sm" c="green" data-testid="timeline-ok">
          {totalOk} succeeded
        </Text>
        <Text size="sm" c="red" data-testid="timeline-error">
          {totalError} failed
        </Text>
      </Group>
      <svg className="cb-chart" viewBox="0 0 100 50" preserveAspectRatio="none" role="img" aria-label={`Exchanges per hour over the last 24 hours: ${totalOk} succeeded, ${totalError} failed`}>
        {buckets.map((b, i) => {
          const okHeight = (b.ok / max) * 48
          const errorHeight = (b.error / max) * 48
          return (
            <g key={b.at}>
              <title>{`${new Date(b.at).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })}: ${b.ok} ok, ${b.error} failed`}</title>
              <rect className="ok" x={i * width + width * 0.1} width={width * 0.8} y={50 - okHeight} height={okHeight} />
              <rect className="error" x={i * width + width * 0.1} width={width * 0.8} y={50 - okHeight - errorHeight} height={errorHeight} />
            </g>
          )
        })}
        <line className="axis" x1="0" x2="100" y1="50" y2="50" strokeWidth="0.5" />
      </svg>
    </Stack>
  )
}
