import { Alert, Button, Code, CopyButton, Fieldset, Group, NativeSelect, Stack, Switch, Text, TextInput, Title } from '@mantine/core'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { ApiError, api, unwrap } from '../api/client'
import type { ConnectorInfo } from '../api/types'
import { SchemaForm, type FormValues, type JsonSchema } from '../components/SchemaForm'
import { words } from '../components/format'
import { AdminOnly, ErrorAlert, QueryView } from '../components/states'
import { navigate, useLocation } from '../router'

/** Add a connection: the form is the chosen connector's settings and credentials schemas. */
export function NewConnectionPage() {
  const connectors = useQuery({ queryKey: ['connectors'], queryFn: () => unwrap(api.GET('/api/connectors')) })
  const { query } = useLocation()
  const [kind, setKind] = useState(query.get('connector') ?? '')
  return (
    <AdminOnly>
      <Stack maw={720}>
        <Title order={2}>Add a connection</Title>
        <QueryView query={connectors}>
          {({ items }) => {
            const connector = items.find((c) => c.kind === kind)
            return (
              <>
                <NativeSelect
                  label="System"
                  data={[{ value: '', label: 'Choose a system…' }, ...items.map((c) => ({ value: c.kind, label: c.title }))]}
                  value={kind}
                  onChange={(e) => setKind(e.currentTarget.value)}
                />
                {connector && <ConnectionForm key={connector.kind} connector={connector} />}
              </>
            )
          }}
        </QueryView>
      </Stack>
    </AdminOnly>
  )
}

/** The credentials the hub made for the other system, shown this once (the hub never returns them again). */
function ShownOnce({ connectionId, inboundUrl, secrets, connector }: { connectionId: string; inboundUrl: string | null; secrets: Record<string, string>; connector: ConnectorInfo }) {
  const schema = connector.credentialsSchema as JsonSchema
  return (
    <Stack>
      <Alert color="yellow" title={`Copy this into ${connector.title} now`} role="alert" data-testid="shown-once">
        <Stack gap="xs">
          <Text size="sm">The hub made it for this connection and will not show it again; to change it later, replace it in the connection's settings.</Text>
          {inboundUrl && (
            <Text size="sm">
              Address to give {connector.title}: <Code>{inboundUrl}</Code>
            </Text>
          )}
          {Object.entries(secrets).map(([key, value]) => (
            <Group key={key} gap="xs" wrap="nowrap">
              <Text size="sm" fw={500}>
                {schema.properties?.[key]?.title ?? words(key).replace(/^./, (c) => c.toUpperCase())}:
              </Text>
              <Code data-testid={`shown-once-${key}`}>{value}</Code>
              <CopyButton value={value}>
                {({ copied, copy }) => (
                  <Button size="xs" variant="default" onClick={copy}>
                    {copied ? 'Copied' : 'Copy'}
                  </Button>
                )}
              </CopyButton>
            </Group>
          ))}
        </Stack>
      </Alert>
      <Group>
        <Button onClick={() => navigate(`/connections/${connectionId}`)}>I have copied it: open the connection</Button>
      </Group>
    </Stack>
  )
}

function ConnectionForm({ connector }: { connector: ConnectorInfo }) {
  const client = useQueryClient()
  const [name, setName] = useState(connector.title)
  const [baseUrl, setBaseUrl] = useState('')
  const [enabled, setEnabled] = useState(true)
  const [settings, setSettings] = useState<FormValues>({})
  const [credentials, setCredentials] = useState<FormValues>({})
  const create = useMutation({
    mutationFn: () => unwrap(api.POST('/api/connections', { body: { connector: connector.kind, name, baseUrl, enabled, settings, credentials } })),
    onSuccess: (created) => {
      void client.invalidateQueries({ queryKey: ['connections'] })
      // Secrets the hub made for the other system are in this answer only: shown before leaving.
      if (!created.shownOnce || Object.keys(created.shownOnce).length === 0) navigate(`/connections/${created.id}`)
    },
  })
  if (create.data?.shownOnce && Object.keys(create.data.shownOnce).length > 0) {
    return <ShownOnce connectionId={create.data.id} inboundUrl={create.data.inboundUrl} secrets={create.data.shownOnce} connector={connector} />
  }
  const fieldError = create.error instanceof ApiError && create.error.field ? { [create.error.field]: create.error.message } : {}
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault()
        create.mutate()
      }}
    >
      <Stack>
        <TextInput label="Name" required value={name} onChange={(e) => setName(e.currentTarget.value)} error={fieldError.name} />
        <TextInput label="Base URL" description={`The ${connector.title} API address`} required type="url" value={baseUrl} onChange={(e) => setBaseUrl(e.currentTarget.value)} error={fieldError.baseUrl} />
        <Switch label="Enabled" description="Enabled connections receive every patient change" checked={enabled} onChange={(e) => setEnabled(e.currentTarget.checked)} />
        <Fieldset legend="Settings">
          <SchemaForm prefix="settings" schema={connector.settingsSchema as JsonSchema} values={settings} onChange={setSettings} errors={fieldError} />
        </Fieldset>
        <Fieldset legend="Credentials">
          <SchemaForm
            prefix="credentials"
            schema={connector.credentialsSchema as JsonSchema}
            values={credentials}
            onChange={setCredentials}
            secret
            skip={connector.generatedCredentials}
            errors={fieldError}
          />
        </Fieldset>
        {create.isError && <ErrorAlert error={create.error} />}
        <Button type="submit" loading={create.isPending}>
          Add connection
        </Button>
      </Stack>
    </form>
  )
}
