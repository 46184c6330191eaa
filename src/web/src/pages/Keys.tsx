import { Alert, Badge, Button, Code, CopyButton, Group, NativeSelect, Stack, Table, TextInput, Title } from '@mantine/core'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { api, unwrap } from '../api/client'
import type { ApiKey } from '../api/types'
import { when } from '../components/format'
import { AdminOnly, Empty, ErrorAlert, QueryView } from '../components/states'

/** API keys (F26): create with a role (the key is shown once), list, revoke. */
export function KeysPage() {
  return (
    <AdminOnly>
      <Keys />
    </AdminOnly>
  )
}

function Keys() {
  const client = useQueryClient()
  const keys = useQuery({ queryKey: ['keys'], queryFn: () => unwrap(api.GET('/api/keys')) })
  const [name, setName] = useState('')
  const [role, setRole] = useState<'admin' | 'staff'>('staff')
  const create = useMutation({
    mutationFn: () => unwrap(api.POST('/api/keys', { body: { name, role } })),
    onSuccess: () => {
      setName('')
      void client.invalidateQueries({ queryKey: ['keys'] })
    },
  })
  return (
    <Stack>
      <Title order={2}>API keys</Title>
      <form
        onSubmit={(event) => {
          event.preventDefault()
          create.mutate()
        }}
      >
        <Group align="end">
          <TextInput label="Name" description="Who or what uses the key" required value={name} onChange={(e) => setName(e.currentTarget.value)} />
          <NativeSelect
            label="Role"
            data={[
              { value: 'staff', label: 'Staff: patients and accounts, log with PHI redacted' },
              { value: 'admin', label: 'Admin: everything' },
            ]}
            value={role}
            onChange={(e) => setRole(e.currentTarget.value as 'admin' | 'staff')}
          />
          <Button type="submit" loading={create.isPending}>
            Create key
          </Button>
        </Group>
      </form>
      {create.isError && <ErrorAlert error={create.error} />}
      {create.data && (
        <Alert color="green" title={`Key "${create.data.name}" created: copy it now, it is not shown again`} data-testid="new-key">
          <Group>
            <Code data-testid="new-key-value">{create.data.key}</Code>
            <CopyButton value={create.data.key}>{({ copied, copy }) => <Button size="xs" variant="default" onClick={copy}>{copied ? 'Copied' : 'Copy'}</Button>}</CopyButton>
          </Group>
        </Alert>
      )}
      <QueryView query={keys}>
        {({ items }) =>
          items.length === 0 ? (
            <Empty>No keys.</Empty>
          ) : (
            <Table data-testid="keys">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Role</Table.Th>
                  <Table.Th>Created</Table.Th>
                  <Table.Th>State</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((k) => (
                  <KeyRow key={k.id} apiKey={k} />
                ))}
              </Table.Tbody>
            </Table>
          )
        }
      </QueryView>
    </Stack>
  )
}

function KeyRow({ apiKey }: { apiKey: ApiKey }) {
  const client = useQueryClient()
  const [confirming, setConfirming] = useState(false)
  const revoke = useMutation({
    mutationFn: () => unwrap(api.DELETE('/api/keys/{id}', { params: { path: { id: apiKey.id } } })),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['keys'] }),
  })
  return (
    <Table.Tr>
      <Table.Td>{apiKey.name}</Table.Td>
      <Table.Td>
        <Badge variant="light" color={apiKey.role === 'admin' ? 'blue' : 'gray'}>
          {apiKey.role}
        </Badge>
      </Table.Td>
      <Table.Td>{when(apiKey.createdAt)}</Table.Td>
      <Table.Td>
        {apiKey.revokedAt ? (
          `revoked ${when(apiKey.revokedAt)}`
        ) : confirming ? (
          <Group gap="xs">
            <Button size="xs" color="red" onClick={() => revoke.mutate()} loading={revoke.isPending}>
              Revoke now
            </Button>
            <Button size="xs" variant="subtle" onClick={() => setConfirming(false)}>
              Keep it
            </Button>
          </Group>
        ) : (
          <Button size="xs" variant="default" onClick={() => setConfirming(true)}>
            Revoke…
          </Button>
        )}
        {revoke.isError && <ErrorAlert error={revoke.error} />}
      </Table.Td>
    </Table.Tr>
  )
}
