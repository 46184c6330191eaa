import { Badge, Button, Checkbox, Group, JsonInput, NativeSelect, NumberInput, PasswordInput, Stack, Switch, TagsInput, Text, TextInput } from '@mantine/core'
import { useQuery } from '@tanstack/react-query'
import { useState } from 'react'
import { api, unwrap } from '../api/client'
import { describeSchedule } from './schedule'
import { words } from './format'

/**
 * A form rendered from a connector's JSON Schema (GET /api/connectors): no form is written per
 * EMR, so a connector added to the registry gets its settings screen for free.
 */
export interface JsonSchema {
  type?: string | string[]
  properties?: Record<string, JsonSchema>
  required?: string[]
  description?: string
  title?: string
  default?: unknown
  enum?: unknown[]
  format?: string
  minimum?: number
  maximum?: number
  items?: JsonSchema
}

export type FormValues = Record<string, unknown>

interface Props {
  schema: JsonSchema
  values: FormValues
  onChange(values: FormValues): void
  /** Credentials: typed values are never shown back; those already set can be replaced. */
  secret?: boolean
  /** Which secrets the connection already has (edit form). */
  alreadySet?: Record<string, 'set'>
  /** Keys the hub fills itself (not asked for). */
  skip?: string[]
  disabled?: boolean
  /** `settings.fieldname` → the hub's message, shown under that field. */
  errors?: Record<string, string>
  prefix: string
}

export function SchemaForm({ schema, values, onChange, secret, alreadySet, skip = [], disabled, errors = {}, prefix }: Props) {
  const properties = Object.entries(schema.properties ?? {}).filter(([key]) => !skip.includes(key))
  // Credentials the hub made itself: not asked for, but the admin sees that they are there.
  const made = skip.filter((key) => alreadySet?.[key] === 'set')
  const madeNote =
    made.length > 0 ? (
      <Text size="sm" c="dimmed" data-testid="made-by-hub">
        Made by the hub: {made.map((key) => schema.properties?.[key]?.title ?? words(key)).join(', ')} (set).
      </Text>
    ) : null
  if (properties.length === 0) return madeNote ?? <Text c="dimmed">Nothing to fill in.</Text>
  const required = new Set(schema.required ?? [])
  const set = (key: string, value: unknown) => {
    const next = { ...values }
    if (value === undefined || value === '') delete next[key]
    else next[key] = value
    onChange(next)
  }
  return (
    <Stack gap="sm">
      {madeNote}
      {properties.map(([key, property]) => (
        <SchemaField
          key={key}
          name={key}
          property={property}
          value={values[key]}
          onChange={(v) => set(key, v)}
          required={required.has(key) && property.default === undefined && !alreadySet?.[key]}
          secret={secret}
          isSet={alreadySet?.[key] === 'set'}
          disabled={disabled}
          error={errors[`${prefix}.${key}`]}
        />
      ))}
    </Stack>
  )
}

interface FieldProps {
  name: string
  property: JsonSchema
  value: unknown
  onChange(value: unknown): void
  required: boolean
  secret?: boolean
  isSet: boolean
  disabled?: boolean
  error?: string
}

function SchemaField({ name, property, value, onChange, required, secret, isSet, disabled, error }: FieldProps) {
  const label = property.title ?? words(name).replace(/^./, (c) => c.toUpperCase())
  const common = { label, description: property.description, required, disabled, error }
  const type = Array.isArray(property.type) ? property.type.find((t) => t !== 'null') : property.type

  // `crmsConnectionId`: another connection of that connector, chosen by name rather than typed as an id.
  const linked = /^([a-z]+)ConnectionId$/.exec(name)
  if (linked && type === 'string') {
    const kind = linked[1]!
    return <ConnectionSelect {...common} label={property.title ?? `${kind.toUpperCase()} connection`} connector={kind} value={value as string | undefined} onChange={onChange} />
  }
  if (secret && type === 'string') return <SecretField {...common} isSet={isSet} value={value as string | undefined} onChange={onChange} />
  if (property.enum && property.enum.every((v) => typeof v === 'string')) {
    const options = property.enum as string[]
    return (
      <NativeSelect
        {...common}
        data={[{ value: '', label: property.default !== undefined ? `(default: ${words(String(property.default))})` : '—' }, ...options.map((o) => ({ value: o, label: words(o) }))]}
        value={(value as string | undefined) ?? ''}
        onChange={(e) => onChange(e.currentTarget.value || undefined)}
      />
    )
  }
  if (type === 'boolean' && property.default === undefined) {
    // No default in the schema: the connector decides when it is left unset (its description says how), so "unset" is a choice of its own.
    return (
      <NativeSelect
        {...common}
        data={[
          { value: '', label: '(not set: as described)' },
          { value: 'true', label: 'on' },
          { value: 'false', label: 'off' },
        ]}
        value={value === true ? 'true' : value === false ? 'false' : ''}
        onChange={(e) => onChange(e.currentTarget.value === '' ? undefined : e.currentTarget.value === 'true')}
      />
    )
  }
  if (type === 'boolean') {
    const checked = (value as boolean | undefined) ?? (property.default as boolean | undefined) ?? false
    return <Switch label={label} description={property.description} checked={checked} disabled={disabled} error={error} onChange={(e) => onChange(e.currentTarget.checked)} />
  }
  if (type === 'integer' || type === 'number') {
    return (
      <NumberInput
        {...common}
        placeholder={property.default !== undefined ? String(property.default) : undefined}
        min={property.minimum}
        max={property.maximum}
        allowDecimal={type === 'number'}
        value={(value as number | undefined) ?? ''}
        onChange={(v) => onChange(typeof v === 'number' ? v : undefined)}
      />
    )
  }
  if (type === 'array' && property.items?.enum) {
    const chosen = (value as string[] | undefined) ?? (property.default as string[] | undefined) ?? []
    return (
      <Checkbox.Group {...common} value={chosen} onChange={(v) => onChange(v)}>
        <Group mt={4}>
          {(property.items.enum as string[]).map((option) => (
            <Checkbox key={option} value={option} label={words(option)} disabled={disabled} />
          ))}
        </Group>
      </Checkbox.Group>
    )
  }
  if (type === 'array') {
    return <TagsInput {...common} value={(value as string[] | undefined) ?? []} onChange={(v) => onChange(v.length ? v : undefined)} />
  }
  if (type === 'string') {
    const text = (value as string | undefined) ?? ''
    // The engine reads `pullSchedule` as the connection's cron: show it in words as it is typed.
    const schedule = name === 'pullSchedule' ? describeSchedule(text || (property.default as string | undefined) || '') : null
    return (
      <Stack gap={2}>
        <TextInput
          {...common}
          type={property.format === 'uri' ? 'url' : 'text'}
          placeholder={property.default !== undefined ? String(property.default) : undefined}
          value={text}
          onChange={(e) => onChange(e.currentTarget.value)}
        />
        {schedule && (
          <Text size="sm" c={schedule.ok ? 'dimmed' : 'red'} data-testid="schedule-words">
            {schedule.text}
          </Text>
        )}
      </Stack>
    )
  }
  return <JsonField {...common} value={value} onChange={onChange} />
}

function ConnectionSelect({ connector, value, onChange, ...common }: { label: string; description?: string; required: boolean; disabled?: boolean; error?: string; connector: string; value: string | undefined; onChange(v: unknown): void }) {
  const connections = useQuery({ queryKey: ['connections'], queryFn: () => unwrap(api.GET('/api/connections')) })
  const options = (connections.data?.items ?? []).filter((c) => c.connector === connector)
  return (
    <NativeSelect
      {...common}
      data={[{ value: '', label: options.length ? '—' : `No ${connector.toUpperCase()} connection yet: add one first` }, ...options.map((c) => ({ value: c.id, label: c.name }))]}
      value={value ?? ''}
      onChange={(e) => onChange(e.currentTarget.value || undefined)}
    />
  )
}

function SecretField({ label, description, required, disabled, error, isSet, value, onChange }: { label: string; description?: string; required: boolean; disabled?: boolean; error?: string; isSet: boolean; value: string | undefined; onChange(v: unknown): void }) {
  const [replacing, setReplacing] = useState(!isSet)
  if (!replacing) {
    return (
      <Group gap="sm" align="end">
        <Stack gap={2}>
          <Text size="sm" fw={500}>
            {label}
          </Text>
          <Badge color="green" variant="light" data-testid={`secret-${label}`}>
            set
          </Badge>
        </Stack>
        <Button variant="default" size="xs" disabled={disabled} onClick={() => setReplacing(true)}>
          Replace {label.toLowerCase()}
        </Button>
      </Group>
    )
  }
  return (
    <PasswordInput
      label={label}
      description={description ?? (isSet ? 'Write-only: the value set now is never shown' : 'Write-only: stored encrypted, never shown again')}
      required={required}
      disabled={disabled}
      error={error}
      autoComplete="new-password"
      value={value ?? ''}
      onChange={(e) => onChange(e.currentTarget.value)}
    />
  )
}

function JsonField({ label, description, required, disabled, error, value, onChange }: { label: string; description?: string; required: boolean; disabled?: boolean; error?: string; value: unknown; onChange(v: unknown): void }) {
  const [text, setText] = useState(value === undefined ? '' : JSON.stringify(value, null, 2))
  return (
    <JsonInput
      label={label}
      description={description ?? 'JSON'}
      required={required}
      disabled={disabled}
      error={error}
      validationError="Not valid JSON"
      formatOnBlur
      autosize
      minRows={2}
      value={text}
      onChange={(next) => {
        setText(next)
        try {
          onChange(next.trim() ? JSON.parse(next) : undefined)
        } catch {
          // kept as text until it parses
        }
      }}
    />
  )
}
