import { randomUUID } from 'node:crypto'
import type { Db } from '../db/database.js'
import type { Engine } from '../engine/engine.js'
import { createConnection, updateConnection } from '../connections/connections.js'
import { createAccount } from '../crm/accounts.js'
import { createPatient } from '../crm/patients.js'
import type { SecretBox } from '../security/secrets.js'
import { createRittenSimulator, DEMO_RITTEN, RITTEN_SEEDED_PAYERS } from '../../simulators/ritten/server.js'

export interface DemoSimulators {
  urls: Record<string, string>
  close(): Promise<void>
}

/** Demo mode: the simulators on loopback ports, each with a connection of the demo organization. */
export async function startDemoSimulators(): Promise<DemoSimulators> {
  const ritten = createRittenSimulator()
  const rittenUrl = await ritten.listen(0)
  return {
    urls: { ritten: rittenUrl },
    async close() {
      await ritten.close()
    },
  }
}

/** CRM payer codes of the demo data → the Ritten simulator's payer ids (by payer identifier). */
const DEMO_PAYER_CODES: Record<string, string> = { AET01: '60054', CIG01: '62308', UHC01: '87726', HUM01: '61101' }

/**
 * Creates the demo connections (or points them at this run's simulator ports) and, on the first
 * start only, a few demo records that are pushed through the real flow.
 */
export async function ensureDemoData(db: Db, box: SecretBox, engine: Engine, organizationId: string, urls: Record<string, string>): Promise<void> {
  const existing = await db.selectFrom('connections').select(['id', 'connector']).where('organization_id', '=', organizationId).execute()
  const ritten = existing.find((c) => c.connector === 'ritten')
  if (ritten) {
    await updateConnection(db, box, organizationId, ritten.id, { baseUrl: urls.ritten })
  } else {
    const created = await createConnection(db, box, organizationId, {
      connector: 'ritten',
      name: 'Ritten (demo simulator)',
      baseUrl: urls.ritten!,
      enabled: true,
      settings: { clientId: DEMO_RITTEN.clientId, tenant: DEMO_RITTEN.tenant, audience: DEMO_RITTEN.audience },
      credentials: { clientSecret: DEMO_RITTEN.clientSecret },
    })
    const payerCode = Object.fromEntries(
      Object.entries(DEMO_PAYER_CODES).flatMap(([code, identifier]) => {
        const payer = RITTEN_SEEDED_PAYERS.find((p) => p.payerIdentifier === identifier)
        return payer ? [[code, payer.id]] : []
      }),
    )
    await db.updateTable('connections').set({ value_maps: JSON.stringify({ payerCode }) }).where('id', '=', created.id).execute()
  }

  const hasPatients = await db.selectFrom('patients').select('id').where('organization_id', '=', organizationId).limit(1).executeTakeFirst()
  if (hasPatients) return
  await db.transaction().execute(async (trx) => {
    const account = await createAccount(trx, organizationId, {
      name: 'Rivers family',
      email: 'pat.rivers@example.com',
      phone: '913-555-0100',
      insurances: [{ payerCode: 'AET01', payerName: 'Aetna', memberId: 'W123456789', groupNumber: 'G-77', priority: 'primary', subscriber: { relationship: 'parent', firstName: 'Pat', lastName: 'Rivers', dob: '1968-04-01' } }],
    })
    const patients = [
      { firstName: 'Dana', lastName: 'Rivers', dob: '2001-05-27', gender: 'female', birthSex: 'female', maritalStatus: 'single', phone: '913-555-2003', email: 'dana.rivers@example.com', race: 'white', ethnicity: 'not_hispanic_or_latino', language: 'English', address: { line1: '2222 Home Street', city: 'Lawrence', state: 'KS', postalCode: '66044', country: 'US' }, accountId: account.id },
      { firstName: 'Luis', lastName: 'Ortega', dob: '1994-11-02', gender: 'male', birthSex: 'male', maritalStatus: 'married', phone: '816-555-0142', language: 'Spanish', ethnicity: 'hispanic_or_latino', race: 'declined' },
    ] as const
    for (const p of patients) {
      const patient = await createPatient(trx, organizationId, { ...p, customFields: {} })
      await engine.patientChanged(trx, organizationId, patient.id)
    }
  })
}

export function newOrganizationId(): string {
  return randomUUID()
}
