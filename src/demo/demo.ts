import type { Db } from '../db/database.js'
import type { Engine } from '../engine/engine.js'
import { createConnection, updateConnection } from '../connections/connections.js'
import { createAccount } from '../crm/accounts.js'
import { createPatient } from '../crm/patients.js'
import type { SecretBox } from '../security/secrets.js'
import { DEMO_ECW_PRACTICE, type DemoCredentials } from '../../simulators/hubChannel.js'
import { startSimulatorProcess, type SimulatorProcess } from './simulatorProcess.js'

/** The demo simulators, run in a child process (simulatorProcess.ts), and what the demo asks of their "staff". */
export type DemoSimulators = SimulatorProcess

const DEMO_ECW_CLIENT_ID = 'carebridge-demo'

/** Demo mode: the simulators on loopback ports, in a process of their own that ends with the hub. */
export async function startDemoSimulators(log?: { warn(obj: object, msg: string): void }): Promise<DemoSimulators> {
  return startSimulatorProcess(undefined, log)
}

/** CRM payer codes of the demo data → the Ritten simulator's payer ids (by payer identifier). */
const DEMO_PAYER_CODES: Record<string, string> = { AET01: '60054', CIG01: '62308', UHC01: '87726', HUM01: '61101' }

/**
 * Creates the demo connections (or points them at this run's simulator ports) and, on the first
 * start only, a few demo records that are pushed through the real flow.
 */
export async function ensureDemoData(
  db: Db,
  box: SecretBox,
  engine: Engine,
  organizationId: string,
  simulators: DemoSimulators,
  publicUrl: string,
): Promise<void> {
  const { urls, credentials } = simulators
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
      settings: { clientId: credentials.ritten.clientId, tenant: credentials.ritten.tenant, audience: credentials.ritten.audience },
      credentials: { clientSecret: credentials.ritten.clientSecret },
    })
    const payerCode = Object.fromEntries(
      Object.entries(DEMO_PAYER_CODES).flatMap(([code, identifier]) => {
        const payer = credentials.ritten.payers.find((p) => p.payerIdentifier === identifier)
        return payer ? [[code, payer.id]] : []
      }),
    )
    await db.updateTable('connections').set({ value_maps: JSON.stringify({ payerCode }) }).where('id', '=', created.id).execute()
  }

  let ecwId = existing.find((c) => c.connector === 'ecw')?.id
  if (ecwId) {
    await updateConnection(db, box, organizationId, ecwId, { baseUrl: urls.ecw })
  } else {
    const created = await createConnection(db, box, organizationId, {
      connector: 'ecw',
      name: 'eClinicalWorks (demo simulator)',
      baseUrl: urls.ecw!,
      enabled: true,
      settings: { clientId: DEMO_ECW_CLIENT_ID },
      credentials: {},
    })
    ecwId = created.id
    // CRM locations and programs of the demo data → the ECW simulator's facilities (the eClinicalWorks integration guide, step 5: map treatment programs and locations).
    const valueMaps = {
      location: { 'lawrence-main': 'Lt2IFR5Ah76n4d8TFP5gBCYrEVzcfmSY9rj1Q7MpBZg', topeka: `LocTopeka${DEMO_ECW_PRACTICE}`, olathe: `LocOlathe${DEMO_ECW_PRACTICE}` },
      program: { residential: 'RES', php: 'PHP', iop: 'IOP' },
    }
    await db.updateTable('connections').set({ value_maps: JSON.stringify(valueMaps) }).where('id', '=', ecwId).execute()
  }
  await simulators.ask({ kind: 'allowListEcwClient', clientId: DEMO_ECW_CLIENT_ID, jwksUrl: `${publicUrl}/jwks/${ecwId}` })
  const kipuId = await ensureKipuConnection(db, box, organizationId, existing, urls.kipu!, credentials.kipu)
  // KIPU calls the hub on Patient Creation / Chart Update (signed with the connection's secret).
  await simulators.ask({ kind: 'subscribeKipuWebhooks', url: `${publicUrl}/api/inbound/kipu/${kipuId}` })
  const crmsId = await ensureCrmsConnection(db, box, organizationId, existing, urls.crms!, credentials.crms)
  const caredoveId = await ensureCaredoveConnection(db, box, organizationId, existing, urls.caredove!, crmsId, credentials.caredove)
  // Caredove's integration posts each referral event to the hub, signed with the demo secret.
  await simulators.ask({ kind: 'integrateCaredove', url: `${publicUrl}/api/inbound/caredove/${caredoveId}` })
  await relinkToFreshSimulators(db, engine, organizationId)
  // Show ECW's practitioners, locations and patients at once rather than at the first scheduled pull.
  await engine.startPull(organizationId, ecwId)

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
      { firstName: 'Dana', lastName: 'Rivers', dob: '2001-05-27', gender: 'female', birthSex: 'female', maritalStatus: 'single', phone: '913-555-2003', email: 'dana.rivers@example.com', race: 'white', ethnicity: 'not_hispanic_or_latino', language: 'English', address: { line1: '2222 Home Street', city: 'Lawrence', state: 'KS', postalCode: '66044', country: 'US' }, locationId: 'lawrence-main', programId: 'residential', accountId: account.id },
      { firstName: 'Luis', lastName: 'Ortega', dob: '1994-11-02', gender: 'male', birthSex: 'male', maritalStatus: 'married', phone: '816-555-0142', language: 'Spanish', ethnicity: 'hispanic_or_latino', race: 'declined', locationId: 'topeka', programId: 'iop' },
    ] as const
    for (const p of patients) {
      const patient = await createPatient(trx, organizationId, { ...p, customFields: { firstContactInformation: 'Phone Inquiry', firstContactRelationship: 'Self' } })
      await engine.patientChanged(trx, organizationId, patient.id)
    }
  })
}

/**
 * The demo Caredove connection: both demo listings, imported at the start (Received, then updates
 * until accepted), into the CRM inbox and on to the demo CRMS (the "Caredove-CRMS integration" article's flow).
 */
async function ensureCaredoveConnection(db: Db, box: SecretBox, organizationId: string, existing: { id: string; connector: string }[], url: string, crmsConnectionId: string, caredove: DemoCredentials['caredove']): Promise<string> {
  const current = existing.find((c) => c.connector === 'caredove')
  if (current) {
    await updateConnection(db, box, organizationId, current.id, { baseUrl: url })
    return current.id
  }
  const created = await createConnection(db, box, organizationId, {
    connector: 'caredove',
    name: 'Caredove (demo simulator)',
    baseUrl: url,
    enabled: true,
    settings: { serviceListingIds: caredove.serviceListingIds, preset: 'at_the_start', destination: 'crms', crmsConnectionId },
    credentials: { signingSecret: caredove.signingSecret },
  })
  return created.id
}

/**
 * Demo, first start only: Caredove's "staff" send three referrals through the simulator's signed
 * integration — two import (one with a booked appointment), and one without a date of birth is
 * answered 400 "Date of birth is required" and stays flagged in Caredove's integration log until
 * someone fixes it there (PATCH /_sim/referrals/{id} re-sends it). Runs in the background.
 */
export function deliverDemoReferrals(db: Db, organizationId: string, simulators: DemoSimulators, log: { warn(obj: object, msg: string): void }): void {
  void (async () => {
    const any = await db.selectFrom('referrals').select('id').where('organization_id', '=', organizationId).limit(1).executeTakeFirst()
    if (any) return
    const first = await simulators.ask({ kind: 'referFromCaredove', seed: 1 })
    await simulators.ask({ kind: 'referFromCaredove', seed: 2, serviceListingId: simulators.credentials.caredove.serviceListingIds.at(-1)! })
    if (first.ok) {
      const start = new Date(Date.now() + 3 * 86_400_000)
      start.setUTCHours(15, 0, 0, 0)
      await fetch(`${simulators.urls.caredove}/_sim/referrals/${first.referralId}/book`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ start: start.toISOString(), duration_minutes: 60, location: 'Intake office, 2nd floor', provider_full_name: 'Dr. Amara Osei' }),
      })
    }
    const refused = await simulators.ask({ kind: 'referFromCaredove', seed: 3, withoutDob: true })
    const answer = refused.ok ? refused.deliveries[0] : undefined
    if (answer && answer.http_code !== 400) log.warn({ httpCode: answer.http_code, body: answer.body }, 'demo: the referral without a date of birth was not refused as expected')
  })().catch((err) => log.warn({ err }, 'demo: delivering the Caredove demo referrals failed'))
}

/** CRM values of the demo data → the KIPU simulator's lists (locations, payors, programs, referrers). */
const DEMO_KIPU_VALUE_MAPS = {
  location: { 'lawrence-main': '2', topeka: '3', olathe: '4' },
  payerCode: { AET01: 'Aetna', CIG01: 'Cigna', UHC01: 'UnitedHealthcare', HUM01: 'Humana' },
  program: { residential: 'Substance Use', iop: 'Mental Health', php: 'Dual Diagnosis' },
  referrer: { 'Recovery in the Ocean': '11', 'Lawrence Memorial Hospital': '12' },
}

async function ensureKipuConnection(db: Db, box: SecretBox, organizationId: string, existing: { id: string; connector: string }[], url: string, kipu: DemoCredentials['kipu']): Promise<string> {
  const current = existing.find((c) => c.connector === 'kipu')
  if (current) {
    await updateConnection(db, box, organizationId, current.id, { baseUrl: url })
    return current.id
  }
  const created = await createConnection(db, box, organizationId, {
    connector: 'kipu',
    name: 'KIPU (demo simulator)',
    baseUrl: url,
    enabled: true,
    settings: { accessId: kipu.accessId, appId: kipu.appId },
    credentials: { secretKey: kipu.secretKey },
  })
  await db.updateTable('connections').set({ value_maps: JSON.stringify(DEMO_KIPU_VALUE_MAPS) }).where('id', '=', created.id).execute()
  return created.id
}

/** The CRMS demo connection (a referral destination): the CRMS simulator with its demo API key. Returns its id. */
export async function ensureCrmsConnection(db: Db, box: SecretBox, organizationId: string, existing: { id: string; connector: string }[], url: string, crms: DemoCredentials['crms']): Promise<string> {
  const current = existing.find((c) => c.connector === 'crms')
  if (current) {
    await updateConnection(db, box, organizationId, current.id, { baseUrl: url })
    return current.id
  }
  const created = await createConnection(db, box, organizationId, {
    connector: 'crms',
    name: 'CRMS (demo simulator)',
    baseUrl: url,
    enabled: true,
    settings: {},
    credentials: { apiKey: crms.apiKey },
  })
  return created.id
}

/**
 * Demo: once the first demo patient reaches the KIPU simulator, its "staff" admit her there. KIPU
 * then calls the hub's webhook ("Chart Update") and the hub pulls her back: MR number, level of
 * care, program, bed, insurance and contacts. Runs in the background; gives up after a minute.
 */
export function admitFirstDemoPatientInKipu(db: Db, organizationId: string, simulators: DemoSimulators, log: { warn(obj: object, msg: string): void }): void {
  void (async () => {
    const first = await db.selectFrom('patients').select('id').where('organization_id', '=', organizationId).where('first_name', '=', 'Dana').where('last_name', '=', 'Rivers').executeTakeFirst()
    if (!first) return
    const deadline = Date.now() + 60_000
    while (Date.now() < deadline) {
      if (await simulators.ask({ kind: 'admitInKipu', sendingAppPatientId: first.id })) return
      await new Promise((resolve) => setTimeout(resolve, 500).unref())
    }
    log.warn({ patientId: first.id }, 'demo: the first patient did not reach the KIPU simulator within a minute; not admitted there')
  })().catch((err) => log.warn({ err }, 'demo: admitting a patient in the KIPU simulator failed'))
}

/**
 * The demo simulators keep their records in memory, so after a restart they no longer know the
 * ids the hub linked. Every link to them is reset and its patient pushed again through the real
 * flow, which recreates (or, for ECW's seeded patients, re-finds) each record.
 */
async function relinkToFreshSimulators(db: Db, engine: Engine, organizationId: string): Promise<void> {
  const links = await db.selectFrom('links').select(['id', 'record_type', 'record_id', 'connection_id']).where('organization_id', '=', organizationId).execute()
  if (links.length === 0) return
  // Referrals still open in the inbox are filed again in the fresh CRMS simulator.
  const referralLinks = links.filter((l) => l.record_type === 'referral')
  const open = referralLinks.length
    ? new Set((await db.selectFrom('referrals').select('id').where('id', 'in', referralLinks.map((l) => l.record_id)).where('status', '=', 'open').execute()).map((r) => r.id))
    : new Set<string>()
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('links')
      .set({ external_id: null, external_mrn: null, state: 'pending', synced_values: null, message: 'demo simulators restarted: pushing again' })
      .where('organization_id', '=', organizationId)
      .execute()
    for (const patientId of new Set(links.filter((l) => l.record_type === 'patient').map((l) => l.record_id))) await engine.patientChanged(trx, organizationId, patientId)
    for (const link of referralLinks) if (open.has(link.record_id)) await engine.pushReferralTo(trx, organizationId, link.record_id, link.connection_id)
  })
}
