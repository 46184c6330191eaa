import type { Db } from '../db/database.js'
import type { ConnectorContext } from '../connectors/connector.js'
import type { RunnableConnection } from '../connections/connections.js'
import { createRecordingHttp } from '../exchanges/recorder.js'
import type { SecretBox } from '../security/secrets.js'
import { createPacer } from './rateLimiter.js'
import { createTokenStore } from './tokenStore.js'

/** The context a connector runs in: its connection, the recording HTTP door with pacing, the token store. */
export function buildConnectorContext(
  deps: { db: Db; box: SecretBox; httpTimeoutMs: number },
  connection: RunnableConnection,
  scope: { organizationId: string; syncJobId: string | null; recordType: string | null; recordId: string | null; attempt: number },
): ConnectorContext<unknown, unknown> {
  const { row, connector } = connection
  const policy = typeof connector.rateLimit === 'function' ? connector.rateLimit(connection.settings) : connector.rateLimit
  return {
    connection: { id: row.id, name: row.name, baseUrl: row.base_url, settings: connection.settings, secrets: connection.secrets },
    http: createRecordingHttp({
      db: deps.db,
      scope: { ...scope, connectionId: row.id, connector: connector.kind },
      pacer: policy ? createPacer(deps.db, row.id, policy) : undefined,
      timeoutMs: deps.httpTimeoutMs,
    }),
    tokens: createTokenStore(deps.db, deps.box, row.id),
    now: () => new Date(),
  }
}
