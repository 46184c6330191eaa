import { Badge, Button, Group, NavLink, Stack, Text, Title } from '@mantine/core'
import { useEffect, type ReactNode } from 'react'
import { Loading } from './components/states'
import { Link, match, navigate, useLocation } from './router'
import { useIsAdmin, useSession } from './session'
import { SignInPage } from './pages/SignIn'
import { ConnectionsPage } from './pages/Connections'
import { NewConnectionPage } from './pages/NewConnection'
import { ConnectionPage } from './pages/Connection'
import { MappingsPage } from './pages/Mappings'
import { LogPage } from './pages/Log'
import { ExchangePage } from './pages/Exchange'
import { NeedsAttentionPage } from './pages/NeedsAttention'
import { PatientsPage } from './pages/Patients'
import { PatientPage } from './pages/Patient'
import { NewPatientPage } from './pages/NewPatient'
import { ConflictsPage } from './pages/Conflicts'
import { AccountsPage } from './pages/Accounts'
import { AccountPage } from './pages/Account'
import { KeysPage } from './pages/Keys'
import { AuditPage } from './pages/Audit'
import { ReferralsPage } from './pages/Referrals'
import { ReferralPage } from './pages/Referral'

interface Route {
  pattern: string
  render: (params: Record<string, string>) => ReactNode
}

const routes: Route[] = [
  { pattern: '/connections', render: () => <ConnectionsPage /> },
  { pattern: '/connections/new', render: () => <NewConnectionPage /> },
  { pattern: '/connections/:id', render: (p) => <ConnectionPage id={p.id!} /> },
  { pattern: '/connections/:id/mappings', render: (p) => <MappingsPage id={p.id!} /> },
  { pattern: '/log', render: () => <LogPage /> },
  { pattern: '/log/:id', render: (p) => <ExchangePage id={p.id!} /> },
  { pattern: '/needs-attention', render: () => <NeedsAttentionPage /> },
  { pattern: '/patients', render: () => <PatientsPage /> },
  { pattern: '/patients/new', render: () => <NewPatientPage /> },
  { pattern: '/patients/:id', render: (p) => <PatientPage id={p.id!} /> },
  { pattern: '/conflicts', render: () => <ConflictsPage /> },
  { pattern: '/referrals', render: () => <ReferralsPage /> },
  { pattern: '/referrals/:id', render: (p) => <ReferralPage id={p.id!} /> },
  { pattern: '/accounts', render: () => <AccountsPage /> },
  { pattern: '/accounts/:id', render: (p) => <AccountPage id={p.id!} /> },
  { pattern: '/admin/keys', render: () => <KeysPage /> },
  { pattern: '/admin/audit', render: () => <AuditPage /> },
]

const NAV: { to: string; label: string; admin?: boolean }[] = [
  { to: '/connections', label: 'Connections', admin: true },
  { to: '/patients', label: 'Patients' },
  { to: '/accounts', label: 'Accounts' },
  { to: '/referrals', label: 'Referrals' },
  { to: '/needs-attention', label: 'Needs attention' },
  { to: '/conflicts', label: 'Conflicts' },
  { to: '/log', label: 'Integration log' },
  { to: '/admin/keys', label: 'API keys', admin: true },
  { to: '/admin/audit', label: 'Audit trail', admin: true },
]

export function App() {
  const { session, loading, signOut } = useSession()
  const admin = useIsAdmin()
  const { path } = useLocation()
  if (loading) return <Loading label="Starting…" />
  if (!session) return <SignInPage />

  if (path === '/' || path === '/sign-in') return <Redirect to={admin ? '/connections' : '/patients'} />
  // First match wins: `/connections/new` is listed before `/connections/:id`.
  const found = routes.map((r) => ({ route: r, params: match(r.pattern, path) })).find((m) => m.params)

  // A plain grid rather than Mantine's AppShell: AppShell writes a <style> tag at run time, which the CSP refuses.
  return (
    <div className="cb-shell">
      <header className="cb-header">
        <Group h="100%" px="md" justify="space-between">
          <Title order={1} size="h3">
            carebridge
          </Title>
          <Group gap="sm">
            <Text size="sm" data-testid="signed-in-as">
              {session.name}
            </Text>
            <Badge variant="light" color={admin ? 'blue' : 'gray'} data-testid="role">
              {session.role}
            </Badge>
            <Button variant="default" size="xs" onClick={() => void signOut()}>
              Sign out
            </Button>
          </Group>
        </Group>
      </header>
      <nav className="cb-nav" aria-label="Main">
        <Stack gap={2} p="xs">
          {NAV.filter((n) => admin || !n.admin).map((n) => (
            <NavLink
              key={n.to}
              href={n.to}
              label={n.label}
              active={path === n.to || path.startsWith(`${n.to}/`)}
              onClick={(event) => {
                event.preventDefault()
                navigate(n.to)
              }}
            />
          ))}
        </Stack>
      </nav>
      <main className="cb-main">{found ? found.route.render(found.params!) : <NotFound />}</main>
    </div>
  )
}

/** Goes to another address after rendering (changing the address while rendering would update the router mid-render). */
function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to])
  return null
}

function NotFound() {
  return (
    <Stack>
      <Title order={2}>Page not found</Title>
      <Text>
        There is no page here. <Link to="/">Go to the start page</Link>.
      </Text>
    </Stack>
  )
}
