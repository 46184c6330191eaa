import { SegmentedControl, Stack, Title } from '@mantine/core'
import { useQueries, useQuery } from '@tanstack/react-query'
import { useState } from 'react'
import { api, unwrap } from '../api/client'
import { Empty, QueryView } from '../components/states'
import { ConflictCard } from './Patient'

/** Fields changed on both sides (F16): each beside the value the patient holds now, to keep or overturn. */
export function ConflictsPage() {
  const [open, setOpen] = useState<'true' | 'false'>('true')
  const conflicts = useQuery({ queryKey: ['conflicts', { open }], queryFn: () => unwrap(api.GET('/api/conflicts', { params: { query: { open, limit: 100 } } })) })
  const patientIds = [...new Set(conflicts.data?.items.map((c) => c.patientId) ?? [])]
  const patients = useQueries({ queries: patientIds.map((id) => ({ queryKey: ['patient', id], queryFn: () => unwrap(api.GET('/api/patients/{id}', { params: { path: { id } } })) })) })
  const byId = new Map(patients.flatMap((p) => (p.data ? [[p.data.id, p.data]] : [])))
  return (
    <Stack>
      <Title order={2}>Conflicts</Title>
      <SegmentedControl
        aria-label="Which conflicts"
        value={open}
        onChange={(v) => setOpen(v as typeof open)}
        data={[
          { value: 'true', label: 'To review' },
          { value: 'false', label: 'Reviewed' },
        ]}
      />
      <QueryView query={conflicts}>
        {({ items }) =>
          items.length === 0 ? (
            <Empty>{open === 'true' ? 'No conflict waits for review.' : 'No conflict has been reviewed yet.'}</Empty>
          ) : (
            items.map((c) => {
              const patient = byId.get(c.patientId)
              const current = patient ? c.field.split('.').reduce<unknown>((v, part) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined), patient) : undefined
              return <ConflictCard key={c.id} conflict={c} current={current} patientName={patient ? `${patient.firstName} ${patient.lastName}` : 'Patient'} />
            })
          )
        }
      </QueryView>
    </Stack>
  )
}
