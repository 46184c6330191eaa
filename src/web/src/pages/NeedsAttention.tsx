import { Button, Group, SegmentedControl, Stack, Table, Text, Title } from '@mantine/core'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { api, unwrap } from '../api/client'
import type { LinkEntry, ReferralDelivery } from '../api/types'
import { LinkState, when } from '../components/format'
import { Empty, ErrorAlert, QueryView } from '../components/states'
import { Link } from '../router'
import { useIsAdmin } from '../session'

/** What waits for a person (F17): the EMR's message, and Replay once the data or mapping is fixed. */
export function NeedsAttentionPage() {
  const [state, setState] = useState<'needs_attention' | 'failed'>('needs_attention')
  const links = useQuery({ queryKey: ['links', state], queryFn: () => unwrap(api.GET('/api/links', { params: { query: { state, limit: 200 } } })), refetchInterval: 10_000 })
  return (
    <Stack>
      <Title order={2}>Needs attention</Title>
      <SegmentedControl
        aria-label="Which links"
        value={state}
        onChange={(v) => setState(v as typeof state)}
        data={[
          { value: 'needs_attention', label: 'Needs attention (refused by the EMR)' },
          { value: 'failed', label: 'Failed (retries exhausted)' },
        ]}
      />
      <Title order={3} size="h4">
        Patients
      </Title>
      <QueryView query={links}>
        {({ items }) =>
          items.length === 0 ? (
            <Empty>Nothing waits for a person.</Empty>
          ) : (
            <Table data-testid="attention">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Patient</Table.Th>
                  <Table.Th>EMR</Table.Th>
                  <Table.Th>State</Table.Th>
                  <Table.Th>The EMR's message</Table.Th>
                  <Table.Th>Since</Table.Th>
                  <Table.Th>
                    <span className="sr-only">Actions</span>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((l) => (
                  <AttentionRow key={`${l.patientId}-${l.connectionId}`} link={l} />
                ))}
              </Table.Tbody>
            </Table>
          )
        }
      </QueryView>
      <ReferralDeliveries state={state} />
    </Stack>
  )
}

/** Referrals a destination (CRMS) refused or could not take: its message, and Replay after the fix. */
function ReferralDeliveries({ state }: { state: 'needs_attention' | 'failed' }) {
  const deliveries = useQuery({
    queryKey: ['referral-deliveries', state],
    queryFn: () => unwrap(api.GET('/api/referral-deliveries', { params: { query: { state, limit: 200 } } })),
    refetchInterval: 10_000,
  })
  return (
    <Stack gap="xs">
      <Title order={3} size="h4">
        Referral deliveries
      </Title>
      <QueryView query={deliveries}>
        {({ items }) =>
          items.length === 0 ? (
            <Empty>No referral delivery waits for a person.</Empty>
          ) : (
            <Table data-testid="attention-referrals">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Referral</Table.Th>
                  <Table.Th>Destination</Table.Th>
                  <Table.Th>State</Table.Th>
                  <Table.Th>Its message</Table.Th>
                  <Table.Th>Since</Table.Th>
                  <Table.Th>
                    <span className="sr-only">Actions</span>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((d) => (
                  <DeliveryRow key={`${d.referralId}-${d.connectionId}`} delivery={d} />
                ))}
              </Table.Tbody>
            </Table>
          )
        }
      </QueryView>
    </Stack>
  )
}

function DeliveryRow({ delivery }: { delivery: ReferralDelivery }) {
  const admin = useIsAdmin()
  const client = useQueryClient()
  const replay = useMutation({
    mutationFn: () => unwrap(api.POST('/api/exchanges/{id}/replay', { params: { path: { id: delivery.exchangeId! } } })),
    onSuccess: () => setTimeout(() => void client.invalidateQueries({ queryKey: ['referral-deliveries'] }), 1000),
  })
  return (
    <Table.Tr>
      <Table.Td>
        <Link to={`/referrals/${delivery.referralId}`}>{delivery.registrantName || delivery.externalReferralId}</Link>
      </Table.Td>
      <Table.Td>{delivery.connector}</Table.Td>
      <Table.Td>
        <LinkState state={delivery.state} />
      </Table.Td>
      <Table.Td>
        <Text size="sm">{delivery.message}</Text>
        {replay.isError && <ErrorAlert error={replay.error} />}
        {replay.isSuccess && (
          <Text size="sm" c="green" role="status">
            Replay queued.
          </Text>
        )}
      </Table.Td>
      <Table.Td>{when(delivery.updatedAt)}</Table.Td>
      <Table.Td>
        <Group gap="xs" wrap="nowrap">
          {delivery.exchangeId && <Link to={`/log/${delivery.exchangeId}`}>Exchange</Link>}
          {admin && delivery.exchangeId && (
            <Button size="xs" onClick={() => replay.mutate()} loading={replay.isPending} disabled={replay.isSuccess}>
              Replay
            </Button>
          )}
        </Group>
      </Table.Td>
    </Table.Tr>
  )
}

function AttentionRow({ link }: { link: LinkEntry }) {
  const admin = useIsAdmin()
  const client = useQueryClient()
  const replay = useMutation({
    mutationFn: () => unwrap(api.POST('/api/exchanges/{id}/replay', { params: { path: { id: link.exchangeId! } } })),
    onSuccess: () => setTimeout(() => void client.invalidateQueries({ queryKey: ['links'] }), 1000),
  })
  return (
    <Table.Tr>
      <Table.Td>
        <Link to={`/patients/${link.patientId}`}>{link.patientName}</Link>
      </Table.Td>
      <Table.Td>{link.connector}</Table.Td>
      <Table.Td>
        <LinkState state={link.state} />
      </Table.Td>
      <Table.Td>
        <Text size="sm">{link.message}</Text>
        {replay.isError && <ErrorAlert error={replay.error} />}
        {replay.isSuccess && (
          <Text size="sm" c="green" role="status">
            Replay queued.
          </Text>
        )}
      </Table.Td>
      <Table.Td>{when(link.updatedAt)}</Table.Td>
      <Table.Td>
        <Group gap="xs" wrap="nowrap">
          {link.exchangeId && <Link to={`/log/${link.exchangeId}`}>Exchange</Link>}
          {admin && link.exchangeId && (
            <Button size="xs" onClick={() => replay.mutate()} loading={replay.isPending} disabled={replay.isSuccess}>
              Replay
            </Button>
          )}
        </Group>
      </Table.Td>
    </Table.Tr>
  )
}
