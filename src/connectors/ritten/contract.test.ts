import { randomUUID } from 'node:crypto'
import { createRittenSimulator, DEMO_RITTEN } from '../../../simulators/ritten/server.js'
import type { Patient } from '../../crm/patients.js'
import { resolveMapping } from '../../mapping/mapping.js'
import { connectorContract } from '../contractSuite.js'
import { fakeContext } from '../testing.js'
import { RittenSettings } from './client.js'
import { rittenConnector } from './connector.js'
import { rittenDefaults } from './fields.js'

/** Ritten against its simulator in-process (Fastify inject), held to the same contract as every connector. */
connectorContract(async () => {
  const sim = createRittenSimulator()
  await sim.app.ready()
  const settings = RittenSettings.parse({ clientId: DEMO_RITTEN.clientId, tenant: DEMO_RITTEN.tenant })
  const mapping = resolveMapping(rittenDefaults, { fieldMap: null, valueMaps: {} })
  const patient = (extra: Partial<Patient> = {}): Patient =>
    ({
      id: randomUUID(),
      firstName: 'Ann',
      lastName: 'Contract',
      dob: '1990-01-01',
      customFields: {},
      version: 1,
      createdAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
      ...extra,
    }) as Patient
  return {
    connector: rittenConnector,
    createOperation: 'create',
    secrets: [DEMO_RITTEN.clientSecret],
    context: () =>
      fakeContext({
        connection: { baseUrl: 'http://ritten.test/v1', settings, secrets: { clientSecret: DEMO_RITTEN.clientSecret } },
        async send(request) {
          const url = new URL(request.url)
          const res = await sim.app.inject({ method: request.method as 'GET', url: `${url.pathname}${url.search}`, headers: request.headers, ...(request.body !== undefined ? { payload: request.body } : {}) })
          return { status: res.statusCode, headers: Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, String(v)])), text: res.body }
        },
      }),
    input: () => ({ patient: patient(), account: null, mapping }),
    refused: () => ({ input: { patient: patient({ address: { line1: '1 Main St', state: 'Atlantis', country: 'US' } }), account: null, mapping }, names: /Ritten patch failed \(400\).*region/ }),
    async records(patientId) {
      const records = await sim.app.inject({ method: 'GET', url: '/_sim/records' })
      return (records.json().patients as { externalId?: string }[]).filter((p) => p.externalId === patientId).length
    },
    async failNextCreate(status, retryAfter) {
      await sim.app.inject({ method: 'POST', url: '/_sim/faults', payload: { errorRate: 1, status, count: 1, match: '^POST /v1/patients$', ...(retryAfter ? { retryAfter } : {}) } })
    },
  }
})
