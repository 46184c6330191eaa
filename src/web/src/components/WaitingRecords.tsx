import { Badge, Button, Group, Stack, Table, Text, Title } from '@mantine/core'
import { useInfiniteQuery } from '@tanstack/react-query'
import { api, unwrap } from '../api/client'
import { Link } from '../router'
import { ago } from './format'
import { ErrorAlert, Loading } from './states'

/**
 * Records the EMR holds that a pull does not take yet, with what each still lacks (F15: KIPU
 * pulls a patient once admitted). Connectors that do not gate their pulls never list any, so
 * the section stays hidden until there is something to show.
 */
export function WaitingRecords({ connectionId, systemTitle }: { connectionId: string; systemTitle: string }) {
  const waiting = useInfiniteQuery({
    queryKey: ['waiting', connectionId],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) => unwrap(api.GET('/api/connections/{id}/waiting', { params: { path: { id: connectionId }, query: { limit: 50, ...(pageParam ? { cursor: pageParam } : {}) } } })),
    getNextPageParam: (last) => last.next ?? undefined,
  })
  const items = waiting.data?.pages.flatMap((p) => p.items) ?? []
  if (waiting.isSuccess && items.length === 0) return null
  return (
    <Stack gap="xs" data-testid="waiting">
      <Title order={3} size="h4">
        Waiting in {systemTitle}
      </Title>
      <Text size="sm" c="dimmed">
        Records {systemTitle} holds that pulls leave alone until they have what is listed (e.g. an admission): they are pulled by the first pull after that.
      </Text>
      {waiting.isPending ? (
        <Loading />
      ) : waiting.isError ? (
        <ErrorAlert error={waiting.error} title="Could not load the waiting records" />
      ) : (
        <div className="cb-table-wrap">
          <Table>
            <Table.Caption>
              {items.length}
              {waiting.hasNextPage ? '+' : ''} waiting
            </Table.Caption>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Record</Table.Th>
                <Table.Th>{systemTitle} id</Table.Th>
                <Table.Th>Still missing</Table.Th>
                <Table.Th>CRM patient</Table.Th>
                <Table.Th>First seen</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((w) => (
                <Table.Tr key={w.externalId} data-testid="waiting-row">
                  <Table.Td>{w.label}</Table.Td>
                  <Table.Td className="cb-mono">{w.externalId}</Table.Td>
                  <Table.Td>
                    <Group gap={4}>
                      {w.missing.map((m) => (
                        <Badge key={m} color="yellow" variant="light">
                          {m}
                        </Badge>
                      ))}
                    </Group>
                  </Table.Td>
                  <Table.Td>{w.linkedPatientId ? <Link to={`/patients/${w.linkedPatientId}`}>linked patient</Link> : 'not linked'}</Table.Td>
                  <Table.Td>{ago(w.firstSeenAt)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </div>
      )}
      {waiting.hasNextPage && (
        <Button variant="default" onClick={() => void waiting.fetchNextPage()} loading={waiting.isFetchingNextPage}>
          Load more
        </Button>
      )}
    </Stack>
  )
}
