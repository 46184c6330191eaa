import type { Db } from '../db/database.js'
import type { ConnectorContext } from '../connectors/connector.js'
import type { RunnableConnection } from '../connections/connections.js'
import { createRecordingHttp } from '../exchanges/recorder.js'
import type { HeldExchanges } from '../exchanges/held.js'
import type { SecretBox } from '../security/secrets.js'
import { createPacer } from './rateLimiter.js'
import { circuitFor, withCircuit, type CircuitPolicy } from './circuit.js'
import { createTokenStore } from './tokenStore.js'

/**
 * The context a connector runs in: its connection, the recording HTTP door with pacing, the token
 * store. `held`: the job's exchanges wait for its next write (a push's; see HeldExchanges).
 */
export function buildConnectorContext(
  deps: { db: Db; box: SecretBox; httpTimeoutMs: number; circuit?: CircuitPolicy; unpaced?: readonly string[] },
  connection: RunnableConnection,
  scope: { organizationId: string; syncJobId: string | null; recordType: string | null; recordId: string | null; attempt: number },
  held?: HeldExchanges,
): ConnectorContext<unknown, unknown> {
  const { row, connector } = connection
  const policy = deps.unpaced?.includes(connector.kind) ? undefined : typeof connector.rateLimit === 'function' ? connector.rateLimit(connection.settings) : connector.rateLimit
  const http = createRecordingHttp({
    db: deps.db,
    scope: { ...scope, connectionId: row.id, connector: connector.kind },
    pacer: policy ? createPacer(deps.db, row.id, policy) : undefined,
    timeoutMs: deps.httpTimeoutMs,
    held,
  })
  return {
    connection: { id: row.id, name: row.name, baseUrl: row.base_url, settings: connection.settings, secrets: connection.secrets },
    // Jobs go through the connection's circuit; an admin's "Test connection" (no policy) always calls.
    http: deps.circuit ? withCircuit(http, circuitFor(row.id, deps.circuit), { id: row.id, name: row.name, connector: connector.kind }) : http,
    tokens: createTokenStore(deps.db, deps.box, row.id, { version: connection.version }),
    now: () => new Date(),
  }
}
