import '@mantine/core/styles.css'
import './app.css'
import { MantineProvider } from '@mantine/core'
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './App'
import { RouterProvider } from './router'
import { SessionProvider } from './session'
import { ApiError } from './api/client'

const queries = new QueryClient({
  defaultOptions: {
    // A refusal (4xx) will not change by asking again; a network hiccup may.
    queries: { retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 2, refetchOnWindowFocus: false },
  },
})

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    {/* No <style> tags at run time (the CSP allows only the hub's own stylesheet): the theme's variables come from styles.css. */}
    <MantineProvider withCssVariables={false} withGlobalClasses={false} forceColorScheme="light">
      <QueryClientProvider client={queries}>
        <RouterProvider>
          <SessionProvider>
            <App />
          </SessionProvider>
        </RouterProvider>
      </QueryClientProvider>
    </MantineProvider>
  </StrictMode>,
)
