import { Button, Group, Stack, Table, TextInput, Title } from '@mantine/core'
import { useInfiniteQuery } from '@tanstack/react-query'
import { useState } from 'react'
import { api, unwrap } from '../api/client'
import { when } from '../components/format'
import { AdminOnly, Empty, ErrorAlert, Loading } from '../components/states'

/** The audit trail (F26): who changed settings and who viewed PHI. */
export function AuditPage() {
  return (
    <AdminOnly>
      <Audit />
    </AdminOnly>
  )
}

function Audit() {
  const [action, setAction] = useState('')
  const [applied, setApplied] = useState('')
  const audit = useInfiniteQuery({
    queryKey: ['audit', applied],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) => unwrap(api.GET('/api/audit', { params: { query: { limit: 100, ...(applied ? { action: applied } : {}), ...(pageParam ? { cursor: pageParam } : {}) } } })),
    getNextPageParam: (last) => last.next ?? undefined,
  })
  const items = audit.data?.pages.flatMap((p) => p.items) ?? []
  return (
    <Stack>
      <Title order={2}>Audit trail</Title>
      <form
        onSubmit={(event) => {
          event.preventDefault()
          setApplied(action.trim())
        }}
      >
        <Group align="end">
          <TextInput label="Action" placeholder="e.g. connection.update, patient.view" value={action} onChange={(e) => setAction(e.currentTarget.value)} />
          <Button type="submit" variant="default">
            Filter
          </Button>
        </Group>
      </form>
      {audit.isPending ? (
        <Loading />
      ) : audit.isError ? (
        <ErrorAlert error={audit.error} title="Could not load the audit trail" />
      ) : items.length === 0 ? (
        <Empty>No events.</Empty>
      ) : (
        <Table striped data-testid="audit">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>When</Table.Th>
              <Table.Th>Who</Table.Th>
              <Table.Th>Action</Table.Th>
              <Table.Th>Target</Table.Th>
              <Table.Th>Details</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((e) => (
              <Table.Tr key={e.id}>
                <Table.Td>{when(e.at)}</Table.Td>
                <Table.Td>{e.actor}</Table.Td>
                <Table.Td className="cb-mono">{e.action}</Table.Td>
                <Table.Td className="cb-mono">
                  {e.targetType}
                  {e.targetId ? ` ${e.targetId}` : ''}
                </Table.Td>
                <Table.Td className="cb-mono">{e.details ? JSON.stringify(e.details) : ''}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {audit.hasNextPage && (
        <Button variant="default" onClick={() => void audit.fetchNextPage()} loading={audit.isFetchingNextPage}>
          Load more
        </Button>
      )}
    </Stack>
  )
}
