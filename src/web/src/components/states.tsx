import { Alert, Center, Code, Loader, Text } from '@mantine/core'
import type { UseQueryResult } from '@tanstack/react-query'
import type { ReactNode } from 'react'
import { messageOf } from '../api/client'
import { useIsAdmin } from '../session'

/** Every page shows loading, error and empty states the same way; an API error shows its message. */
export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <Center py="lg" role="status" aria-live="polite">
      <Loader size="sm" aria-hidden />
      <Text ml="sm" c="dimmed">
        {label}
      </Text>
    </Center>
  )
}

export function ErrorAlert({ error, title = 'The hub refused' }: { error: unknown; title?: string }) {
  return (
    <Alert color="red" title={title} role="alert" data-testid="error">
      {messageOf(error)}
    </Alert>
  )
}

export function Empty({ children }: { children: ReactNode }) {
  return (
    <Text c="dimmed" py="md" data-testid="empty">
      {children}
    </Text>
  )
}

/** Renders a query's data, or its loading / error state. */
export function QueryView<T>({ query, children, loading }: { query: UseQueryResult<T>; children: (data: T) => ReactNode; loading?: string }) {
  if (query.isPending) return <Loading label={loading} />
  if (query.isError) return <ErrorAlert error={query.error} title="Could not load" />
  return <>{children(query.data)}</>
}

/** Pages only an admin may use: a staff session is told so, and shown nothing else. */
export function AdminOnly({ children }: { children: ReactNode }) {
  if (!useIsAdmin()) {
    return (
      <Alert color="yellow" title="Admins only" role="alert" data-testid="admin-only">
        This page needs an admin API key. Sign in with one to manage connections, mappings and keys.
      </Alert>
    )
  }
  return <>{children}</>
}

export function Json({ value, label }: { value: unknown; label: string }) {
  if (value === null || value === undefined) return <Empty>No body.</Empty>
  const text = typeof value === 'string' ? value : JSON.stringify(value, null, 2)
  return (
    <Code block aria-label={label} data-testid={label.replace(/\s+/g, '-').toLowerCase()}>
      {text}
    </Code>
  )
}
