import { Button, Group, Stack, Table, TextInput, Title } from '@mantine/core'
import { useInfiniteQuery } from '@tanstack/react-query'
import { useState } from 'react'
import { api, unwrap } from '../api/client'
import { Empty, ErrorAlert, Loading } from '../components/states'
import { Link, navigate, queryString, useLocation } from '../router'

/** Patients, newest first; search by name, email or phone digits. */
export function PatientsPage() {
  const { query } = useLocation()
  const q = query.get('q') ?? ''
  const [search, setSearch] = useState(q)
  const patients = useInfiniteQuery({
    queryKey: ['patients', q],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) => unwrap(api.GET('/api/patients', { params: { query: { limit: 50, ...(q ? { q } : {}), ...(pageParam ? { cursor: pageParam } : {}) } } })),
    getNextPageParam: (last) => last.next ?? undefined,
  })
  const items = patients.data?.pages.flatMap((p) => p.items) ?? []
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Patients</Title>
        <Button onClick={() => navigate('/patients/new')}>New patient</Button>
      </Group>
      <form
        role="search"
        onSubmit={(event) => {
          event.preventDefault()
          navigate(`/patients${queryString({ q: search.trim() })}`, { replace: true })
        }}
      >
        <Group align="end">
          <TextInput label="Find a patient" description="Name, email, or 4+ digits of a phone" value={search} onChange={(e) => setSearch(e.currentTarget.value)} w={360} />
          <Button type="submit" variant="default">
            Search
          </Button>
        </Group>
      </form>
      {patients.isPending ? (
        <Loading />
      ) : patients.isError ? (
        <ErrorAlert error={patients.error} title="Could not load patients" />
      ) : items.length === 0 ? (
        <Empty>{q ? 'No patient matches.' : 'No patients yet.'}</Empty>
      ) : (
        <Table striped highlightOnHover data-testid="patients">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Date of birth</Table.Th>
              <Table.Th>Phone</Table.Th>
              <Table.Th>Email</Table.Th>
              <Table.Th>Program</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((p) => (
              <Table.Tr key={p.id}>
                <Table.Td>
                  <Link to={`/patients/${p.id}`}>
                    {p.lastName}, {p.firstName}
                  </Link>
                </Table.Td>
                <Table.Td>{p.dob ?? '—'}</Table.Td>
                <Table.Td>{p.phone ?? '—'}</Table.Td>
                <Table.Td>{p.email ?? '—'}</Table.Td>
                <Table.Td>{p.programId ?? '—'}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {patients.hasNextPage && (
        <Button variant="default" onClick={() => void patients.fetchNextPage()} loading={patients.isFetchingNextPage}>
          Load more
        </Button>
      )}
    </Stack>
  )
}
