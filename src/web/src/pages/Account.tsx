import { Stack, Text, Title } from '@mantine/core'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api, unwrap } from '../api/client'
import type { AccountInput } from '../api/types'
import { AccountForm } from '../components/AccountForm'
import { QueryView } from '../components/states'
import { Link } from '../router'

/** One parent account: edit it and its policies; its patients are pushed again after a change. */
export function AccountPage({ id }: { id: string }) {
  const client = useQueryClient()
  const account = useQuery({ queryKey: ['account', id], queryFn: () => unwrap(api.GET('/api/accounts/{id}', { params: { path: { id } } })) })
  const patients = useQuery({ queryKey: ['patients', { accountId: id }], queryFn: () => unwrap(api.GET('/api/patients', { params: { query: { accountId: id, limit: 100 } } })) })
  const save = useMutation({
    mutationFn: (body: AccountInput) => unwrap(api.PATCH('/api/accounts/{id}', { params: { path: { id } }, body })),
    onSuccess: (updated) => client.setQueryData(['account', id], updated),
  })
  return (
    <QueryView query={account}>
      {(a) => (
        <Stack maw={1000}>
          <Title order={2}>{a.name}</Title>
          <AccountForm key={a.version} initial={a} submitLabel="Save account" onSubmit={(body) => save.mutate(body)} busy={save.isPending} error={save.error} />
          {save.isSuccess && (
            <Text c="green" size="sm" role="status">
              Saved; its patients are pushed again.
            </Text>
          )}
          <Title order={3} size="h4">
            Patients of this account
          </Title>
          {patients.data?.items.length ? (
            patients.data.items.map((p) => (
              <Link key={p.id} to={`/patients/${p.id}`}>
                {p.firstName} {p.lastName}
              </Link>
            ))
          ) : (
            <Text c="dimmed">None.</Text>
          )}
        </Stack>
      )}
    </QueryView>
  )
}
