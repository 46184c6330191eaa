import { z } from 'zod'
import type { Connector, PulledPage } from '../src/connectors/connector.js'

/**
 * Connectors that exist only in tests, for shapes no installed connector has (yet): one that can
 * receive no patients by its capability matrix, one that claims it can but has no push flow, and
 * one that pulls the pages a test hands it. A test file installs them next to the real ones with
 *
 *   vi.mock('<path to>/src/connectors/registry.js', async (real) => (await import('<path to>/test/testConnectors.js')).withTestConnectors(await real()))
 */
type AnyConnector = Connector<any, any>

const base = {
  settingsSchema: z.object({}).strict(),
  secretsSchema: z.object({}).strict(),
  fields: [{ path: 'name.first', label: 'First name', type: 'string' as const }, { path: 'name.last', label: 'Last name', type: 'string' as const }],
  defaults: {
    fieldMap: [
      { crm: 'firstName', emr: 'name.first' },
      { crm: 'lastName', emr: 'name.last' },
      { crm: 'dob', emr: 'dob' },
    ],
    valueMaps: {},
  },
  async test() {
    return { ok: true as const, message: 'test connector' }
  },
}

/** Capability matrix says no: e.g. a referral source, or an EMR whose API has no patient write. */
export const noPatientsConnector: AnyConnector = {
  ...base,
  kind: 'test-no-patients' as never,
  title: 'Read-only EMR',
  capabilities: { patient: { push: { supported: false, reason: 'API limitation: this EMR accepts no patients' }, pull: { supported: false, reason: 'not in this test' } } },
  flows: {},
}

/** Its capability matrix says yes, but it has no flow to do it with. */
export const noPushFlowConnector: AnyConnector = {
  ...base,
  kind: 'test-no-push-flow' as never,
  title: 'Half-built EMR',
  capabilities: { patient: { push: { supported: true }, pull: { supported: false, reason: 'not in this test' } } },
  flows: {},
}

/** The pages the pulling test connector answers, in order; set by the test before a pull. */
export const pulledPages: PulledPage[] = []

/** Pulls `pulledPages`: page n's cursor is "n". */
export const pullingConnector: AnyConnector = {
  ...base,
  kind: 'test-pull' as never,
  title: 'Pulling EMR',
  capabilities: { patient: { push: { supported: false, reason: 'pull only' }, pull: { supported: true } } },
  flows: {
    pull: {
      resources: ['patient'],
      async fetchPage(_ctx, _resource, cursor) {
        const index = cursor === null ? 0 : Number(cursor)
        const page = pulledPages[index]
        if (!page) throw new Error(`No page ${index} was set for the pulling test connector`)
        return page
      },
    },
  },
}

export const TEST_CONNECTORS: Record<string, AnyConnector> = {
  [noPatientsConnector.kind]: noPatientsConnector,
  [noPushFlowConnector.kind]: noPushFlowConnector,
  [pullingConnector.kind]: pullingConnector,
}

/** The registry module with the test connectors installed beside the real ones. */
export function withTestConnectors<R extends { getConnector(kind: string): unknown; listConnectors(): unknown[] }>(real: R): R {
  return {
    ...real,
    getConnector: (kind: string) => TEST_CONNECTORS[kind] ?? real.getConnector(kind),
    listConnectors: () => [...real.listConnectors(), ...Object.values(TEST_CONNECTORS)],
  }
}
