import { Alert, Group, Progress, Stack, Table, Text } from '@mantine/core'
import { useQuery } from '@tanstack/react-query'
import { useEffect } from 'react'
import { api, unwrap } from '../api/client'
import { JobState, words } from './format'
import { ErrorAlert, Loading } from './states'

const RUNNING = new Set(['queued', 'running', 'retrying'])
/** Counters every pull reports; any other number a connector adds (e.g. patients waiting for admission) is shown too. */
const KNOWN = new Set(['pages', 'records', 'total', 'done', 'status'])
/** What each counter the engine keeps means, in words (a connector's own counters are shown by name). */
const COUNTER_WORDS: Record<string, string> = {
  created: 'new in the CRM',
  updated: 'updated',
  unchanged: 'unchanged',
  skipped: 'not imported (no matching CRM patient)',
  waiting: 'waiting (not pulled yet, e.g. not admitted)',
  unmapped: 'with values no value map translates',
}

interface ResourceProgress {
  pages?: number
  records?: number
  total?: number | null
  done?: boolean
  [counter: string]: unknown
}

/** Live progress of a pull: one bar per resource (pages, records, and what became of them). */
export function PullProgress({ jobId, onSettled }: { jobId: string; onSettled?: () => void }) {
  const job = useQuery({
    queryKey: ['job', jobId],
    queryFn: () => unwrap(api.GET('/api/jobs/{id}', { params: { path: { id: jobId } } })),
    refetchInterval: (q) => (q.state.data && !RUNNING.has(q.state.data.state) ? false : 500),
  })
  const settled = job.data !== undefined && !RUNNING.has(job.data.state)
  useEffect(() => {
    if (settled) onSettled?.()
  }, [settled, onSettled])
  if (job.isPending) return <Loading label="Starting the pull…" />
  if (job.isError) return <ErrorAlert error={job.error} title="Could not follow the pull" />
  const { state, progress, lastError, attempts } = job.data
  const resources = Object.entries(((progress as { resources?: Record<string, ResourceProgress> } | null)?.resources ?? {}) as Record<string, ResourceProgress>)
  const problems = ((progress as { problems?: { resource: string; externalId: string; message: string }[] } | null)?.problems ?? []).slice(0, 10)
  return (
    <Stack gap="xs" data-testid="pull-progress" aria-live="polite">
      <Group gap="xs">
        <Text fw={500}>Pull</Text>
        <JobState state={state} />
        {attempts > 1 && <Text size="sm">attempt {attempts}</Text>}
      </Group>
      {resources.length === 0 && RUNNING.has(state) && <Text size="sm">Waiting for a worker…</Text>}
      {resources.map(([resource, p]) => {
        const records = p.records ?? 0
        const percent = p.done ? 100 : p.total ? Math.min(100, (records / p.total) * 100) : 0
        const extra = Object.entries(p).filter(([k, v]) => !KNOWN.has(k) && typeof v === 'number' && v > 0) as [string, number][]
        return (
          <Stack key={resource} gap={2} data-testid={`pull-resource-${resource}`}>
            <Group justify="space-between">
              <Text size="sm" fw={500}>
                {words(resource)}
              </Text>
              <Text size="sm" data-testid={`pull-count-${resource}`}>
                {records}
                {p.total ? ` of ${p.total}` : ''} records, {p.pages ?? 0} page{p.pages === 1 ? '' : 's'}{p.done ? ' — done' : ''}
              </Text>
            </Group>
            <Progress
              value={p.done || p.total ? percent : 100}
              striped={!p.done}
              animated={!p.done && RUNNING.has(state)}
              color={p.done ? 'green' : 'blue'}
              aria-label={`${words(resource)}: ${p.done ? 'done' : `${records} records`}`}
            />
            {extra.length > 0 && (
              <Text size="xs" c={p.waiting || p.unmapped ? undefined : 'dimmed'} data-testid={`pull-counters-${resource}`}>
                {extra.map(([k, v]) => `${v} ${COUNTER_WORDS[k] ?? words(k)}`).join(' · ')}
              </Text>
            )}
            {typeof p.status === 'string' && p.status && !p.done && (
              <Text size="xs" c="dimmed">
                {p.status}
              </Text>
            )}
          </Stack>
        )
      })}
      {lastError && (
        <Alert color={state === 'failed' || state === 'needs_attention' ? 'red' : 'yellow'} title={state === 'retrying' ? 'Will retry' : 'The pull stopped'}>
          {lastError.message}
        </Alert>
      )}
      {problems.length > 0 && (
        <Table>
          <Table.Caption>Records not taken</Table.Caption>
          <Table.Tbody>
            {problems.map((p) => (
              <Table.Tr key={`${p.resource}-${p.externalId}`}>
                <Table.Td>{p.resource}</Table.Td>
                <Table.Td className="cb-mono">{p.externalId}</Table.Td>
                <Table.Td>{p.message}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  )
}
