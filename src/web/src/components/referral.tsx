import { Badge } from '@mantine/core'

const STATUS: Record<string, { color: string; label: string }> = {
  open: { color: 'blue', label: 'open' },
  accepted: { color: 'green', label: 'accepted' },
  converted: { color: 'teal', label: 'converted to a patient' },
}

/** A referral's state in the CRM: open (the network's updates still apply), accepted, or converted. */
export function ReferralStatus({ status }: { status: string }) {
  const shown = STATUS[status] ?? { color: 'gray', label: status }
  return (
    <Badge color={shown.color} variant="light" data-testid="referral-status">
      {shown.label}
    </Badge>
  )
}

/** A value at a dotted path (`registrant.address.city`) of a referral's fields. */
export function atPath(fields: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, part) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined), fields)
}

export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}
