import { ActionIcon, Alert, Autocomplete, Badge, Button, Fieldset, Group, NativeSelect, Stack, Table, Tabs, Text, TextInput, Title } from '@mantine/core'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useMemo, useState } from 'react'
import { ApiError, api, unwrap } from '../api/client'
import type { ConnectorInfo, CrmFields, MappingInput, Mappings, PulledUnmappedValue, ReferenceValue, UnmappedValue } from '../api/types'
import { when, words } from '../components/format'
import { AdminOnly, Empty, ErrorAlert, Loading } from '../components/states'
import { Link } from '../router'

/** Field map, value maps (with the values seen in data still to map) and ownership rules of one connection. */
export function MappingsPage({ id }: { id: string }) {
  const connection = useQuery({ queryKey: ['connection', id], queryFn: () => unwrap(api.GET('/api/connections/{id}', { params: { path: { id } } })) })
  const mappings = useQuery({ queryKey: ['mappings', id], queryFn: () => unwrap(api.GET('/api/connections/{id}/mappings', { params: { path: { id } } })) })
  const connectors = useQuery({ queryKey: ['connectors'], queryFn: () => unwrap(api.GET('/api/connectors')) })
  const crmFields = useQuery({ queryKey: ['crm-fields'], queryFn: () => unwrap(api.GET('/api/crm-fields')) })
  const failed = [connection, mappings, connectors, crmFields].find((q) => q.isError)
  return (
    <AdminOnly>
      <Stack>
        <Title order={2}>Mappings{connection.data ? `: ${connection.data.name}` : ''}</Title>
        <Link to={`/connections/${id}`}>Back to the connection</Link>
        {failed ? (
          <ErrorAlert error={failed.error} title="Could not load" />
        ) : (
          (() => {
            if (!connection.data || !mappings.data || !connectors.data || !crmFields.data) return <Loading />
            const connector = connectors.data.items.find((c) => c.kind === connection.data.connector)
            if (!connector) return <ErrorAlert error={new Error(`The connector "${connection.data.connector}" is not available in this hub`)} title="Could not load" />
            return (
              <Tabs defaultValue="fields" keepMounted={false}>
                <Tabs.List>
                  <Tabs.Tab value="fields">Field map</Tabs.Tab>
                  <Tabs.Tab value="values">Value maps</Tabs.Tab>
                  {/* Ownership settles fields changed on both sides of a patient link; referrals only come in. */}
                  {connector.crmRecord === 'patient' && <Tabs.Tab value="ownership">Ownership</Tabs.Tab>}
                </Tabs.List>
                <Tabs.Panel value="fields" pt="md">
                  <FieldMap id={id} mappings={mappings.data} connector={connector} crmFields={crmFields.data} />
                </Tabs.Panel>
                <Tabs.Panel value="values" pt="md">
                  <ValueMaps id={id} mappings={mappings.data} connector={connector} />
                </Tabs.Panel>
                {connector.crmRecord === 'patient' && (
                  <Tabs.Panel value="ownership" pt="md">
                    <Ownership id={id} mappings={mappings.data} crmFields={crmFields.data} />
                  </Tabs.Panel>
                )}
              </Tabs>
            )
          })()
        )}
      </Stack>
    </AdminOnly>
  )
}

/** Saves part of the mappings; the hub checks it against the connector's catalog and refuses with the reason. */
function useSaveMappings(id: string) {
  const client = useQueryClient()
  return useMutation({
    mutationFn: (body: MappingInput) => unwrap(api.PUT('/api/connections/{id}/mappings', { params: { path: { id } }, body })),
    onSuccess: (saved) => {
      client.setQueryData(['mappings', id], saved)
      void client.invalidateQueries({ queryKey: ['unmapped', id] })
      void client.invalidateQueries({ queryKey: ['unmapped-pulled', id] })
    },
  })
}

function SaveState({ save }: { save: ReturnType<typeof useSaveMappings> }) {
  if (save.isError) return <ErrorAlert error={save.error} title="Not saved" />
  if (save.isSuccess)
    return (
      <Text c="green" size="sm" role="status">
        Saved.
      </Text>
    )
  return null
}

function FieldMap({ id, mappings, connector, crmFields }: { id: string; mappings: Mappings; connector: ConnectorInfo; crmFields: CrmFields }) {
  const [rows, setRows] = useState(mappings.fieldMap)
  const save = useSaveMappings(id)
  const referral = connector.crmRecord === 'referral'
  const crmOptions = referral ? crmFields.referralFields.map((f) => f.path) : [...crmFields.fields, ...crmFields.customFields]
  const emrOptions = [{ value: '', label: 'Choose a field…' }, ...connector.fields.map((f) => ({ value: f.path, label: `${f.label} (${f.path})` }))]
  const badRow = save.error instanceof ApiError ? /^fieldMap\[(\d+)\]/.exec(save.error.field ?? '')?.[1] : undefined
  const update = (i: number, part: Partial<{ crm: string; emr: string }>) => setRows(rows.map((r, j) => (j === i ? { ...r, ...part } : r)))
  return (
    <Stack>
      <Text size="sm">
        {mappings.custom ? "This connection's own field map." : `${connector.title}'s default field map.`}{' '}
        {referral ? (
          <>
            Each {connector.title} field fills a CRM referral field; every answer the map does not name goes into the Referral Note. Required:{' '}
            {crmFields.referralFields
              .filter((f) => f.required)
              .map((f) => f.label)
              .join(', ')}
            .
          </>
        ) : (
          <>
            A CRM field can go to any field {connector.title}'s API accepts; custom fields are written <code>customFields.name</code>.
          </>
        )}
      </Text>
      <Table data-testid="field-map">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>CRM field</Table.Th>
            <Table.Th>{connector.title} field</Table.Th>
            <Table.Th>
              <span className="sr-only">Remove</span>
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((row, i) => (
            <Table.Tr key={i} className={badRow === String(i) ? 'cb-unmapped' : undefined}>
              <Table.Td>
                <Autocomplete aria-label={`CRM field of row ${i + 1}`} data={crmOptions} value={row.crm} onChange={(v) => update(i, { crm: v })} limit={50} />
              </Table.Td>
              <Table.Td>
                <NativeSelect aria-label={`${connector.title} field of row ${i + 1}`} data={emrOptions} value={row.emr} onChange={(e) => update(i, { emr: e.currentTarget.value })} />
              </Table.Td>
              <Table.Td>
                <ActionIcon variant="subtle" color="red" aria-label={`Remove row ${i + 1}`} onClick={() => setRows(rows.filter((_, j) => j !== i))}>
                  ✕
                </ActionIcon>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {rows.length === 0 && <Empty>No field is mapped: nothing would be sent. Add a field, or use {connector.title}'s defaults.</Empty>}
      <Group>
        <Button variant="default" onClick={() => setRows([...rows, { crm: '', emr: '' }])}>
          Add a field
        </Button>
        <Button onClick={() => save.mutate({ fieldMap: rows })} loading={save.isPending}>
          Save field map
        </Button>
        <Button
          variant="subtle"
          onClick={() =>
            save.mutate(
              { fieldMap: null },
              { onSuccess: (saved) => setRows(saved.fieldMap) },
            )
          }
        >
          Use {connector.title}'s defaults
        </Button>
      </Group>
      <SaveState save={save} />
    </Stack>
  )
}

interface ValueRow {
  map: string
  from: string
  to: string
  seen?: UnmappedValue
}

function ValueMaps({ id, mappings, connector }: { id: string; mappings: Mappings; connector: ConnectorInfo }) {
  // Values in CRM patients that would be left out of pushes: only a connection that receives patients has any.
  const unmapped = useQuery({
    queryKey: ['unmapped', id],
    queryFn: () => unwrap(api.GET('/api/connections/{id}/unmapped-values', { params: { path: { id } } })),
    enabled: connector.crmRecord === 'patient',
  })
  const references = useQuery({ queryKey: ['reference-values', id], queryFn: () => unwrap(api.GET('/api/connections/{id}/reference-values', { params: { path: { id } } })) })
  const [edits, setEdits] = useState<Record<string, Record<string, string>>>({})
  const [added, setAdded] = useState<ValueRow[]>([])
  const [search, setSearch] = useState('')
  const save = useSaveMappings(id)

  const rows = useMemo(() => {
    const list: ValueRow[] = []
    for (const [map, entries] of Object.entries(mappings.valueMaps)) {
      for (const [from, to] of Object.entries(entries)) list.push({ map, from, to })
    }
    for (const seen of unmapped.data?.items ?? []) {
      if (!list.some((r) => r.map === seen.valueMap && r.from === seen.value)) list.push({ map: seen.valueMap, from: seen.value, to: '', seen })
    }
    for (const row of added) if (!list.some((r) => r.map === row.map && r.from === row.from)) list.push(row)
    return list.map((r) => ({ ...r, to: edits[r.map]?.[r.from] ?? r.to }))
  }, [mappings, unmapped.data, added, edits])

  const needle = search.trim().toLowerCase()
  const shown = needle ? rows.filter((r) => [r.map, r.from, r.to].some((t) => t.toLowerCase().includes(needle))) : rows
  const waiting = (map: string) => rows.some((r) => r.map === map && r.seen)
  // Maps with values seen in data and not mapped come first: that is the work to do.
  const maps = [...new Set([...Object.keys(mappings.valueMaps), ...shown.map((r) => r.map)])]
    .filter((m) => shown.some((r) => r.map === m) || !needle)
    .sort((a, b) => Number(waiting(b)) - Number(waiting(a)))
  const unmappedCount = rows.filter((r) => r.seen && !r.to).length

  const submit = () => {
    // Send the connection's own entries: everything that differs from the connector's defaults.
    const valueMaps: Record<string, Record<string, string>> = {}
    for (const row of rows) {
      if (!row.to.trim()) continue
      if (connector.defaults.valueMaps[row.map] && (connector.defaults.valueMaps[row.map] as Record<string, string>)[row.from] === row.to) continue
      ;(valueMaps[row.map] ??= {})[row.from] = row.to.trim()
    }
    save.mutate({ valueMaps }, { onSuccess: () => { setEdits({}); setAdded([]) } })
  }

  return (
    <Stack>
      <PulledValues id={id} mappings={mappings} connector={connector} />
      {unmapped.isError && <ErrorAlert error={unmapped.error} title="Could not load the values seen in data" />}
      {unmappedCount > 0 && (
        <Alert color="yellow" title="Values seen in data without a mapping" data-testid="unmapped-summary">
          {unmappedCount} value{unmappedCount === 1 ? '' : 's'} in CRM records would be left out of pushes to {connector.title}. They are highlighted below: fill in the code and save.
        </Alert>
      )}
      <TextInput label="Search value maps" placeholder="payer code, program, gender…" value={search} onChange={(e) => setSearch(e.currentTarget.value)} />
      {maps.length === 0 && <Empty>No value maps match.</Empty>}
      {maps.map((map) => (
        <Fieldset key={map} legend={words(map)} data-testid={`value-map-${map}`}>
          <ValueMapTable
            map={map}
            rows={shown.filter((r) => r.map === map)}
            suggestions={suggestionsFor(map, connector, references.data?.items ?? [])}
            onChange={(from, to) => setEdits({ ...edits, [map]: { ...edits[map], [from]: to } })}
            onAdd={(from) => setAdded([...added, { map, from, to: '' }])}
          />
        </Fieldset>
      ))}
      <Group>
        <Button onClick={submit} loading={save.isPending}>
          Save value maps
        </Button>
      </Group>
      <SaveState save={save} />
    </Stack>
  )
}

/**
 * Values a pull brought from the EMR that no value map translates back to a CRM value: they were
 * kept out of the CRM. The admin names the CRM value each stands for; saving adds the pair to the
 * connection's own value map, and the next full pull takes them.
 */
function PulledValues({ id, mappings, connector }: { id: string; mappings: Mappings; connector: ConnectorInfo }) {
  const pulled = useQuery({ queryKey: ['unmapped-pulled', id], queryFn: () => unwrap(api.GET('/api/connections/{id}/unmapped-pulled-values', { params: { path: { id } } })) })
  const [crmValues, setCrmValues] = useState<Record<string, string>>({})
  const save = useSaveMappings(id)
  if (pulled.isPending) return <Loading label="Loading the values pulls left out…" />
  if (pulled.isError) return <ErrorAlert error={pulled.error} title="Could not load the values pulls left out" />
  const items = pulled.data.items
  if (items.length === 0) return null
  const keyOf = (v: PulledUnmappedValue) => `${v.valueMap ?? ''}\u0000${v.value}`
  const submit = () => {
    const valueMaps: Record<string, Record<string, string>> = structuredClone(mappings.overrides ?? {})
    for (const item of items) {
      const crm = crmValues[keyOf(item)]?.trim()
      if (item.valueMap && crm) (valueMaps[item.valueMap] ??= {})[crm] = item.value
    }
    save.mutate({ valueMaps }, { onSuccess: () => setCrmValues({}) })
  }
  const filled = items.some((item) => item.valueMap && crmValues[keyOf(item)]?.trim())
  return (
    <Fieldset legend={`Values pulled from ${connector.title} that no map translates`} data-testid="pulled-unmapped">
      <Stack gap="xs">
        <Text size="sm">
          These came in pulls and were kept out of the CRM. Name the CRM value each one stands for and save: it is added to the value map, and the next pull (tick
          “Read everything again” on the connection) brings the records in.
        </Text>
        <div className="cb-table-wrap">
          <Table>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>CRM field</Table.Th>
                <Table.Th>{connector.title} value</Table.Th>
                <Table.Th>Why it was left out</Table.Th>
                <Table.Th>Seen</Table.Th>
                <Table.Th>CRM value</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((item) => (
                <Table.Tr key={keyOf(item)} className="cb-unmapped" data-testid="pulled-unmapped-row">
                  <Table.Td>{item.field}</Table.Td>
                  <Table.Td className="cb-mono">{item.value}</Table.Td>
                  <Table.Td>
                    <Text size="sm">{item.reason}</Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">
                      {item.seen} time{item.seen === 1 ? '' : 's'}, last {when(item.lastSeenAt)}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    {item.valueMap ? (
                      <Autocomplete
                        aria-label={`CRM ${words(item.valueMap)} for ${item.value}`}
                        data={Object.keys(mappings.valueMaps[item.valueMap] ?? {})}
                        value={crmValues[keyOf(item)] ?? ''}
                        onChange={(v) => setCrmValues({ ...crmValues, [keyOf(item)]: v })}
                        limit={50}
                        placeholder={`adds to ${words(item.valueMap)}`}
                      />
                    ) : (
                      <Text size="sm" c="dimmed">
                        no value map for this field
                      </Text>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </div>
        <Group>
          <Button onClick={submit} loading={save.isPending} disabled={!filled}>
            Add to the value maps
          </Button>
        </Group>
        <SaveState save={save} />
      </Stack>
    </Fieldset>
  )
}

/** Reference values the EMR lists under another name than the value map they fill. */
const REFERENCE_KIND_OF_MAP: Record<string, string> = { payerCode: 'payor' }

/**
 * The EMR codes to offer: values pulled from the EMR for that map (its reference lists), the
 * values the connector's catalog says the EMR accepts, and the codes the connector's defaults use.
 */
function suggestionsFor(map: string, connector: ConnectorInfo, references: ReferenceValue[]): { value: string; label: string }[] {
  const kind = REFERENCE_KIND_OF_MAP[map] ?? map
  const fromEmr = references.filter((r) => r.kind === kind).map((r) => ({ value: r.value, label: r.label === r.value ? r.value : `${r.label} (${r.value})` }))
  const fromCatalog = connector.fields.filter((f) => f.valueMap === map).flatMap((f) => (f.allowed ?? []).map((code) => ({ value: code, label: code })))
  const fromDefaults = [...new Set(Object.values((connector.defaults.valueMaps[map] ?? {}) as Record<string, string>))].map((code) => ({ value: code, label: code }))
  const seen = new Set<string>()
  return [...fromEmr, ...fromCatalog, ...fromDefaults].filter((s) => !seen.has(s.value) && seen.add(s.value))
}

function ValueMapTable({ map, rows, suggestions, onChange, onAdd }: { map: string; rows: ValueRow[]; suggestions: { value: string; label: string }[]; onChange(from: string, to: string): void; onAdd(from: string): void }) {
  const [newValue, setNewValue] = useState('')
  return (
    <Stack gap="xs">
      {rows.length > 0 ? (
        <Table>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>CRM value</Table.Th>
              <Table.Th>EMR code</Table.Th>
              <Table.Th>Seen in data</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((row) => (
              <Table.Tr key={row.from} className={row.seen && !row.to ? 'cb-unmapped' : undefined}>
                <Table.Td className="cb-mono">{row.from}</Table.Td>
                <Table.Td>
                  <Autocomplete
                    aria-label={`${words(map)} code for ${row.from}`}
                    data={suggestions.map((s) => s.value)}
                    renderOption={({ option }) => suggestions.find((s) => s.value === option.value)?.label ?? option.value}
                    value={row.to}
                    onChange={(v) => onChange(row.from, v)}
                    limit={50}
                    placeholder={row.seen ? 'not mapped' : undefined}
                  />
                </Table.Td>
                <Table.Td>
                  {row.seen ? (
                    <Badge color="yellow" variant="light">
                      {row.seen.count} record{row.seen.count === 1 ? '' : 's'} ({row.seen.source})
                    </Badge>
                  ) : null}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : (
        <Empty>No entries.</Empty>
      )}
      <Group align="end">
        <TextInput label={`New ${words(map)} value`} value={newValue} onChange={(e) => setNewValue(e.currentTarget.value)} size="xs" />
        <Button
          size="xs"
          variant="default"
          disabled={!newValue.trim()}
          onClick={() => {
            onAdd(newValue.trim())
            setNewValue('')
          }}
        >
          Add
        </Button>
      </Group>
    </Stack>
  )
}

const RULES = [
  { value: 'crm', label: 'CRM wins' },
  { value: 'emr', label: 'EMR wins' },
  { value: 'newest', label: 'Newest change wins' },
]

function Ownership({ id, mappings, crmFields }: { id: string; mappings: Mappings; crmFields: CrmFields }) {
  const [rule, setRule] = useState(mappings.ownership.default)
  const [fields, setFields] = useState(Object.entries(mappings.ownership.fields))
  const save = useSaveMappings(id)
  const fieldOptions = [{ value: '', label: 'Choose a field…' }, ...[...crmFields.fields, ...crmFields.customFields].map((f) => ({ value: f, label: f }))]
  return (
    <Stack>
      <Text size="sm">When a field changed on both sides since the last sync, its owner's value is kept and the other is logged as a conflict to review.</Text>
      <NativeSelect label="Default rule" data={RULES} value={rule} onChange={(e) => setRule(e.currentTarget.value)} maw={300} />
      <Table>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Field</Table.Th>
            <Table.Th>Rule</Table.Th>
            <Table.Th>
              <span className="sr-only">Remove</span>
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {fields.map(([field, r], i) => (
            <Table.Tr key={i}>
              <Table.Td>
                <NativeSelect aria-label={`Field of rule ${i + 1}`} data={fieldOptions} value={field} onChange={(e) => setFields(fields.map((f, j) => (j === i ? [e.currentTarget.value, f[1]] : f)))} />
              </Table.Td>
              <Table.Td>
                <NativeSelect aria-label={`Rule ${i + 1}`} data={RULES} value={r} onChange={(e) => setFields(fields.map((f, j) => (j === i ? [f[0], e.currentTarget.value] : f)))} />
              </Table.Td>
              <Table.Td>
                <ActionIcon variant="subtle" color="red" aria-label={`Remove rule ${i + 1}`} onClick={() => setFields(fields.filter((_, j) => j !== i))}>
                  ✕
                </ActionIcon>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Group>
        <Button variant="default" onClick={() => setFields([...fields, ['', 'crm']])}>
          Add a field rule
        </Button>
        <Button onClick={() => save.mutate({ ownership: { default: rule as 'crm' | 'emr' | 'newest', fields: Object.fromEntries(fields.filter(([f]) => f)) as Record<string, 'crm' | 'emr' | 'newest'> } })} loading={save.isPending}>
          Save ownership rules
        </Button>
      </Group>
      <SaveState save={save} />
    </Stack>
  )
}
