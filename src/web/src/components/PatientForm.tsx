import { ActionIcon, Autocomplete, Button, Fieldset, Group, NativeSelect, Stack, TextInput } from '@mantine/core'
import { useQueries, useQuery } from '@tanstack/react-query'
import { useState } from 'react'
import { ApiError, api, unwrap } from '../api/client'
import type { Patient, PatientInput } from '../api/types'
import { words } from './format'
import { ErrorAlert } from './states'

/** The patient form, shared by create and edit; picklists come from the hub, dropdowns from what EMRs sent. */
export type PatientValues = Record<string, string>

const TEXT_FIELDS = ['firstName', 'middleName', 'lastName', 'preferredName'] as const
const PICKLISTS = ['gender', 'maritalStatus', 'birthSex', 'race', 'ethnicity', 'paymentMethod'] as const
const ADDRESS = ['line1', 'line2', 'city', 'state', 'postalCode', 'country'] as const

export function valuesOf(patient: Patient | null): { values: PatientValues; custom: [string, string][] } {
  const values: PatientValues = {}
  if (patient) {
    for (const [key, value] of Object.entries(patient)) if (typeof value === 'string') values[key] = value
    for (const part of ADDRESS) {
      const v = patient.address?.[part]
      if (v) values[`address.${part}`] = v
    }
  }
  return { values, custom: Object.entries(patient?.customFields ?? {}).map(([k, v]) => [k, v === null ? '' : String(v)]) }
}

/** The body to send: for a create, the filled fields; for an edit, only what changed (cleared ones as null). */
export function bodyOf(values: PatientValues, custom: [string, string][], before: Patient | null): Partial<PatientInput> {
  const body: Record<string, unknown> = {}
  const beforeValues = valuesOf(before).values
  const address: Record<string, string | null> = {}
  let addressChanged = false
  for (const part of ADDRESS) {
    const v = values[`address.${part}`]?.trim() ?? ''
    address[part] = v || null
    if ((beforeValues[`address.${part}`] ?? '') !== v) addressChanged = true
  }
  for (const [key, raw] of Object.entries(values)) {
    if (key.startsWith('address.')) continue
    const v = raw.trim()
    if (!before) {
      if (v) body[key] = v
    } else if ((beforeValues[key] ?? '') !== v) body[key] = v || null
  }
  if (addressChanged) body.address = address
  const customFields = Object.fromEntries(custom.filter(([k]) => k.trim()).map(([k, v]) => [k.trim(), v]))
  if (!before ? Object.keys(customFields).length > 0 : JSON.stringify(customFields) !== JSON.stringify(before.customFields ?? {})) body.customFields = customFields
  return body as Partial<PatientInput>
}

export function PatientForm({ initial, submitLabel, onSubmit, busy, error }: { initial: Patient | null; submitLabel: string; onSubmit(body: Partial<PatientInput>): void; busy: boolean; error: unknown }) {
  const start = valuesOf(initial)
  const [values, setValues] = useState<PatientValues>(start.values)
  const [custom, setCustom] = useState<[string, string][]>(start.custom)
  const crm = useQuery({ queryKey: ['crm-fields'], queryFn: () => unwrap(api.GET('/api/crm-fields')) })
  const accounts = useQuery({ queryKey: ['accounts', 'all'], queryFn: () => unwrap(api.GET('/api/accounts', { params: { query: { limit: 500 } } })) })
  const programs = useChoices('program')
  const locations = useChoices('location')
  const careLevels = useChoices('care_level', null, true)
  const referrers = useChoices('referrer', 'referrer', true)
  const fieldError = error instanceof ApiError && error.field ? error : null
  const err = (field: string) => (fieldError && (fieldError.field === field || fieldError.field?.startsWith(`${field}.`)) ? fieldError.message : undefined)
  const text = (field: string, label = words(field).replace(/^./, (c) => c.toUpperCase()), extra: Record<string, unknown> = {}) => (
    <TextInput key={field} label={label} value={values[field] ?? ''} onChange={(e) => setValues({ ...values, [field]: e.currentTarget.value })} error={err(field)} {...extra} />
  )
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault()
        onSubmit(bodyOf(values, custom, initial))
      }}
    >
      <Stack>
        <Fieldset legend="Person">
          <div className="cb-grid-2">
            {TEXT_FIELDS.map((f) => text(f, undefined, f === 'firstName' || f === 'lastName' ? { required: true } : {}))}
            {text('dob', 'Date of birth', { type: 'date' })}
            {text('language')}
            {PICKLISTS.map((f) => (
              <NativeSelect
                key={f}
                label={words(f).replace(/^./, (c) => c.toUpperCase())}
                data={[{ value: '', label: '—' }, ...(crm.data?.picklists[f] ?? (values[f] ? [values[f]] : [])).map((v) => ({ value: v, label: words(v) }))]}
                value={values[f] ?? ''}
                onChange={(e) => setValues({ ...values, [f]: e.currentTarget.value })}
                error={err(f)}
              />
            ))}
          </div>
        </Fieldset>
        <Fieldset legend="Contact">
          <div className="cb-grid-2">
            {text('phone')}
            {text('alternatePhone')}
            {text('email', 'Email', { type: 'email' })}
            {ADDRESS.map((part) => text(`address.${part}`, `Address ${words(part)}`))}
          </div>
        </Fieldset>
        <Fieldset legend="Care">
          <div className="cb-grid-2">
            {text('admissionDate', 'Admission date', { type: 'date' })}
            {text('dischargeDate', 'Discharge date', { type: 'date' })}
            <ChoiceInput label="Program" description="Programs mapped or pulled from the EMRs" choices={programs} value={values.programId ?? ''} onChange={(v) => setValues({ ...values, programId: v })} error={err('programId')} />
            <ChoiceInput label="Location" description="Locations mapped or pulled from the EMRs" choices={locations} value={values.locationId ?? ''} onChange={(v) => setValues({ ...values, locationId: v })} error={err('locationId')} />
            <ChoiceInput label="Level of care" description="Levels of care pulled from the EMRs" choices={careLevels} value={values.levelOfCare ?? ''} onChange={(v) => setValues({ ...values, levelOfCare: v })} error={err('levelOfCare')} />
            <ChoiceInput label="Referrer" description="Referrers mapped or pulled from the EMRs" choices={referrers} value={values.referrerName ?? ''} onChange={(v) => setValues({ ...values, referrerName: v })} error={err('referrerName')} />
            {text('firstContactName', 'First contact')}
            <NativeSelect
              label="Parent account"
              data={[{ value: '', label: '—' }, ...(accounts.data?.items ?? []).map((a) => ({ value: a.id, label: a.name }))]}
              value={values.accountId ?? ''}
              onChange={(e) => setValues({ ...values, accountId: e.currentTarget.value })}
              error={err('accountId')}
            />
          </div>
        </Fieldset>
        <Fieldset legend="Custom fields">
          <Stack gap="xs">
            {custom.map(([k, v], i) => (
              <Group key={i} align="end">
                <TextInput label="Name" value={k} onChange={(e) => setCustom(custom.map((c, j) => (j === i ? [e.currentTarget.value, c[1]] : c)))} />
                <TextInput label="Value" value={v} onChange={(e) => setCustom(custom.map((c, j) => (j === i ? [c[0], e.currentTarget.value] : c)))} />
                <ActionIcon variant="subtle" color="red" aria-label={`Remove custom field ${k || i + 1}`} onClick={() => setCustom(custom.filter((_, j) => j !== i))}>
                  ✕
                </ActionIcon>
              </Group>
            ))}
            <Group>
              <Button variant="default" size="xs" onClick={() => setCustom([...custom, ['', '']])}>
                Add a custom field
              </Button>
            </Group>
          </Stack>
        </Fieldset>
        {Boolean(error) && <ErrorAlert error={error} title="Not saved" />}
        <Group>
          <Button type="submit" loading={busy}>
            {submitLabel}
          </Button>
        </Group>
      </Stack>
    </form>
  )
}

/** Free text with suggestions, each shown with its label (an EMR's name for it). */
export function ChoiceInput({ choices, ...props }: { label: string; description?: string; choices: { value: string; label: string }[]; value: string; onChange(v: string): void; error?: string }) {
  const labels = new Map(choices.map((c) => [c.value, c.label]))
  return <Autocomplete {...props} data={choices.map((c) => c.value)} renderOption={({ option }) => labels.get(option.value) ?? option.value} limit={50} />
}

/**
 * Suggestions for a field fed by EMR reference lists: the CRM values the connections' value maps
 * name, and what EMR pulls brought. Program and location hold an id (the pulled value); level of
 * care and referrer hold a name (the pulled label).
 */
function useChoices(kind: 'program' | 'location' | 'care_level' | 'referrer', valueMap: string | null = kind, byLabel = false): { value: string; label: string }[] {
  const connections = useQuery({ queryKey: ['connections'], queryFn: () => unwrap(api.GET('/api/connections')) })
  const ids = connections.data?.items.map((c) => c.id) ?? []
  const mappings = useQueries({ queries: ids.map((id) => ({ queryKey: ['mappings', id], queryFn: () => unwrap(api.GET('/api/connections/{id}/mappings', { params: { path: { id } } })) })) })
  const pulled = useQueries({ queries: ids.map((id) => ({ queryKey: ['reference-values', id], queryFn: () => unwrap(api.GET('/api/connections/{id}/reference-values', { params: { path: { id } } })) })) })
  const choices = new Map<string, string>()
  if (valueMap) for (const m of mappings) for (const key of Object.keys(m.data?.valueMaps[valueMap] ?? {})) choices.set(key, key)
  pulled.forEach((p, i) => {
    const name = connections.data?.items[i]?.name ?? ''
    for (const r of p.data?.items ?? []) {
      const value = byLabel ? r.label : r.value
      if (r.kind === kind && !choices.has(value)) choices.set(value, `${r.label} (${name})`)
    }
  })
  return [...choices].map(([value, label]) => ({ value, label }))
}
