import { ActionIcon, Button, Fieldset, Group, NativeSelect, Stack, Table, TextInput } from '@mantine/core'
import { useQuery } from '@tanstack/react-query'
import { useState } from 'react'
import { api, unwrap } from '../api/client'
import type { Account, AccountInput } from '../api/types'
import { words } from './format'
import { ErrorAlert } from './states'

type Policy = { payerCode: string; payerName: string; memberId: string; groupNumber: string; priority: string; relationship: string }

const blank: Policy = { payerCode: '', payerName: '', memberId: '', groupNumber: '', priority: 'primary', relationship: '' }

/** A parent account and its insurance policies (F2). */
export function AccountForm({ initial, submitLabel, onSubmit, busy, error }: { initial: Account | null; submitLabel: string; onSubmit(body: AccountInput): void; busy: boolean; error: unknown }) {
  const crm = useQuery({ queryKey: ['crm-fields'], queryFn: () => unwrap(api.GET('/api/crm-fields')) })
  const [name, setName] = useState(initial?.name ?? '')
  const [email, setEmail] = useState(initial?.email ?? '')
  const [phone, setPhone] = useState(initial?.phone ?? '')
  const [policies, setPolicies] = useState<Policy[]>(
    initial?.insurances.map((i) => ({ payerCode: i.payerCode, payerName: i.payerName ?? '', memberId: i.memberId, groupNumber: i.groupNumber ?? '', priority: i.priority, relationship: i.subscriber?.relationship ?? '' })) ?? [],
  )
  const set = (i: number, part: Partial<Policy>) => setPolicies(policies.map((p, j) => (j === i ? { ...p, ...part } : p)))
  const options = (list: string | undefined, values: string[] | undefined) => [...(list === undefined ? [] : [{ value: '', label: list }]), ...(values ?? []).map((v) => ({ value: v, label: words(v) }))]
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault()
        onSubmit({
          name,
          email: email.trim() || null,
          phone: phone.trim() || null,
          insurances: policies.map((p) => ({
            payerCode: p.payerCode.trim(),
            payerName: p.payerName.trim() || null,
            memberId: p.memberId.trim(),
            groupNumber: p.groupNumber.trim() || null,
            priority: p.priority as 'primary',
            ...(p.relationship ? { subscriber: { relationship: p.relationship as 'self' } } : {}),
          })),
        } as AccountInput)
      }}
    >
      <Stack>
        <TextInput label="Name" required value={name} onChange={(e) => setName(e.currentTarget.value)} />
        <Group grow>
          <TextInput label="Email" type="email" value={email} onChange={(e) => setEmail(e.currentTarget.value)} />
          <TextInput label="Phone" value={phone} onChange={(e) => setPhone(e.currentTarget.value)} />
        </Group>
        <Fieldset legend="Insurance policies">
          <Table data-testid="policies">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Payer code</Table.Th>
                <Table.Th>Payer name</Table.Th>
                <Table.Th>Member id</Table.Th>
                <Table.Th>Group</Table.Th>
                <Table.Th>Priority</Table.Th>
                <Table.Th>Subscriber</Table.Th>
                <Table.Th>
                  <span className="sr-only">Remove</span>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {policies.map((p, i) => (
                <Table.Tr key={i}>
                  <Table.Td>
                    <TextInput aria-label={`Payer code of policy ${i + 1}`} required value={p.payerCode} onChange={(e) => set(i, { payerCode: e.currentTarget.value })} />
                  </Table.Td>
                  <Table.Td>
                    <TextInput aria-label={`Payer name of policy ${i + 1}`} value={p.payerName} onChange={(e) => set(i, { payerName: e.currentTarget.value })} />
                  </Table.Td>
                  <Table.Td>
                    <TextInput aria-label={`Member id of policy ${i + 1}`} required value={p.memberId} onChange={(e) => set(i, { memberId: e.currentTarget.value })} />
                  </Table.Td>
                  <Table.Td>
                    <TextInput aria-label={`Group number of policy ${i + 1}`} value={p.groupNumber} onChange={(e) => set(i, { groupNumber: e.currentTarget.value })} />
                  </Table.Td>
                  <Table.Td>
                    <NativeSelect aria-label={`Priority of policy ${i + 1}`} data={options(undefined, crm.data?.picklists.insurancePriority ?? ['primary'])} value={p.priority} onChange={(e) => set(i, { priority: e.currentTarget.value })} />
                  </Table.Td>
                  <Table.Td>
                    <NativeSelect aria-label={`Subscriber relationship of policy ${i + 1}`} data={options('—', crm.data?.picklists.subscriberRelationship)} value={p.relationship} onChange={(e) => set(i, { relationship: e.currentTarget.value })} />
                  </Table.Td>
                  <Table.Td>
                    <ActionIcon variant="subtle" color="red" aria-label={`Remove policy ${i + 1}`} onClick={() => setPolicies(policies.filter((_, j) => j !== i))}>
                      ✕
                    </ActionIcon>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          <Button variant="default" size="xs" mt="xs" onClick={() => setPolicies([...policies, { ...blank, priority: policies.length === 0 ? 'primary' : 'secondary' }])}>
            Add a policy
          </Button>
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
