import { randomUUID } from 'node:crypto'
import { createCrmsSimulator, DEMO_CRMS, type CrmsSimulator } from '../../../simulators/crms/server.js'
import type { ReferralPushInput, ResolvedMapping } from '../connector.js'
import { resolveMapping } from '../../mapping/mapping.js'
import { fakeContext, type FakeContext } from '../testing.js'
import type { CrmsSecretsT, CrmsSettingsT } from './client.js'
import { crmsDefaults } from './fields.js'

/** Test data for the CRMS connector's tests: a referral as the CRM inbox holds it, and the simulator in-process. */
export const SUMMARY_PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n')
export const SCAN_PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex')

export const defaultMapping = (): ResolvedMapping => resolveMapping(crmsDefaults, { fieldMap: null, valueMaps: {} })

export function referralInput(overrides: { fields?: Record<string, unknown>; note?: string; mapping?: ResolvedMapping; attachments?: ReferralPushInput['attachments']; acceptedBy?: string | null } = {}): ReferralPushInput {
  return {
    referral: {
      id: randomUUID(),
      externalId: `ref_${randomUUID().slice(0, 8)}`,
      fields: overrides.fields ?? {
        registrant: {
          firstName: 'Amelia',
          middleName: 'Rose',
          lastName: 'Tremblay',
          dateOfBirth: '1988-04-12',
          gender: 'Female',
          address: { street: '12 King St W', city: 'Hamilton', province: 'ON', country: 'Canada', postalCode: 'L8P 1A1' },
          preferredLanguage: 'English',
          phoneHome: '905-555-0134',
          email: 'amelia@example.com',
        },
        requester: { firstName: 'Priya', lastName: 'Shah', organization: 'Hamilton Family Health Team', phone: '905-555-0100' },
        appointment: { start: '2026-12-03T15:00:00Z', durationMinutes: 60, location: 'Main clinic', providerFullName: 'Jordan Lee' },
      },
      note: overrides.note ?? 'Reason for referral: low mood\nCurrent medications: none',
      status: 'open',
      acceptedBy: overrides.acceptedBy ?? null,
      version: 1,
    },
    attachments: overrides.attachments ?? [
      { position: 1, kind: 'summary', filename: 'Referral summary.pdf', contentType: 'application/pdf', data: SUMMARY_PDF },
      { position: 2, kind: 'attachment', filename: 'scan.png', contentType: 'image/png', data: SCAN_PNG },
    ],
    mapping: overrides.mapping ?? defaultMapping(),
  }
}

/** The CRMS simulator answering through Fastify inject: no port, no hub. */
export async function crmsWorld(): Promise<{ sim: CrmsSimulator; context(apiKey?: string): FakeContext<CrmsSettingsT, CrmsSecretsT> }> {
  const sim = createCrmsSimulator()
  await sim.app.ready()
  return {
    sim,
    context: (apiKey = DEMO_CRMS.apiKey) =>
      fakeContext<CrmsSettingsT, CrmsSecretsT>({
        connection: { baseUrl: 'http://crms.test', settings: {}, secrets: { apiKey } },
        async send(request) {
          const url = new URL(request.url)
          const res = await sim.app.inject({ method: request.method as 'GET', url: `${url.pathname}${url.search}`, headers: request.headers, ...(request.body !== undefined ? { payload: request.body } : {}) })
          return { status: res.statusCode, headers: Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, String(v)])), text: res.body }
        },
      }),
  }
}
