import { useQuery, useQueryClient } from '@tanstack/react-query'
import { createContext, useContext, useEffect, type ReactNode } from 'react'
import { api, setCsrfToken, unwrap, whenSessionEnds } from './api/client'
import type { SessionInfo } from './api/types'

/**
 * Who is signed in. The API key is sent once, to POST /api/session, and forgotten; the hub keeps
 * the session behind an HttpOnly cookie, and the page keeps only the CSRF token, in memory.
 */
interface SessionState {
  session: SessionInfo | null
  loading: boolean
  signIn(key: string): Promise<void>
  signOut(): Promise<void>
}

const SessionContext = createContext<SessionState | null>(null)
const SESSION_KEY = ['session']

export function SessionProvider({ children }: { children: ReactNode }) {
  const client = useQueryClient()
  const query = useQuery({
    queryKey: SESSION_KEY,
    queryFn: async () => {
      const { data, response } = await api.GET('/api/session')
      if (response.status === 401) return null
      if (!response.ok || !data) throw new Error(`The hub answered ${response.status}`)
      return data
    },
    staleTime: Infinity,
    retry: false,
  })
  const session = query.data ?? null
  setCsrfToken(session?.csrfToken ?? null)

  useEffect(() => {
    whenSessionEnds(() => {
      setCsrfToken(null)
      client.setQueryData(SESSION_KEY, null)
    })
  }, [client])

  /** What one key was shown is not kept for the next (the session query itself stays observed). */
  const forgetOtherQueries = () => client.removeQueries({ predicate: (q) => q.queryKey[0] !== SESSION_KEY[0] })

  const state: SessionState = {
    session,
    loading: query.isPending,
    async signIn(key) {
      const info = await unwrap(api.POST('/api/session', { body: { key } }))
      setCsrfToken(info.csrfToken)
      forgetOtherQueries()
      client.setQueryData(SESSION_KEY, info)
    },
    async signOut() {
      await api.DELETE('/api/session')
      setCsrfToken(null)
      forgetOtherQueries()
      client.setQueryData(SESSION_KEY, null)
    },
  }
  return <SessionContext.Provider value={state}>{children}</SessionContext.Provider>
}

export function useSession(): SessionState {
  const state = useContext(SessionContext)
  if (!state) throw new Error('useSession outside SessionProvider')
  return state
}

export function useIsAdmin(): boolean {
  return useSession().session?.role === 'admin'
}
