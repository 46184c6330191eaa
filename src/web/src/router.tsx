import { Anchor, type AnchorProps } from '@mantine/core'
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react'

/**
 * A small router over the History API: real addresses (the hub answers any UI address with the
 * page), real links (open in a new tab, keyboard, screen readers), no dependency.
 */
interface Location {
  path: string
  query: URLSearchParams
}

const LocationContext = createContext<Location>({ path: '/', query: new URLSearchParams() })

function current(): Location {
  return { path: window.location.pathname, query: new URLSearchParams(window.location.search) }
}

export function RouterProvider({ children }: { children: ReactNode }) {
  const [location, setLocation] = useState(current)
  useEffect(() => {
    const update = () => setLocation(current())
    window.addEventListener('popstate', update)
    window.addEventListener('carebridge:navigate', update)
    return () => {
      window.removeEventListener('popstate', update)
      window.removeEventListener('carebridge:navigate', update)
    }
  }, [])
  return <LocationContext.Provider value={location}>{children}</LocationContext.Provider>
}

export function useLocation(): Location {
  return useContext(LocationContext)
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (options.replace) window.history.replaceState(null, '', to)
  else window.history.pushState(null, '', to)
  window.dispatchEvent(new Event('carebridge:navigate'))
  window.scrollTo(0, 0)
}

/** Matches `/connections/:id/mappings` against a path; the params, or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/').filter(Boolean)
  const have = path.split('/').filter(Boolean)
  if (want.length !== have.length) return null
  const params: Record<string, string> = {}
  for (let i = 0; i < want.length; i += 1) {
    const w = want[i]!
    const h = decodeURIComponent(have[i]!)
    if (w.startsWith(':')) params[w.slice(1)] = h
    else if (w !== h) return null
  }
  return params
}

export function Link({ to, children, ...props }: { to: string; children: ReactNode } & AnchorProps) {
  return (
    <Anchor
      href={to}
      onClick={(event: React.MouseEvent<HTMLAnchorElement>) => {
        if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return
        event.preventDefault()
        navigate(to)
      }}
      {...props}
    >
      {children}
    </Anchor>
  )
}

/** A query string from the set values only. */
export function queryString(values: Record<string, string | number | boolean | null | undefined>): string {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(values)) if (value !== undefined && value !== null && value !== '') params.set(key, String(value))
  const text = params.toString()
  return text ? `?${text}` : ''
}
