import { Button, Group, SegmentedControl, Stack, Table, Text, Title } from '@mantine/core'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { api, unwrap } from '../api/client'
import type { LinkEntry, ReferralDelivery } from '../api/types'
import { LinkState, when } from '../components/format'
import { Empty, ErrorAlert, QueryView } from '../components/states'
import { Link } from '../router'
import { useIsAdmin } from '../session'

type AttentionState = 'needs_attention' | 'failed'

/** What waits for a person (F17): the EMR's message, and Replay once the data or mapping is fixed. */
export function NeedsAttentionPage() {
  const [state, setState] = useState<AttentionState>('needs_attention')
  const links = useQuery({ queryKey: ['links', state], queryFn: () => unwrap(api.GET('/api/links', { params: { query: { state, limit: 200 } } })), refetchInterval: 10_000 })
  // Referrals a destination (CRMS) refused or could not take: its message, and Replay after the fix.
  const deliveries = useQuery({
    queryKey: ['referral-deliveries', state],
    queryFn: () => unwrap(api.GET('/api/referral-deliveries', { params: { query: { state, limit: 200 } } })),
    refetchInterval: 10_000,
  })
  return (
    <Stack>
      <Title order={2}>Needs attention</Title>
      <SegmentedControl
        aria-label="Which links"
        value={state}
        onChange={(v) => setState(v as AttentionState)}
        data={[
          { value: 'needs_attention', label: 'Needs attention (refused by the EMR)' },
          { value: 'failed', label: 'Failed (retries exhausted)' },
        ]}
      />
      <Title order={3} size="h4">
        Patients
      </Title>
      <QueryView query={links}>
        {({ items }) => (
          <AttentionTable
            testId="attention"
            heads={{ record: 'Patient', system: 'EMR', message: "The EMR's message" }}
            empty="Nothing waits for a person."
            refresh="links"
            rows={items.map((l: LinkEntry) => ({ key: `${l.patientId}-${l.connectionId}`, label: l.patientName, to: `/patients/${l.patientId}`, ...l }))}
          />
        )}
      </QueryView>
      <Title order={3} size="h4">
        Referral deliveries
      </Title>
      <QueryView query={deliveries}>
        {({ items }) => (
          <AttentionTable
            testId="attention-referrals"
            heads={{ record: 'Referral', system: 'Destination', message: 'Its message' }}
            empty="No referral delivery waits for a person."
            refresh="referral-deliveries"
            rows={items.map((d: ReferralDelivery) => ({ key: `${d.referralId}-${d.connectionId}`, label: d.registrantName || d.externalReferralId, to: `/referrals/${d.referralId}`, ...d }))}
          />
        )}
      </QueryView>
    </Stack>
  )
}

/** One record's link to one system that waits for a person, whatever the record type. */
interface AttentionItem {
  key: string
  label: string
  to: string
  connector: string
  state: LinkEntry['state']
  message: string | null
  updatedAt: string
  exchangeId: string | null
}

function AttentionTable({ testId, heads, empty, refresh, rows }: { testId: string; heads: { record: string; system: string; message: string }; empty: string; refresh: string; rows: AttentionItem[] }) {
  if (rows.length === 0) return <Empty>{empty}</Empty>
  return (
    <Table data-testid={testId}>
      <Table.Thead>
        <Table.Tr>
          <Table.Th>{heads.record}</Table.Th>
          <Table.Th>{heads.system}</Table.Th>
          <Table.Th>State</Table.Th>
          <Table.Th>{heads.message}</Table.Th>
          <Table.Th>Since</Table.Th>
          <Table.Th>
            <span className="sr-only">Actions</span>
          </Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {rows.map((row) => (
          <AttentionRow key={row.key} item={row} refresh={refresh} />
        ))}
      </Table.Tbody>
    </Table>
  )
}

function AttentionRow({ item, refresh }: { item: AttentionItem; refresh: string }) {
  const admin = useIsAdmin()
  const client = useQueryClient()
  const replay = useMutation({
    mutationFn: () => unwrap(api.POST('/api/exchanges/{id}/replay', { params: { path: { id: item.exchangeId! } } })),
    onSuccess: () => setTimeout(() => void client.invalidateQueries({ queryKey: [refresh] }), 1000),
  })
  return (
    <Table.Tr>
      <Table.Td>
        <Link to={item.to}>{item.label}</Link>
      </Table.Td>
      <Table.Td>{item.connector}</Table.Td>
      <Table.Td>
        <LinkState state={item.state} />
      </Table.Td>
      <Table.Td>
        <Text size="sm">{item.message}</Text>
        {replay.isError && <ErrorAlert error={replay.error} />}
        {replay.isSuccess && (
          <Text size="sm" c="green" role="status">
            Replay queued.
          </Text>
        )}
      </Table.Td>
      <Table.Td>{when(item.updatedAt)}</Table.Td>
      <Table.Td>
        <Group gap="xs" wrap="nowrap">
          {item.exchangeId && <Link to={`/log/${item.exchangeId}`}>Exchange</Link>}
          {admin && item.exchangeId && (
            <Button size="xs" onClick={() => replay.mutate()} loading={replay.isPending} disabled={replay.isSuccess}>
              Replay
            </Button>
          )}
        </Group>
      </Table.Td>
    </Table.Tr>
  )
}
