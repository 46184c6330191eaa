import { Alert, Button, Card, Group, NativeSelect, Stack, Table, Text, TextInput, Title } from '@mantine/core'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useEffect, useState } from 'react'
import { api, unwrap } from '../api/client'
import type { Conflict, Patient, PatientInput } from '../api/types'
import { ExchangeStatus, JobState, LinkState, when, words } from '../components/format'
import { PatientForm } from '../components/PatientForm'
import { Empty, ErrorAlert, Json, QueryView } from '../components/states'
import { Link } from '../router'
import { useIsAdmin } from '../session'

const SETTLING = new Set(['pending', 'partial'])

/** A patient's profile: details, each EMR link and its state, what EMRs hold, preview, conflicts, history. */
export function PatientPage({ id }: { id: string }) {
  const patient = useQuery({
    queryKey: ['patient', id],
    queryFn: () => unwrap(api.GET('/api/patients/{id}', { params: { path: { id } } })),
    // While a push is under way, watch the links settle.
    refetchInterval: (q) => (q.state.data?.links.some((l) => SETTLING.has(l.state)) ? 1000 : false),
  })
  return (
    <QueryView query={patient}>
      {(p) => (
        <Stack>
          <Title order={2}>
            {p.firstName} {p.lastName}
          </Title>
          <Details patient={p} />
          <Links patient={p} />
          <EmrRecords patient={p} />
          <Conflicts patient={p} />
          <Preview patient={p} />
          <History patientId={p.id} />
        </Stack>
      )}
    </QueryView>
  )
}

function Details({ patient }: { patient: Patient }) {
  const client = useQueryClient()
  const [editing, setEditing] = useState(false)
  const save = useMutation({
    mutationFn: (body: Partial<PatientInput>) => unwrap(api.PATCH('/api/patients/{id}', { params: { path: { id: patient.id } }, body })),
    onSuccess: (updated) => {
      client.setQueryData(['patient', patient.id], updated)
      setEditing(false)
    },
  })
  if (editing) {
    return (
      <Card withBorder>
        <PatientForm initial={patient} submitLabel="Save changes" onSubmit={(body) => (Object.keys(body).length ? save.mutate(body) : setEditing(false))} busy={save.isPending} error={save.error} />
        <Button variant="subtle" mt="xs" onClick={() => setEditing(false)}>
          Cancel
        </Button>
      </Card>
    )
  }
  const shown: [string, string | null][] = [
    ['Date of birth', patient.dob],
    ['Gender', patient.gender],
    ['Phone', patient.phone],
    ['Email', patient.email],
    ['Address', patient.address ? [patient.address.line1, patient.address.city, patient.address.state, patient.address.postalCode].filter(Boolean).join(', ') : null],
    ['Program', patient.programId],
    ['Location', patient.locationId],
    ['Admission', patient.admissionDate],
    ['Payment', patient.paymentMethod],
    ...Object.entries(patient.customFields).map(([k, v]) => [k, v === null ? null : String(v)] as [string, string | null]),
  ]
  return (
    <Card withBorder>
      <Group justify="space-between" align="start">
        <Table variant="vertical" withRowBorders={false} data-testid="patient-details">
          <Table.Tbody>
            {shown.map(([label, value]) => (
              <Table.Tr key={label}>
                <Table.Th w={160}>{label}</Table.Th>
                <Table.Td>{value ?? '—'}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        <Stack gap="xs">
          <Button variant="default" onClick={() => setEditing(true)}>
            Edit
          </Button>
          {patient.accountId && <Link to={`/accounts/${patient.accountId}`}>Parent account</Link>}
        </Stack>
      </Group>
    </Card>
  )
}

function Links({ patient }: { patient: Patient }) {
  const admin = useIsAdmin()
  const connections = useQuery({ queryKey: ['connections'], queryFn: () => unwrap(api.GET('/api/connections')) })
  const names = new Map((connections.data?.items ?? []).map((c) => [c.id, c.name]))
  return (
    <Stack gap="xs">
      <Title order={3} size="h4">
        EMR links
      </Title>
      {patient.links.length === 0 ? (
        <Empty>Not linked to any EMR (no enabled connection takes patients).</Empty>
      ) : (
        <div className="cb-table-wrap">
        <Table data-testid="links">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>EMR</Table.Th>
              <Table.Th>State</Table.Th>
              <Table.Th>EMR id</Table.Th>
              <Table.Th>MRN</Table.Th>
              <Table.Th>Last synced</Table.Th>
              <Table.Th>Message</Table.Th>
              {admin && <Table.Th>Settle by hand</Table.Th>}
              {admin && (
                <Table.Th>
                  <span className="sr-only">Push now</span>
                </Table.Th>
              )}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {patient.links.map((l) => (
              <Table.Tr key={l.connectionId} data-testid={`link-${l.connector}`}>
                <Table.Td>{names.get(l.connectionId) ?? l.connector}</Table.Td>
                <Table.Td>
                  <LinkState state={l.state} />
                </Table.Td>
                <Table.Td className="cb-mono">{l.externalId ?? '—'}</Table.Td>
                <Table.Td className="cb-mono">{l.mrn ?? '—'}</Table.Td>
                <Table.Td>{when(l.lastSyncedAt)}</Table.Td>
                <Table.Td>{l.message}</Table.Td>
                {admin && (
                  <Table.Td>
                    <SettleLink patientId={patient.id} connectionId={l.connectionId} current={l.externalId} />
                  </Table.Td>
                )}
                {admin && (
                  <Table.Td>
                    <PushNow patientId={patient.id} connectionId={l.connectionId} systemName={names.get(l.connectionId) ?? l.connector} />
                  </Table.Td>
                )}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        </div>
      )}
    </Stack>
  )
}

/** Sends the patient to one EMR now (a job like any change), and follows that job to its end. */
function PushNow({ patientId, connectionId, systemName }: { patientId: string; connectionId: string; systemName: string }) {
  const client = useQueryClient()
  const push = useMutation({
    mutationFn: () => unwrap(api.POST('/api/patients/{id}/push', { params: { path: { id: patientId } }, body: { connectionId, dataTypes: ['patient'] } })),
  })
  const job = useQuery({
    queryKey: ['job', push.data?.jobId],
    enabled: Boolean(push.data),
    queryFn: () => unwrap(api.GET('/api/jobs/{id}', { params: { path: { id: push.data!.jobId } } })),
    refetchInterval: (q) => (q.state.data && ['succeeded', 'failed', 'needs_attention'].includes(q.state.data.state) ? false : 500),
  })
  const state = job.data?.state
  useEffect(() => {
    if (state && ['succeeded', 'failed', 'needs_attention'].includes(state)) {
      void client.invalidateQueries({ queryKey: ['patient', patientId] })
      void client.invalidateQueries({ queryKey: ['exchanges', { patientId }] })
    }
  }, [state, client, patientId])
  return (
    <Stack gap={4}>
      <Button size="xs" variant="default" aria-label={`Push now to ${systemName}`} onClick={() => push.mutate()} loading={push.isPending || (state !== undefined && !['succeeded', 'failed', 'needs_attention'].includes(state))}>
        Push now
      </Button>
      {job.data && (
        <Group gap={4} data-testid="push-job">
          <JobState state={job.data.state} />
        </Group>
      )}
      {push.isError && <ErrorAlert error={push.error} />}
    </Stack>
  )
}

function SettleLink({ patientId, connectionId, current }: { patientId: string; connectionId: string; current: string | null }) {
  const client = useQueryClient()
  const [externalId, setExternalId] = useState('')
  const settle = useMutation({
    mutationFn: (value: string | null) => unwrap(api.PUT('/api/patients/{id}/links/{connectionId}', { params: { path: { id: patientId, connectionId } }, body: { externalId: value } })),
    onSuccess: () => {
      setExternalId('')
      void client.invalidateQueries({ queryKey: ['patient', patientId] })
    },
  })
  return (
    <Stack gap={4}>
      <Group gap="xs">
        <TextInput aria-label="EMR id to link to" placeholder="EMR id" size="xs" w={140} value={externalId} onChange={(e) => setExternalId(e.currentTarget.value)} />
        <Button size="xs" variant="default" disabled={!externalId.trim()} onClick={() => settle.mutate(externalId.trim())}>
          Link
        </Button>
        {current && (
          <Button size="xs" variant="subtle" color="red" onClick={() => settle.mutate(null)}>
            Clear
          </Button>
        )}
      </Group>
      {settle.isError && <ErrorAlert error={settle.error} />}
    </Stack>
  )
}

/** Insurance and encounters as the EMRs hold them: read-only here, one row per record, with the EMR it came from. */
function EmrRecords({ patient }: { patient: Patient }) {
  const connections = useQuery({ queryKey: ['connections'], queryFn: () => unwrap(api.GET('/api/connections')) })
  const names = new Map((connections.data?.items ?? []).map((c) => [c.id, c.name]))
  const section = (title: string, rows: Record<string, unknown>[]) => {
    // An EMR's own copy of its id (e.g. `ecwId` beside `externalId`) says nothing new: left out.
    const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter(
      (k) => k !== 'connectionId' && !(k !== 'externalId' && rows.every((r) => r[k] === undefined || r[k] === null || r[k] === r.externalId)),
    )
    return (
      <Stack gap="xs">
        <Title order={3} size="h4">
          {title}
        </Title>
        {rows.length === 0 ? (
          <Empty>None pulled from an EMR.</Empty>
        ) : (
          <div className="cb-table-wrap">
            <Table>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>EMR</Table.Th>
                  {keys.map((k) => (
                    <Table.Th key={k}>{words(k)}</Table.Th>
                  ))}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.map((r, i) => (
                  <Table.Tr key={i}>
                    <Table.Td>{names.get(String(r.connectionId)) ?? '—'}</Table.Td>
                    {keys.map((k) => (
                      <Table.Td key={k}>{cell(r[k])}</Table.Td>
                    ))}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </div>
        )}
      </Stack>
    )
  }
  return (
    <>
      {section('Insurance in the EMRs (read-only)', patient.emrInsurance as Record<string, unknown>[])}
      {section('Encounters in the EMRs (read-only)', patient.encounters as Record<string, unknown>[])}
    </>
  )
}

/** A value as a person reads it: a period as "start – end", a date-time in local time, other objects as JSON. */
function cell(value: unknown): string {
  if (value === null || value === undefined || value === '') return '—'
  if (typeof value === 'object' && value !== null && ('start' in value || 'end' in value)) {
    const period = value as { start?: string | null; end?: string | null }
    return `${period.start ? cell(period.start) : '…'} – ${period.end ? cell(period.end) : 'open'}`
  }
  if (typeof value === 'object') return JSON.stringify(value)
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value)) return when(value)
  return String(value)
}

/** The value a CRM field holds now, for a conflict shown beside its two candidates. */
function currentValue(patient: Patient, field: string): unknown {
  return field.split('.').reduce<unknown>((v, part) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined), patient)
}

function show(value: unknown): string {
  return value === null || value === undefined || value === '' ? '(empty)' : typeof value === 'string' ? value : JSON.stringify(value)
}

function Conflicts({ patient }: { patient: Patient }) {
  const conflicts = useQuery({ queryKey: ['conflicts', { patientId: patient.id }], queryFn: () => unwrap(api.GET('/api/conflicts', { params: { query: { patientId: patient.id, open: 'true' } } })) })
  return (
    <Stack gap="xs">
      <Title order={3} size="h4">
        Conflicts to review
      </Title>
      <QueryView query={conflicts}>
        {({ items }) => (items.length === 0 ? <Empty>No open conflicts.</Empty> : items.map((c) => <ConflictCard key={c.id} conflict={c} current={currentValue(patient, c.field)} />))}
      </QueryView>
    </Stack>
  )
}

export function ConflictCard({ conflict, current, patientName }: { conflict: Conflict; current: unknown; patientName?: string }) {
  const client = useQueryClient()
  const review = useMutation({
    mutationFn: (keep: 'crm' | 'emr' | undefined) => unwrap(api.POST('/api/conflicts/{id}/review', { params: { path: { id: conflict.id } }, body: keep ? { keep } : {} })),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['conflicts'] })
      void client.invalidateQueries({ queryKey: ['patient', conflict.patientId] })
    },
  })
  return (
    <Card withBorder data-testid="conflict">
      <Stack gap="xs">
        <Text fw={500}>
          {patientName ? (
            <>
              <Link to={`/patients/${conflict.patientId}`}>{patientName}</Link> ·{' '}
            </>
          ) : null}
          {words(conflict.field)} changed on both sides ({when(conflict.detectedAt)})
        </Text>
        <Table variant="vertical" withRowBorders={false}>
          <Table.Tbody>
            <Table.Tr>
              <Table.Th w={200}>Now in the CRM</Table.Th>
              <Table.Td data-testid="conflict-current">{show(current)}</Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th>CRM's value</Table.Th>
              <Table.Td>{show(conflict.crmValue)}</Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th>EMR's value</Table.Th>
              <Table.Td>{show(conflict.emrValue)}</Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th>Agreed before</Table.Th>
              <Table.Td>{show(conflict.baseValue)}</Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th>Rule</Table.Th>
              <Table.Td>
                {conflict.rule}: the {conflict.winner.toUpperCase()} won
              </Table.Td>
            </Table.Tr>
          </Table.Tbody>
        </Table>
        {conflict.reviewedAt ? (
          <Text size="sm">
            Reviewed by {conflict.reviewedBy} ({conflict.kept} kept)
          </Text>
        ) : (
          <Group>
            <Button size="xs" onClick={() => review.mutate(undefined)} loading={review.isPending}>
              Keep the winner
            </Button>
            <Button size="xs" variant="default" onClick={() => review.mutate(conflict.winner === 'crm' ? 'emr' : 'crm')} loading={review.isPending}>
              Keep the {conflict.winner === 'crm' ? 'EMR' : 'CRM'}'s value instead
            </Button>
          </Group>
        )}
        {review.isError && <ErrorAlert error={review.error} />}
      </Stack>
    </Card>
  )
}

function Preview({ patient }: { patient: Patient }) {
  const admin = useIsAdmin()
  const [connectionId, setConnectionId] = useState(patient.links[0]?.connectionId ?? '')
  const connections = useQuery({ queryKey: ['connections'], queryFn: () => unwrap(api.GET('/api/connections')), enabled: admin })
  const preview = useMutation({
    mutationFn: () => unwrap(api.GET('/api/patients/{id}/preview', { params: { path: { id: patient.id }, query: { connectionId } } })),
  })
  if (!admin) return null
  return (
    <Stack gap="xs">
      <Title order={3} size="h4">
        Preview
      </Title>
      <Group align="end">
        <NativeSelect
          label="What would this EMR receive now?"
          data={[{ value: '', label: 'Choose a connection…' }, ...(connections.data?.items ?? []).map((c) => ({ value: c.id, label: c.name }))]}
          value={connectionId}
          onChange={(e) => setConnectionId(e.currentTarget.value)}
        />
        <Button variant="default" disabled={!connectionId} onClick={() => preview.mutate()} loading={preview.isPending}>
          Show preview
        </Button>
      </Group>
      {preview.isError && <ErrorAlert error={preview.error} />}
      {preview.data && (
        <Stack gap="xs" data-testid="preview">
          {preview.data.steps.map((s) => (
            <Card withBorder key={s.step}>
              <Text fw={500} className="cb-mono">
                {s.step}: {s.method} {s.path}
              </Text>
              {s.skipped ? <Text size="sm">Skipped: {s.skipped}</Text> : <Json value={s.body} label={`Body of ${s.step}`} />}
            </Card>
          ))}
          {preview.data.dropped.length > 0 ? (
            <Alert color="yellow" title="Left out">
              <ul>
                {preview.data.dropped.map((d, i) => (
                  <li key={i}>
                    <b>{d.field}</b>: {d.reason}
                  </li>
                ))}
              </ul>
            </Alert>
          ) : (
            <Text size="sm">Nothing is left out.</Text>
          )}
        </Stack>
      )}
    </Stack>
  )
}

function History({ patientId }: { patientId: string }) {
  const exchanges = useQuery({
    queryKey: ['exchanges', { patientId }],
    queryFn: () => unwrap(api.GET('/api/exchanges', { params: { query: { patientId, limit: 20 } } })),
    refetchInterval: 5000,
  })
  return (
    <Stack gap="xs">
      <Group justify="space-between">
        <Title order={3} size="h4">
          Sync history
        </Title>
        <Link to={`/log?patientId=${patientId}`}>All of it in the log</Link>
      </Group>
      <QueryView query={exchanges}>
        {({ items }) =>
          items.length === 0 ? (
            <Empty>No exchanges yet.</Empty>
          ) : (
            <Table data-testid="history">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>When</Table.Th>
                  <Table.Th>EMR</Table.Th>
                  <Table.Th>Operation</Table.Th>
                  <Table.Th>Result</Table.Th>
                  <Table.Th>Message</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((e) => (
                  <Table.Tr key={e.id}>
                    <Table.Td>
                      <Link to={`/log/${e.id}`}>{when(e.startedAt)}</Link>
                    </Table.Td>
                    <Table.Td>{e.connector}</Table.Td>
                    <Table.Td>{e.operation}</Table.Td>
                    <Table.Td>
                      <ExchangeStatus status={e.status} httpStatus={e.httpStatus} />
                    </Table.Td>
                    <Table.Td>{e.message}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )
        }
      </QueryView>
    </Stack>
  )
}
