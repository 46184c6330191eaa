import { Button, Group, NativeSelect, Stack, Table, Text, TextInput, Title } from '@mantine/core'
import { useInfiniteQuery, useQuery } from '@tanstack/react-query'
import { useState } from 'react'
import { api, unwrap } from '../api/client'
import type { ExchangeFilter } from '../api/types'
import { ExchangeStatus, when } from '../components/format'
import { Timeline } from '../components/Timeline'
import { Empty, ErrorAlert, Loading } from '../components/states'
import { Link, navigate, queryString, useLocation } from '../router'

const FILTERS = ['connectionId', 'direction', 'status', 'patientId', 'referralId', 'since', 'until'] as const
type Filters = Partial<Record<(typeof FILTERS)[number], string>>

/** The integration log (F18): filter by connection, direction, status, patient, referral and time. */
export function LogPage() {
  const { query } = useLocation()
  const applied: Filters = Object.fromEntries(FILTERS.flatMap((k) => (query.get(k) ? [[k, query.get(k)!]] : [])))
  const connections = useQuery({ queryKey: ['connections'], queryFn: () => unwrap(api.GET('/api/connections')) })
  const names = new Map((connections.data?.items ?? []).map((c) => [c.id, c.name]))
  const log = useInfiniteQuery({
    queryKey: ['exchanges', applied],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) => unwrap(api.GET('/api/exchanges', { params: { query: { ...(applied as ExchangeFilter), limit: 50, ...(pageParam ? { cursor: pageParam } : {}) } } })),
    getNextPageParam: (last) => last.next ?? undefined,
    refetchInterval: 10_000,
  })
  const items = log.data?.pages.flatMap((p) => p.items) ?? []
  return (
    <Stack>
      <Title order={2}>Integration log</Title>
      <Timeline connectionId={applied.connectionId} />
      <FilterForm key={JSON.stringify(applied)} applied={applied} connections={connections.data?.items ?? []} />
      {log.isPending ? (
        <Loading />
      ) : log.isError ? (
        <ErrorAlert error={log.error} title="Could not load the log" />
      ) : items.length === 0 ? (
        <Empty>No exchanges match.</Empty>
      ) : (
        <div className="cb-table-wrap">
          <Table striped highlightOnHover data-testid="exchanges">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>When</Table.Th>
                <Table.Th>Connection</Table.Th>
                <Table.Th>Direction</Table.Th>
                <Table.Th>Operation</Table.Th>
                <Table.Th>Result</Table.Th>
                <Table.Th>Message</Table.Th>
                <Table.Th>Attempt</Table.Th>
                <Table.Th>Duration</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((e) => (
                <Table.Tr key={e.id} data-testid="exchange-row">
                  <Table.Td>
                    <Link to={`/log/${e.id}`}>{when(e.startedAt)}</Link>
                  </Table.Td>
                  <Table.Td>{(e.connectionId && names.get(e.connectionId)) ?? e.connector}</Table.Td>
                  <Table.Td>{e.direction}</Table.Td>
                  <Table.Td>{e.operation}</Table.Td>
                  <Table.Td>
                    <ExchangeStatus status={e.status} httpStatus={e.httpStatus} />
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" lineClamp={2}>
                      {e.message ?? ''}
                    </Text>
                  </Table.Td>
                  <Table.Td>{e.attempts}</Table.Td>
                  <Table.Td>{Math.round(e.durationMs)} ms</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </div>
      )}
      {log.hasNextPage && (
        <Button variant="default" onClick={() => void log.fetchNextPage()} loading={log.isFetchingNextPage}>
          Load more
        </Button>
      )}
    </Stack>
  )
}

function FilterForm({ applied, connections }: { applied: Filters; connections: { id: string; name: string }[] }) {
  const [filters, setFilters] = useState<Filters>(applied)
  const set = (key: keyof Filters) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) => setFilters({ ...filters, [key]: e.currentTarget.value })
  return (
    <form
      aria-label="Filter the log"
      onSubmit={(event) => {
        event.preventDefault()
        navigate(`/log${queryString(filters)}`, { replace: true })
      }}
    >
      <Group align="end" gap="sm">
        <NativeSelect label="Connection" data={[{ value: '', label: 'All' }, ...connections.map((c) => ({ value: c.id, label: c.name }))]} value={filters.connectionId ?? ''} onChange={set('connectionId')} />
        <NativeSelect label="Direction" data={[{ value: '', label: 'Both' }, { value: 'outbound', label: 'Outbound' }, { value: 'inbound', label: 'Inbound' }]} value={filters.direction ?? ''} onChange={set('direction')} />
        <NativeSelect label="Status" data={[{ value: '', label: 'Any' }, { value: 'ok', label: 'OK' }, { value: 'error', label: 'Error' }]} value={filters.status ?? ''} onChange={set('status')} />
        <TextInput label="Patient id" value={filters.patientId ?? ''} onChange={set('patientId')} w={300} />
        <TextInput label="Referral id" value={filters.referralId ?? ''} onChange={set('referralId')} w={300} />
        <TextInput label="From" type="datetime-local" value={toLocal(filters.since)} onChange={(e) => setFilters({ ...filters, since: fromLocal(e.currentTarget.value) })} />
        <TextInput label="Until" type="datetime-local" value={toLocal(filters.until)} onChange={(e) => setFilters({ ...filters, until: fromLocal(e.currentTarget.value) })} />
        <Button type="submit">Filter</Button>
        <Button variant="subtle" onClick={() => navigate('/log', { replace: true })}>
          Clear
        </Button>
      </Group>
    </form>
  )
}

/** `<input type=datetime-local>` speaks local time without a zone; the API speaks ISO 8601. */
function toLocal(iso: string | undefined): string {
  if (!iso) return ''
  const d = new Date(iso)
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16)
}
function fromLocal(local: string): string {
  return local ? new Date(local).toISOString() : ''
}
