import { randomUUID } from 'node:crypto'
import { createKipuSimulator, DEMO_KIPU } from '../../../simulators/kipu/server.js'
import type { Patient } from '../../crm/patients.js'
import { resolveMapping } from '../../mapping/mapping.js'
import { connectorContract } from '../contractSuite.js'
import { fakeContext } from '../testing.js'
import { KipuSettings } from './client.js'
import { kipuConnector } from './connector.js'
import { kipuDefaults } from './fields.js'

/** KIPU against its simulator in-process (Fastify inject): no hub, no database. */
connectorContract(async () => {
  const sim = createKipuSimulator()
  await sim.app.ready()
  const settings = KipuSettings.parse({ accessId: DEMO_KIPU.accessId, appId: DEMO_KIPU.appId })
  const mapping = resolveMapping(kipuDefaults, { fieldMap: null, valueMaps: {} })
  const patient = (extra: Partial<Patient> = {}): Patient => ({
    id: randomUUID(),
    firstName: 'Ann',
    middleName: null,
    lastName: 'Contract',
    preferredName: null,
    dob: '1990-01-01',
    gender: 'female',
    maritalStatus: null,
    phone: '513-555-0100',
    alternatePhone: null,
    email: null,
    address: null,
    language: null,
    race: null,
    ethnicity: null,
    birthSex: null,
    admissionDate: null,
    dischargeDate: null,
    programId: null,
    levelOfCare: null,
    locationId: null,
    referrerName: null,
    firstContactName: null,
    paymentMethod: null,
    accountId: null,
    customFields: {},
    version: 1,
    createdAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    ...extra,
  })
  const simCall = (method: 'POST', url: string, body: unknown) => sim.app.inject({ method, url, payload: body as Record<string, unknown> })
  return {
    connector: kipuConnector,
    createOperation: 'create',
    secrets: [DEMO_KIPU.secretKey],
    context: () =>
      fakeContext({
        connection: { baseUrl: 'http://kipu.test', settings, secrets: { secretKey: DEMO_KIPU.secretKey } },
        async send(request) {
          const url = new URL(request.url)
          const res = await sim.app.inject({ method: request.method as 'GET', url: `${url.pathname}${url.search}`, headers: request.headers, ...(request.body !== undefined ? { payload: request.body } : {}) })
          return { status: res.statusCode, headers: Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, String(v)])), text: res.body }
        },
      }),
    input: () => ({ patient: patient(), account: null, mapping }),
    refused: () => ({ input: { patient: patient({ address: { line1: '1 Main St', state: 'Ohio' } }), account: null, mapping }, names: /data\.address_state must be a 2-letter state code/ }),
    async records(patientId) {
      return sim.store.charts.all().filter((c) => c.data.sending_app_patient_id === patientId).length
    },
    async failNextCreate(status, retryAfter) {
      await simCall('POST', '/_sim/faults', { errorRate: 1, status, count: 1, match: '^POST /api/patients$', ...(retryAfter ? { retryAfter } : {}) })
    },
  }
})
