import { Alert, Badge, Button, Group, Stack, Table, Tabs, Text, Title } from '@mantine/core'
import { useMutation, useQuery } from '@tanstack/react-query'
import { api, unwrap } from '../api/client'
import type { ExchangeDetail } from '../api/types'
import { ExchangeStatus, JobState, when } from '../components/format'
import { ErrorAlert, Json, QueryView } from '../components/states'
import { Link } from '../router'
import { useIsAdmin } from '../session'

/** One exchange: what was sent and answered (PHI masked for staff), and Replay after a fix. */
export function ExchangePage({ id }: { id: string }) {
  const exchange = useQuery({ queryKey: ['exchange', id], queryFn: () => unwrap(api.GET('/api/exchanges/{id}', { params: { path: { id } } })) })
  return (
    <QueryView query={exchange}>
      {(e) => (
        <Stack>
          <Group justify="space-between">
            <Title order={2}>
              {e.connector} · {e.operation}
            </Title>
            <Link to="/log">Back to the log</Link>
          </Group>
          <Group gap="lg">
            <ExchangeStatus status={e.status} httpStatus={e.httpStatus} />
            <Text size="sm">{e.direction}</Text>
            <Text size="sm">{when(e.startedAt)}</Text>
            <Text size="sm">{Math.round(e.durationMs)} ms</Text>
            <Text size="sm">attempt {e.attempts}</Text>
            {e.redacted && (
              <Badge color="gray" data-testid="redacted">
                PHI redacted
              </Badge>
            )}
          </Group>
          {e.message && (
            <Alert color={e.status === 'ok' ? 'blue' : 'red'} title={e.status === 'ok' ? 'Note' : 'Error'} data-testid="exchange-message">
              {e.message}
            </Alert>
          )}
          <Text size="sm" className="cb-mono">
            {e.method} {e.url}
          </Text>
          {e.recordType === 'patient' && e.recordId && <Link to={`/patients/${e.recordId}`}>Open the patient</Link>}
          {e.recordType === 'referral' && e.recordId && <Link to={`/referrals/${e.recordId}`}>Open the referral</Link>}
          {e.replayOf && <Text size="sm">This run replays job {e.replayOf}.</Text>}
          {e.bodiesPrunedAt && <Text size="sm">Bodies were pruned on {when(e.bodiesPrunedAt)} (retention); the metadata is kept.</Text>}
          <Tabs defaultValue="request">
            <Tabs.List>
              <Tabs.Tab value="request">Request</Tabs.Tab>
              <Tabs.Tab value="response">Response</Tabs.Tab>
              {e.details && <Tabs.Tab value="details">Details</Tabs.Tab>}
            </Tabs.List>
            <Tabs.Panel value="request" pt="sm">
              <Json value={e.requestBody} label="Request body" />
            </Tabs.Panel>
            <Tabs.Panel value="response" pt="sm">
              <Json value={e.responseBody} label="Response body" />
            </Tabs.Panel>
            {e.details && (
              <Tabs.Panel value="details" pt="sm">
                <Json value={e.details} label="Details" />
              </Tabs.Panel>
            )}
          </Tabs>
          <Replay exchange={e} />
          {e.jobId && <JobExchanges jobId={e.jobId} current={e.id} />}
        </Stack>
      )}
    </QueryView>
  )
}

function Replay({ exchange }: { exchange: ExchangeDetail }) {
  const admin = useIsAdmin()
  const replay = useMutation({ mutationFn: () => unwrap(api.POST('/api/exchanges/{id}/replay', { params: { path: { id: exchange.id } } })) })
  const job = useQuery({
    queryKey: ['job', replay.data?.jobId],
    enabled: Boolean(replay.data),
    queryFn: () => unwrap(api.GET('/api/jobs/{id}', { params: { path: { id: replay.data!.jobId } } })),
    refetchInterval: (q) => (q.state.data && ['succeeded', 'failed', 'needs_attention'].includes(q.state.data.state) ? false : 500),
  })
  if (!admin || !exchange.jobId) return null
  return (
    <Stack gap="xs">
      <Group>
        <Button onClick={() => replay.mutate()} loading={replay.isPending} disabled={replay.isSuccess}>
          Replay
        </Button>
        <Text size="sm" c="dimmed">
          Runs this exchange's job again, with the data and mappings as they are now.
        </Text>
      </Group>
      {replay.isError && <ErrorAlert error={replay.error} />}
      {job.data && (
        <Group gap="xs" data-testid="replay-job">
          <Text size="sm">Replay:</Text>
          <JobState state={job.data.state} />
          {job.data.lastError && <Text size="sm">{job.data.lastError.message}</Text>}
          {exchange.recordType === 'patient' && exchange.recordId && <Link to={`/log?patientId=${exchange.recordId}`}>The patient's exchanges</Link>}
        </Group>
      )}
    </Stack>
  )
}

/** The job's other calls, in order: an operation and the messages nested in it. */
function JobExchanges({ jobId, current }: { jobId: string; current: string }) {
  const exchanges = useQuery({ queryKey: ['exchanges', { jobId }], queryFn: () => unwrap(api.GET('/api/exchanges', { params: { query: { jobId, limit: 100 } } })) })
  return (
    <Stack gap="xs">
      <Title order={3} size="h5">
        Every call of this job
      </Title>
      <QueryView query={exchanges}>
        {({ items }) => (
          <Table>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>When</Table.Th>
                <Table.Th>Operation</Table.Th>
                <Table.Th>Result</Table.Th>
                <Table.Th>Message</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {[...items].reverse().map((x) => (
                <Table.Tr key={x.id}>
                  <Table.Td>{x.id === current ? <Text fw={700}>{when(x.startedAt)}</Text> : <Link to={`/log/${x.id}`}>{when(x.startedAt)}</Link>}</Table.Td>
                  <Table.Td>{x.operation}</Table.Td>
                  <Table.Td>
                    <ExchangeStatus status={x.status} httpStatus={x.httpStatus} />
                  </Table.Td>
                  <Table.Td>{x.message}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </QueryView>
    </Stack>
  )
}
