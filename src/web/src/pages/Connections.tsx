import { Badge, Button, Group, Menu, Stack, Table, Text, Title } from '@mantine/core'
import { useQuery } from '@tanstack/react-query'
import { api, unwrap } from '../api/client'
import type { ConnectionHealth } from '../api/types'
import { ago } from '../components/format'
import { AdminOnly, Empty, QueryView } from '../components/states'
import { Link, navigate } from '../router'

/** Every connection at a glance (Mirth's dashboard): health, queue, links by state, last pull. */
export function ConnectionsPage() {
  return (
    <AdminOnly>
      <Connections />
    </AdminOnly>
  )
}

function Connections() {
  const connections = useQuery({ queryKey: ['connections'], queryFn: () => unwrap(api.GET('/api/connections')) })
  const health = useQuery({ queryKey: ['connection-health'], queryFn: () => unwrap(api.GET('/api/connection-health')), refetchInterval: 5000 })
  const connectors = useQuery({ queryKey: ['connectors'], queryFn: () => unwrap(api.GET('/api/connectors')) })
  const referralKinds = new Set((connectors.data?.items ?? []).filter((c) => c.crmRecord === 'referral').map((c) => c.kind))
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Connections</Title>
        <Menu>
          <Menu.Target>
            <Button disabled={!connectors.data}>Add connection</Button>
          </Menu.Target>
          <Menu.Dropdown>
            {connectors.data?.items.map((c) => (
              <Menu.Item key={c.kind} onClick={() => navigate(`/connections/new?connector=${c.kind}`)}>
                {c.title}
              </Menu.Item>
            ))}
          </Menu.Dropdown>
        </Menu>
      </Group>
      <QueryView query={connections}>
        {({ items }) =>
          items.length === 0 ? (
            <Empty>No connections yet. Add one to start syncing with an EMR.</Empty>
          ) : (
            <div className="cb-table-wrap">
              <Table striped highlightOnHover>
                <Table.Caption>Health counts the last hour; the queue is jobs waiting for or held by a worker.</Table.Caption>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Connection</Table.Th>
                    <Table.Th>Status</Table.Th>
                    <Table.Th>Last success</Table.Th>
                    <Table.Th>Failures (1 h)</Table.Th>
                    <Table.Th>Queue</Table.Th>
                    <Table.Th>Links</Table.Th>
                    <Table.Th>Last pull</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {items.map((c) => {
                    const h = health.data?.items.find((x) => x.connectionId === c.id)
                    return (
                      <Table.Tr key={c.id} data-testid={`connection-row-${c.name}`}>
                        <Table.Td>
                          <Link to={`/connections/${c.id}`}>{c.name}</Link>
                          <Text size="xs" c="dimmed">
                            {c.connector}
                          </Text>
                        </Table.Td>
                        <Table.Td>
                          <Badge color={c.enabled ? 'green' : 'gray'} variant="light">
                            {c.enabled ? 'enabled' : 'disabled'}
                          </Badge>
                        </Table.Td>
                        <Table.Td>{h ? ago(h.lastSuccessAt) : '…'}</Table.Td>
                        <Table.Td>
                          {h ? (
                            <Text c={h.failuresLastHour > 0 ? 'red' : undefined} size="sm" title={h.lastFailure?.message ?? undefined}>
                              {h.failuresLastHour} of {h.exchangesLastHour}
                            </Text>
                          ) : (
                            '…'
                          )}
                        </Table.Td>
                        <Table.Td>{h ? queueText(h) : '…'}</Table.Td>
                        {/* A referral network links no patients: its work is in the referral inbox. */}
                        <Table.Td>{referralKinds.has(c.connector) ? <Link to={`/referrals?connectionId=${c.id}`}>Referrals</Link> : h ? <LinkCounts health={h} /> : '…'}</Table.Td>
                        <Table.Td>{h?.lastPull ? `${h.lastPull.state}, ${ago(h.lastPull.createdAt)}` : '—'}</Table.Td>
                      </Table.Tr>
                    )
                  })}
                </Table.Tbody>
              </Table>
            </div>
          )
        }
      </QueryView>
    </Stack>
  )
}

function queueText(h: ConnectionHealth): string {
  const { queued, running, retrying } = h.queue
  return `${queued + running + retrying}${retrying ? ` (${retrying} retrying)` : ''}`
}

function LinkCounts({ health }: { health: ConnectionHealth }) {
  const l = health.links
  return (
    <Group gap={4}>
      <Badge color="green" variant="light">
        {l.linked} linked
      </Badge>
      {l.partial + l.pending > 0 && <Badge color="gray" variant="light">{l.partial + l.pending} in progress</Badge>}
      {l.needs_attention > 0 && (
        <Badge color="orange" variant="light">
          {l.needs_attention} need attention
        </Badge>
      )}
      {l.failed > 0 && (
        <Badge color="red" variant="light">
          {l.failed} failed
        </Badge>
      )}
    </Group>
  )
}
