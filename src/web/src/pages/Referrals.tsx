import { Button, Group, NativeSelect, Stack, Table, Text, TextInput, Title } from '@mantine/core'
import { useInfiniteQuery, useQuery } from '@tanstack/react-query'
import { useState } from 'react'
import { api, unwrap } from '../api/client'
import type { ReferralFilter } from '../api/types'
import { ago } from '../components/format'
import { ReferralStatus } from '../components/referral'
import { Empty, ErrorAlert, Loading } from '../components/states'
import { Link, navigate, queryString, useLocation } from '../router'

const FILTERS = ['status', 'connectionId', 'q'] as const
type Filters = Partial<Record<(typeof FILTERS)[number], string>>

/** The CRM referral inbox (F3, F20): referrals imported from referral networks, newest change first. */
export function ReferralsPage() {
  const { query } = useLocation()
  const applied: Filters = Object.fromEntries(FILTERS.flatMap((k) => (query.get(k) ? [[k, query.get(k)!]] : [])))
  const connections = useQuery({ queryKey: ['connections'], queryFn: () => unwrap(api.GET('/api/connections')) })
  const connectors = useQuery({ queryKey: ['connectors'], queryFn: () => unwrap(api.GET('/api/connectors')) })
  // The networks referrals come from: connections whose connector maps into CRM referrals.
  const referralKinds = new Set((connectors.data?.items ?? []).filter((c) => c.crmRecord === 'referral').map((c) => c.kind))
  const networks = (connections.data?.items ?? []).filter((c) => referralKinds.has(c.connector))
  const names = new Map((connections.data?.items ?? []).map((c) => [c.id, c.name]))
  const referrals = useInfiniteQuery({
    queryKey: ['referrals', applied],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) => unwrap(api.GET('/api/referrals', { params: { query: { ...(applied as ReferralFilter), limit: 50, ...(pageParam ? { cursor: pageParam } : {}) } } })),
    getNextPageParam: (last) => last.next ?? undefined,
    refetchInterval: 10_000,
  })
  const items = referrals.data?.pages.flatMap((p) => p.items) ?? []
  const filtered = Object.keys(applied).length > 0
  return (
    <Stack>
      <Title order={2}>Referrals</Title>
      <FilterForm key={JSON.stringify(applied)} applied={applied} networks={networks} />
      {referrals.isPending ? (
        <Loading />
      ) : referrals.isError ? (
        <ErrorAlert error={referrals.error} title="Could not load the referrals" />
      ) : items.length === 0 ? (
        <Empty>{filtered ? 'No referral matches.' : 'No referrals yet. They arrive from a referral network connection (Caredove) once it sends its events to the hub.'}</Empty>
      ) : (
        <div className="cb-table-wrap">
          <Table striped highlightOnHover data-testid="referrals">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Registrant</Table.Th>
                <Table.Th>Requester</Table.Th>
                <Table.Th>In the CRM</Table.Th>
                <Table.Th>In the network</Table.Th>
                <Table.Th>From</Table.Th>
                <Table.Th>Goes to</Table.Th>
                <Table.Th>Changed</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((r) => (
                <Table.Tr key={r.id} data-testid="referral-row">
                  <Table.Td>
                    <Link to={`/referrals/${r.id}`}>{r.registrantName || '(no name)'}</Link>
                    <Text size="xs" c="dimmed" className="cb-mono">
                      {r.externalId}
                    </Text>
                  </Table.Td>
                  <Table.Td>{r.requesterOrganization ?? '—'}</Table.Td>
                  <Table.Td>
                    <ReferralStatus status={r.status} />
                  </Table.Td>
                  <Table.Td>{[r.sourceStatus, r.sourceSubStatus].filter(Boolean).join(' · ') || '—'}</Table.Td>
                  <Table.Td>{names.get(r.sourceConnectionId) ?? '—'}</Table.Td>
                  <Table.Td>{r.destination === 'crms' ? `CRMS${r.destinationConnectionId && names.get(r.destinationConnectionId) ? ` (${names.get(r.destinationConnectionId)})` : ''}` : 'CRM inbox'}</Table.Td>
                  <Table.Td>{ago(r.updatedAt)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </div>
      )}
      {referrals.hasNextPage && (
        <Button variant="default" onClick={() => void referrals.fetchNextPage()} loading={referrals.isFetchingNextPage}>
          Load more
        </Button>
      )}
    </Stack>
  )
}

function FilterForm({ applied, networks }: { applied: Filters; networks: { id: string; name: string }[] }) {
  const [filters, setFilters] = useState<Filters>(applied)
  const set = (key: keyof Filters) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) => setFilters({ ...filters, [key]: e.currentTarget.value })
  return (
    <form
      role="search"
      aria-label="Filter the referrals"
      onSubmit={(event) => {
        event.preventDefault()
        navigate(`/referrals${queryString({ ...filters, q: filters.q?.trim() })}`, { replace: true })
      }}
    >
      <Group align="end" gap="sm">
        <NativeSelect
          label="Status"
          data={[
            { value: '', label: 'Any' },
            { value: 'open', label: 'Open' },
            { value: 'accepted', label: 'Accepted' },
            { value: 'converted', label: 'Converted to a patient' },
          ]}
          value={filters.status ?? ''}
          onChange={set('status')}
        />
        <NativeSelect label="Network connection" data={[{ value: '', label: 'All' }, ...networks.map((c) => ({ value: c.id, label: c.name }))]} value={filters.connectionId ?? ''} onChange={set('connectionId')} />
        <TextInput label="Search" description="Registrant, requester organization or referral id" value={filters.q ?? ''} onChange={set('q')} w={320} />
        <Button type="submit">Filter</Button>
        <Button variant="subtle" onClick={() => navigate('/referrals', { replace: true })}>
          Clear
        </Button>
      </Group>
    </form>
  )
}
