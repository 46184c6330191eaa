import { Alert, Badge, Button, Card, Checkbox, Code, Fieldset, Group, Stack, Switch, Table, Text, TextInput, Title } from '@mantine/core'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useCallback, useState } from 'react'
import { ApiError, api, unwrap } from '../api/client'
import type { Connection, ConnectorInfo, TestResult } from '../api/types'
import { ago, words } from '../components/format'
import { PullProgress } from '../components/PullProgress'
import { SchemaForm, type FormValues, type JsonSchema } from '../components/SchemaForm'
import { describeSchedule } from '../components/schedule'
import { AdminOnly, ErrorAlert, QueryView } from '../components/states'
import { Timeline } from '../components/Timeline'
import { WaitingRecords } from '../components/WaitingRecords'
import { Link } from '../router'

/** One connection: "EMR settings" with Test connection, Pull now, the schedule and the capability table. */
export function ConnectionPage({ id }: { id: string }) {
  const connection = useQuery({ queryKey: ['connection', id], queryFn: () => unwrap(api.GET('/api/connections/{id}', { params: { path: { id } } })) })
  const connectors = useQuery({ queryKey: ['connectors'], queryFn: () => unwrap(api.GET('/api/connectors')) })
  return (
    <AdminOnly>
      <QueryView query={connection}>
        {(c) => {
          const connector = connectors.data?.items.find((k) => k.kind === c.connector)
          return (
            <Stack>
              <Group justify="space-between">
                <div>
                  <Title order={2}>{c.name}</Title>
                  <Text c="dimmed">{connector?.title ?? c.connector}</Text>
                </div>
                <Group>
                  <Link to={`/connections/${id}/mappings`}>Mappings</Link>
                  <Link to={`/log?connectionId=${id}`}>Integration log</Link>
                </Group>
              </Group>
              <EnabledSwitch connection={c} referral={connector?.crmRecord === 'referral'} systemTitle={connector?.title ?? c.connector} />
              <Health id={id} />
              <Stack>
                <TestConnection id={id} />
                {/* A referral network sends its events (see the address above): there is nothing to pull. */}
                {connector && connector.crmRecord === 'patient' && <PullNow id={id} connection={c} connector={connector} />}
              </Stack>
              {c.jwksUrl && (
                <Alert color="blue" title="Public keys">
                  {connector?.title ?? c.connector} fetches this connection's public keys from <Code>{c.jwksUrl}</Code>: allow-list it there.
                </Alert>
              )}
              {c.inboundUrl && <InboundAddress url={c.inboundUrl} instructions={connector?.inbound ?? null} systemTitle={connector?.title ?? c.connector} />}
              <Timeline connectionId={id} />
              <WaitingRecords connectionId={id} systemTitle={connector?.title ?? c.connector} />
              {connector && <Settings connection={c} connector={connector} />}
              <Capabilities id={id} />
            </Stack>
          )
        }}
      </QueryView>
    </AdminOnly>
  )
}

/** Where the system sends its events (webhooks): the exact address to paste into it, and how it authenticates. */
function InboundAddress({ url, instructions, systemTitle }: { url: string; instructions: string | null; systemTitle: string }) {
  return (
    <Alert color="blue" title={`Events from ${systemTitle}`} data-testid="inbound-url">
      <Stack gap={4}>
        <Text size="sm">
          {systemTitle} sends its events to <Code>{url}</Code>
        </Text>
        {instructions && (
          <Text size="sm" c="dimmed">
            {instructions}
          </Text>
        )}
      </Stack>
    </Alert>
  )
}

function EnabledSwitch({ connection, referral, systemTitle }: { connection: Connection; referral: boolean; systemTitle: string }) {
  const client = useQueryClient()
  const toggle = useMutation({
    mutationFn: (enabled: boolean) => unwrap(api.PATCH('/api/connections/{id}', { params: { path: { id: connection.id } }, body: { enabled } })),
    onSuccess: (updated) => {
      client.setQueryData(['connection', connection.id], updated)
      void client.invalidateQueries({ queryKey: ['connections'] })
    },
  })
  return (
    <Stack gap={4}>
      <Switch
        label={
          referral
            ? connection.enabled
              ? `Enabled: referrals from ${systemTitle} are imported`
              : `Disabled: events from ${systemTitle} are refused`
            : connection.enabled
              ? 'Enabled: patient changes are sent to this system'
              : 'Disabled: nothing is sent to this system'
        }
        checked={connection.enabled}
        disabled={toggle.isPending}
        onChange={(e) => toggle.mutate(e.currentTarget.checked)}
      />
      {toggle.isError && <ErrorAlert error={toggle.error} />}
    </Stack>
  )
}

function Health({ id }: { id: string }) {
  const health = useQuery({ queryKey: ['connection-health'], queryFn: () => unwrap(api.GET('/api/connection-health')), refetchInterval: 5000 })
  const h = health.data?.items.find((x) => x.connectionId === id)
  if (!h) return null
  return (
    <Group gap="xl" data-testid="health">
      <Text size="sm">Last success: {ago(h.lastSuccessAt)}</Text>
      <Text size="sm" c={h.failuresLastHour ? 'red' : undefined}>
        Failures in the last hour: {h.failuresLastHour} of {h.exchangesLastHour}
      </Text>
      <Text size="sm">Queue: {h.queue.queued + h.queue.running + h.queue.retrying}</Text>
      {h.lastFailure && (
        <Text size="sm">
          Last failure: <Link to={`/log/${h.lastFailure.exchangeId}`}>{h.lastFailure.message ?? 'see the exchange'}</Link>
        </Text>
      )}
    </Group>
  )
}

function TestConnection({ id }: { id: string }) {
  const [result, setResult] = useState<TestResult | null>(null)
  const test = useMutation({
    mutationFn: () => unwrap(api.POST('/api/connections/{id}/test', { params: { path: { id } } })),
    onMutate: () => setResult(null),
    onSuccess: setResult,
  })
  return (
    <Card withBorder>
      <Stack gap="xs">
        <Group justify="space-between">
          <Text fw={500}>Test connection</Text>
          <Button onClick={() => test.mutate()} loading={test.isPending}>
            Test connection
          </Button>
        </Group>
        <Text size="sm" c="dimmed">
          Checks the credentials and settings against the system; a failure names its exact cause.
        </Text>
        {result && (
          <Alert color={result.ok ? 'green' : 'red'} title={result.ok ? 'Connected' : 'Connection failed'} role="status" data-testid="test-result">
            {result.message}
            {!result.ok && result.code && (
              <Text size="xs" mt={4}>
                Code: {result.code}
              </Text>
            )}
          </Alert>
        )}
        {test.isError && <ErrorAlert error={test.error} />}
      </Stack>
    </Card>
  )
}

function PullNow({ id, connection, connector }: { id: string; connection: Connection; connector: ConnectorInfo }) {
  const client = useQueryClient()
  const [jobId, setJobId] = useState<string | null>(null)
  const [full, setFull] = useState(false)
  const pull = useMutation({
    mutationFn: () => unwrap(api.POST('/api/connections/{id}/pull', { params: { path: { id }, query: full ? { full: 'true' } : {} } })),
    onSuccess: (started) => {
      setJobId(started.jobId)
      void client.invalidateQueries({ queryKey: ['connection-health'] })
    },
  })
  // What a finished pull changed: the waiting list, the values it could not map, the chart.
  const settled = useCallback(() => {
    for (const key of ['waiting', 'unmapped-pulled', 'timeline', 'connection-health']) void client.invalidateQueries({ queryKey: [key] })
  }, [client])
  const pulls = connector.capabilities.filter((c) => c.direction === 'pull' && c.supported)
  const schedule = (connection.settings.pullSchedule as string | undefined) ?? connector.defaultPullSchedule
  const canSchedule = Boolean((connector.settingsSchema as JsonSchema).properties?.pullSchedule)
  return (
    <Card withBorder>
      <Stack gap="xs">
        <Group justify="space-between">
          <Text fw={500}>Pull from the EMR</Text>
          <Button onClick={() => pull.mutate()} loading={pull.isPending} disabled={pulls.length === 0}>
            Pull now
          </Button>
        </Group>
        {pulls.length === 0 ? (
          <Text size="sm" c="dimmed">
            {connector.title} offers nothing to pull (see the capabilities below).
          </Text>
        ) : (
          <>
            <Text size="sm" c="dimmed">
              Brings {pulls.map((p) => words(p.dataType)).join(', ')}; each pull reads what changed since the last one.
            </Text>
            <Checkbox
              label="Read everything again"
              description="e.g. after mapping values an earlier pull left out"
              checked={full}
              onChange={(e) => setFull(e.currentTarget.checked)}
            />
          </>
        )}
        {schedule !== null && schedule !== undefined && (
          <Text size="sm" data-testid="schedule">
            Schedule: {describeSchedule(schedule).text}
            {canSchedule ? ' — change it under Settings below' : ''}
          </Text>
        )}
        {pull.isError && <ErrorAlert error={pull.error} />}
        {pull.data?.alreadyRunning && <Text size="sm">A pull was already running; showing its progress.</Text>}
        {jobId && <PullProgress jobId={jobId} onSettled={settled} />}
      </Stack>
    </Card>
  )
}

/** The settings as a merge patch: a field emptied in the form is sent as null, which removes it (its default applies again). */
function settingsPatch(stored: FormValues, edited: FormValues): Record<string, unknown> {
  const patch: Record<string, unknown> = { ...edited }
  for (const key of Object.keys(stored)) if (!(key in edited)) patch[key] = null
  return patch
}

function Settings({ connection, connector }: { connection: Connection; connector: ConnectorInfo }) {
  const client = useQueryClient()
  const [name, setName] = useState(connection.name)
  const [baseUrl, setBaseUrl] = useState(connection.baseUrl)
  const [settings, setSettings] = useState<FormValues>(connection.settings)
  const [credentials, setCredentials] = useState<FormValues>({})
  const [formKey, setFormKey] = useState(0)
  const save = useMutation({
    mutationFn: () =>
      unwrap(
        api.PATCH('/api/connections/{id}', {
          params: { path: { id: connection.id } },
          body: { name, baseUrl, settings: settingsPatch(connection.settings, settings), ...(Object.keys(credentials).length ? { credentials } : {}) },
        }),
      ),
    onSuccess: (updated) => {
      client.setQueryData(['connection', connection.id], updated)
      void client.invalidateQueries({ queryKey: ['connections'] })
      setSettings(updated.settings)
      setCredentials({})
      setFormKey((k) => k + 1)
    },
  })
  const fieldError = save.error instanceof ApiError && save.error.field ? { [save.error.field]: save.error.message } : {}
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault()
        save.mutate()
      }}
    >
      <Fieldset legend="Settings">
        <Stack>
          <TextInput label="Name" required value={name} onChange={(e) => setName(e.currentTarget.value)} />
          <TextInput label="Base URL" required type="url" value={baseUrl} onChange={(e) => setBaseUrl(e.currentTarget.value)} error={fieldError.baseUrl} />
          <SchemaForm prefix="settings" schema={connector.settingsSchema as JsonSchema} values={settings} onChange={setSettings} errors={fieldError} />
          <Title order={3} size="h5">
            Credentials
          </Title>
          <SchemaForm
            key={formKey}
            prefix="credentials"
            schema={connector.credentialsSchema as JsonSchema}
            values={credentials}
            onChange={setCredentials}
            secret
            alreadySet={connection.credentials}
            skip={connector.generatedCredentials}
            errors={fieldError}
          />
          {save.isError && <ErrorAlert error={save.error} />}
          {save.isSuccess && (
            <Text c="green" size="sm" role="status">
              Saved.
            </Text>
          )}
          <Group>
            <Button type="submit" loading={save.isPending}>
              Save settings
            </Button>
          </Group>
        </Stack>
      </Fieldset>
    </form>
  )
}

function Capabilities({ id }: { id: string }) {
  const capabilities = useQuery({ queryKey: ['capabilities', id], queryFn: () => unwrap(api.GET('/api/connections/{id}/capabilities', { params: { path: { id } } })) })
  return (
    <Stack gap="xs">
      <Title order={3} size="h4">
        Capabilities
      </Title>
      <QueryView query={capabilities}>
        {({ items }) => (
          <Table data-testid="capabilities">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Data</Table.Th>
                <Table.Th>Direction</Table.Th>
                <Table.Th>Supported</Table.Th>
                <Table.Th>Why / how</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((c) => (
                <Table.Tr key={`${c.dataType}-${c.direction}`}>
                  <Table.Td>{words(c.dataType)}</Table.Td>
                  <Table.Td>{c.direction}</Table.Td>
                  <Table.Td>
                    <Badge color={c.supported ? 'green' : 'gray'} variant="light">
                      {c.supported ? 'yes' : 'no'}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{c.supported ? (c.note ?? '') : c.reason}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </QueryView>
    </Stack>
  )
}
