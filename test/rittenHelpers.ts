import { DEMO_RITTEN } from '../simulators/ritten/server.js'
import type { RunningHub } from './harness.js'

/** Adds a Ritten connection to the simulator at `simUrl` through the API, with the simulator's demo credentials. */
export async function connectRitten(hub: RunningHub, simUrl: string, name = 'Ritten test clinic'): Promise<{ id: string }> {
  const created = await hub.api('POST', '/api/connections', {
    connector: 'ritten',
    name,
    baseUrl: simUrl,
    settings: { clientId: DEMO_RITTEN.clientId, tenant: DEMO_RITTEN.tenant },
    credentials: { clientSecret: DEMO_RITTEN.clientSecret },
  })
  if (created.status !== 201) throw new Error(`Ritten connection refused: ${JSON.stringify(created.body)}`)
  return created.body
}
