import { Stack, Title } from '@mantine/core'
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, unwrap } from '../api/client'
import type { PatientInput } from '../api/types'
import { PatientForm } from '../components/PatientForm'
import { navigate } from '../router'

/** Create a patient; it is pushed to every enabled EMR, and its profile shows the links forming. */
export function NewPatientPage() {
  const client = useQueryClient()
  const create = useMutation({
    mutationFn: (body: Partial<PatientInput>) => unwrap(api.POST('/api/patients', { body: body as PatientInput })),
    onSuccess: (created) => {
      client.setQueryData(['patient', created.id], created)
      void client.invalidateQueries({ queryKey: ['patients'] })
      navigate(`/patients/${created.id}`)
    },
  })
  return (
    <Stack maw={900}>
      <Title order={2}>New patient</Title>
      <PatientForm initial={null} submitLabel="Create patient" onSubmit={(body) => create.mutate(body)} busy={create.isPending} error={create.error} />
    </Stack>
  )
}
