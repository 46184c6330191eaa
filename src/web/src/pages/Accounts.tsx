import { Button, Card, Group, Stack, Table, Title } from '@mantine/core'
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { api, unwrap } from '../api/client'
import type { AccountInput } from '../api/types'
import { AccountForm } from '../components/AccountForm'
import { Empty, ErrorAlert, Loading } from '../components/states'
import { Link, navigate } from '../router'

/** Parent accounts with their insurance policies (F2). */
export function AccountsPage() {
  const client = useQueryClient()
  const [adding, setAdding] = useState(false)
  const accounts = useInfiniteQuery({
    queryKey: ['accounts'],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) => unwrap(api.GET('/api/accounts', { params: { query: { limit: 50, ...(pageParam ? { cursor: pageParam } : {}) } } })),
    getNextPageParam: (last) => last.next ?? undefined,
  })
  const create = useMutation({
    mutationFn: (body: AccountInput) => unwrap(api.POST('/api/accounts', { body })),
    onSuccess: (created) => {
      void client.invalidateQueries({ queryKey: ['accounts'] })
      navigate(`/accounts/${created.id}`)
    },
  })
  const items = accounts.data?.pages.flatMap((p) => p.items) ?? []
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Accounts</Title>
        {!adding && <Button onClick={() => setAdding(true)}>New account</Button>}
      </Group>
      {adding && (
        <Card withBorder>
          <AccountForm initial={null} submitLabel="Create account" onSubmit={(body) => create.mutate(body)} busy={create.isPending} error={create.error} />
        </Card>
      )}
      {accounts.isPending ? (
        <Loading />
      ) : accounts.isError ? (
        <ErrorAlert error={accounts.error} title="Could not load accounts" />
      ) : items.length === 0 ? (
        <Empty>No parent accounts yet.</Empty>
      ) : (
        <Table striped data-testid="accounts">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Email</Table.Th>
              <Table.Th>Phone</Table.Th>
              <Table.Th>Insurance</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((a) => (
              <Table.Tr key={a.id}>
                <Table.Td>
                  <Link to={`/accounts/${a.id}`}>{a.name}</Link>
                </Table.Td>
                <Table.Td>{a.email ?? '—'}</Table.Td>
                <Table.Td>{a.phone ?? '—'}</Table.Td>
                <Table.Td>{a.insurances.map((i) => `${i.payerCode} (${i.priority})`).join(', ') || '—'}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {accounts.hasNextPage && (
        <Button variant="default" onClick={() => void accounts.fetchNextPage()} loading={accounts.isFetchingNextPage}>
          Load more
        </Button>
      )}
    </Stack>
  )
}
