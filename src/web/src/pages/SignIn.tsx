import { Alert, Button, Center, Paper, PasswordInput, Stack, Text, Title } from '@mantine/core'
import { useState } from 'react'
import { messageOf } from '../api/client'
import { useSession } from '../session'

/** Sign in with an API key; the key goes to the hub once and is not kept by the page. */
export function SignInPage() {
  const { signIn } = useSession()
  const [key, setKey] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  return (
    <Center mih="100vh">
      <Paper withBorder p="xl" w={420} component="main">
        <form
          onSubmit={(event) => {
            event.preventDefault()
            setBusy(true)
            setError(null)
            signIn(key)
              .then(() => setKey(''))
              .catch((err) => setError(messageOf(err)))
              .finally(() => setBusy(false))
          }}
        >
          <Stack>
            <Title order={1} size="h2">
              Sign in to carebridge
            </Title>
            <Text size="sm" c="dimmed">
              Use an API key: an admin key manages connections and mappings, a staff key works with patients. In demo mode,
              the start-up output of <code>npm start</code> prints the admin key.
            </Text>
            <PasswordInput label="API key" value={key} onChange={(e) => setKey(e.currentTarget.value)} required autoComplete="off" autoFocus />
            {error && (
              <Alert color="red" role="alert" data-testid="error">
                {error}
              </Alert>
            )}
            <Button type="submit" loading={busy}>
              Sign in
            </Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  )
}
