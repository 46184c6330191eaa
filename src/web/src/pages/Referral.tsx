import { Alert, Anchor, Badge, Button, Card, Group, Stack, Table, Text, TextInput, Title } from '@mantine/core'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { ApiError, api, unwrap } from '../api/client'
import type { Referral } from '../api/types'
import { LinkState, when, words } from '../components/format'
import { ReferralStatus, atPath, fileSize } from '../components/referral'
import { Empty, ErrorAlert, QueryView } from '../components/states'
import { Link } from '../router'

interface Appointment {
  start?: string | null
  durationMinutes?: number | null
  location?: string | null
  providerFullName?: string | null
  status?: string | null
  trigger?: string | null
  occurredAt?: string | null
}
interface Message {
  from?: string
  author?: string | null
  sentAt?: string | null
  text?: string
}

/** One referral (F3, F20–F24): what was mapped, the Referral Note, its files, appointments, messages and event history; accept or convert it. */
export function ReferralPage({ id }: { id: string }) {
  const referral = useQuery({ queryKey: ['referral', id], queryFn: () => unwrap(api.GET('/api/referrals/{id}', { params: { path: { id } } })) })
  return (
    <QueryView query={referral}>
      {(r) => (
        <Stack>
          <Group justify="space-between" align="start">
            <div>
              <Title order={2}>{r.registrantName || '(no name)'}</Title>
              <Group gap="xs">
                <ReferralStatus status={r.status} />
                <Text size="sm" c="dimmed">
                  Referral <span className="cb-mono">{r.externalId}</span>
                  {r.sourceStatus ? ` · in the network: ${[r.sourceStatus, r.sourceSubStatus].filter(Boolean).join(' · ')}` : ''}
                  {r.requesterOrganization ? ` · from ${r.requesterOrganization}` : ''}
                </Text>
              </Group>
            </div>
            <Group>
              <Link to="/referrals">Back to the inbox</Link>
              <Link to={`/log?referralId=${r.id}`}>Its exchanges in the log</Link>
            </Group>
          </Group>
          <Actions referral={r} />
          {r.delivery && <Delivery delivery={r.delivery} />}
          <Fields referral={r} />
          <Note note={r.note} />
          <Attachments referral={r} />
          <Appointments items={r.appointments as Appointment[]} />
          <Messages items={r.messages as Message[]} />
          <Events referral={r} />
        </Stack>
      )}
    </QueryView>
  )
}

function Actions({ referral }: { referral: Referral }) {
  const client = useQueryClient()
  const [accountName, setAccountName] = useState('')
  // Fields of the new patient the hub refused as the referral wrote them (e.g. a phone that is not one), corrected here.
  const [corrections, setCorrections] = useState<Record<string, string>>({})
  const settle = (updated: Referral) => {
    client.setQueryData(['referral', referral.id], updated)
    void client.invalidateQueries({ queryKey: ['referrals'] })
  }
  const accept = useMutation({ mutationFn: () => unwrap(api.POST('/api/referrals/{id}/accept', { params: { path: { id: referral.id } } })), onSuccess: settle })
  const convert = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/api/referrals/{id}/convert', {
          params: { path: { id: referral.id } },
          body: { ...(accountName.trim() ? { accountName: accountName.trim() } : {}), ...(Object.keys(corrections).length ? { patient: nested(corrections) } : {}) },
        }),
      ),
    onError: (error) => {
      // The hub names the patient field at fault: ask for it (kept empty until the user types).
      const field = error instanceof ApiError && error.field?.startsWith('patient.') ? error.field.slice('patient.'.length) : null
      if (field && !(field in corrections)) setCorrections({ ...corrections, [field]: '' })
    },
    onSuccess: (result) => {
      settle(result.referral)
      void client.invalidateQueries({ queryKey: ['patients'] })
    },
  })
  if (referral.status === 'converted') {
    return (
      <Alert color="teal" title="Converted to a patient" data-testid="converted">
        {referral.patientId ? (
          <>
            This referral became a CRM patient, sent to the EMRs like any other: <Link to={`/patients/${referral.patientId}`}>open the patient</Link>.
          </>
        ) : (
          'This referral became a CRM patient.'
        )}
      </Alert>
    )
  }
  return (
    <Card withBorder>
      <Stack gap="xs">
        {referral.status === 'accepted' ? (
          <Text size="sm">
            Accepted {referral.acceptedBy ? `in the ${referral.acceptedBy.toUpperCase()}` : ''} {when(referral.acceptedAt)}: later events from the network are recorded as ignored, with the reason.
          </Text>
        ) : (
          <Group justify="space-between">
            <Text size="sm">Open: the network's updates still apply. Accepting it stops them.</Text>
            <Button variant="default" onClick={() => accept.mutate()} loading={accept.isPending}>
              Accept
            </Button>
          </Group>
        )}
        <form
          onSubmit={(event) => {
            event.preventDefault()
            convert.mutate()
          }}
        >
          <Group align="end">
            <TextInput label="Parent account name" description="Leave empty to use the registrant's name" value={accountName} onChange={(e) => setAccountName(e.currentTarget.value)} w={320} />
            {Object.entries(corrections).map(([field, value]) => (
              <TextInput
                key={field}
                label={`Corrected ${words(field)}`}
                description="Replaces the referral's value in the new patient"
                value={value}
                onChange={(e) => setCorrections({ ...corrections, [field]: e.currentTarget.value })}
                w={260}
              />
            ))}
            <Button type="submit" loading={convert.isPending}>
              Convert to patient
            </Button>
          </Group>
        </form>
        {accept.isError && <ErrorAlert error={accept.error} title="Not accepted" />}
        {convert.isError && <ErrorAlert error={convert.error} title="Not converted" />}
      </Stack>
    </Card>
  )
}

/** `{"address.state": "ON"}` → `{address: {state: "ON"}}`; an emptied correction is sent as null. */
function nested(flat: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [path, raw] of Object.entries(flat)) {
    const parts = path.split('.')
    let at = out
    for (const part of parts.slice(0, -1)) at = (at[part] ??= {}) as Record<string, unknown>
    at[parts[parts.length - 1]!] = raw.trim() === '' ? null : raw.trim()
  }
  return out
}

function Delivery({ delivery }: { delivery: NonNullable<Referral['delivery']> }) {
  const connections = useQuery({ queryKey: ['connections'], queryFn: () => unwrap(api.GET('/api/connections')) })
  const name = connections.data?.items.find((c) => c.id === delivery.connectionId)?.name ?? 'CRMS'
  return (
    <Card withBorder data-testid="delivery">
      <Group gap="sm">
        <Text fw={500}>Delivery to {name}</Text>
        <LinkState state={delivery.state} />
        {delivery.externalId && (
          <Text size="sm">
            its id: <span className="cb-mono">{delivery.externalId}</span>
          </Text>
        )}
      </Group>
      {delivery.message && (
        <Text size="sm" mt={4}>
          {delivery.message}
        </Text>
      )}
    </Card>
  )
}

function Fields({ referral }: { referral: Referral }) {
  const crm = useQuery({ queryKey: ['crm-fields'], queryFn: () => unwrap(api.GET('/api/crm-fields')) })
  return (
    <Stack gap="xs">
      <Title order={3} size="h4">
        Mapped fields
      </Title>
      <QueryView query={crm}>
        {({ referralFields }) => {
          // Grouped as the CRM keeps them: the registrant, the requester, the appointment.
          const groups = [...new Set(referralFields.map((f) => f.path.split('.')[0]!))]
          return (
            <div className="cb-grid-2">
              {groups.map((group) => (
                <Card withBorder key={group}>
                  <Text fw={500} mb={4}>
                    {words(group).replace(/^./, (c) => c.toUpperCase())}
                  </Text>
                  <Table variant="vertical" withRowBorders={false} data-testid={`fields-${group}`}>
                    <Table.Tbody>
                      {referralFields
                        .filter((f) => f.path.startsWith(`${group}.`))
                        .map((f) => {
                          const value = atPath(referral.fields, f.path)
                          const empty = value === undefined || value === null || value === ''
                          return (
                            <Table.Tr key={f.path}>
                              <Table.Th w={200}>
                                {f.label}
                                {f.required && (
                                  <>
                                    <span aria-hidden> *</span>
                                    <span className="sr-only"> (required)</span>
                                  </>
                                )}
                              </Table.Th>
                              <Table.Td>{empty ? <Text c={f.required ? 'red' : 'dimmed'}>{f.required ? 'missing' : '—'}</Text> : String(value)}</Table.Td>
                            </Table.Tr>
                          )
                        })}
                    </Table.Tbody>
                  </Table>
                </Card>
              ))}
            </div>
          )
        }}
      </QueryView>
    </Stack>
  )
}

function Note({ note }: { note: string }) {
  return (
    <Stack gap="xs">
      <Title order={3} size="h4">
        Referral Note
      </Title>
      {note.trim() ? (
        <Card withBorder>
          <Text className="cb-note" data-testid="referral-note">
            {note}
          </Text>
        </Card>
      ) : (
        <Empty>No note: every answer went to a mapped field.</Empty>
      )}
    </Stack>
  )
}

function Attachments({ referral }: { referral: Referral }) {
  return (
    <Stack gap="xs">
      <Title order={3} size="h4">
        Files
      </Title>
      {referral.attachments.length === 0 ? (
        <Empty>No files.</Empty>
      ) : (
        <Table data-testid="attachments">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>File</Table.Th>
              <Table.Th>What</Table.Th>
              <Table.Th>Type</Table.Th>
              <Table.Th>Size</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {referral.attachments.map((a) => (
              <Table.Tr key={a.position}>
                <Table.Td>
                  {/* The hub answers with the file itself (a PDF inline): the browser shows it in a new tab, the session cookie goes along. */}
                  <Anchor href={`/api/referrals/${referral.id}/attachments/${a.position}`} target="_blank" rel="noopener">
                    {a.filename}
                  </Anchor>
                </Table.Td>
                <Table.Td>{a.kind === 'summary' ? <Badge variant="light">Referral Summary</Badge> : 'attachment'}</Table.Td>
                <Table.Td className="cb-mono">{a.contentType}</Table.Td>
                <Table.Td>{fileSize(a.sizeBytes)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  )
}

function Appointments({ items }: { items: Appointment[] }) {
  return (
    <Stack gap="xs">
      <Title order={3} size="h4">
        Appointments
      </Title>
      {items.length === 0 ? (
        <Empty>No appointment booked.</Empty>
      ) : (
        <Table data-testid="appointments">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Start</Table.Th>
              <Table.Th>Duration</Table.Th>
              <Table.Th>Location</Table.Th>
              <Table.Th>Provider</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Recorded</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((a, i) => (
              <Table.Tr key={i}>
                <Table.Td>{when(a.start)}</Table.Td>
                <Table.Td>{a.durationMinutes ? `${a.durationMinutes} min` : '—'}</Table.Td>
                <Table.Td>{a.location ?? '—'}</Table.Td>
                <Table.Td>{a.providerFullName ?? '—'}</Table.Td>
                <Table.Td>{a.status ?? '—'}</Table.Td>
                <Table.Td>{when(a.occurredAt)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  )
}

function Messages({ items }: { items: Message[] }) {
  return (
    <Stack gap="xs">
      <Title order={3} size="h4">
        Messages
      </Title>
      {items.length === 0 ? (
        <Empty>No messages.</Empty>
      ) : (
        <Stack gap="xs" data-testid="messages">
          {items.map((m, i) => (
            <Card withBorder key={i} padding="sm">
              <Text size="sm" c="dimmed">
                {m.from === 'provider' ? 'Provider' : 'Requester'}
                {m.author ? ` · ${m.author}` : ''} · {when(m.sentAt)}
              </Text>
              <Text className="cb-note">{m.text}</Text>
            </Card>
          ))}
        </Stack>
      )}
    </Stack>
  )
}

function Events({ referral }: { referral: Referral }) {
  return (
    <Stack gap="xs">
      <Title order={3} size="h4">
        Event history
      </Title>
      {referral.events.length === 0 ? (
        <Empty>No events.</Empty>
      ) : (
        <div className="cb-table-wrap">
          <Table data-testid="events">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Received</Table.Th>
                <Table.Th>Trigger</Table.Th>
                <Table.Th>In the network</Table.Th>
                <Table.Th>Outcome</Table.Th>
                <Table.Th>Why</Table.Th>
                <Table.Th>
                  <span className="sr-only">Exchange</span>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {referral.events.map((e) => (
                <Table.Tr key={e.eventId} data-testid="event-row">
                  <Table.Td>{when(e.receivedAt)}</Table.Td>
                  <Table.Td>{words(e.trigger)}</Table.Td>
                  <Table.Td>{when(e.occurredAt)}</Table.Td>
                  <Table.Td>
                    <Badge color={e.outcome === 'applied' ? 'green' : 'gray'} variant="light">
                      {e.outcome}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{e.reason ?? ''}</Table.Td>
                  <Table.Td>{e.exchangeId && <Link to={`/log/${e.exchangeId}`}>Exchange</Link>}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </div>
      )}
    </Stack>
  )
}
