import type { Connector, ConnectorKind } from './connector.js'
import { rittenConnector } from './ritten/connector.js'
import { ecwConnector } from './ecw/connector.js'
import { kipuConnector } from './kipu/connector.js'
import { caredoveConnector } from './caredove/connector.js'
import { crmsConnector } from './crms/connector.js'

/** Every connector the hub can run. Adding one = a folder under src/connectors and a line here. */
const connectors: Partial<Record<ConnectorKind, Connector<any, any, any>>> = {
  ritten: rittenConnector,
  ecw: ecwConnector,
  kipu: kipuConnector,
  caredove: caredoveConnector,
  crms: crmsConnector,
}

export function getConnector(kind: string): Connector<unknown, unknown> | undefined {
  return connectors[kind as ConnectorKind] as Connector<unknown, unknown> | undefined
}

export function listConnectors(): Connector<unknown, unknown>[] {
  return Object.values(connectors) as Connector<unknown, unknown>[]
}
