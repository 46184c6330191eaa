import { afterAll, describe, expect, it } from 'vitest'
import { createTestDatabase, startHub, WAIT, waitFor } from './harness.js'

/**
 * What `npm start` promises (README, Quick start): demo mode brings the simulators, a demo
 * organization and its records, pushed and pulled through the real flows, again after a restart;
 * outside demo mode the first start makes an admin key and shows it once.
 */
const cleanup: (() => Promise<void>)[] = []

afterAll(async () => {
  for (const step of cleanup.reverse()) await step()
})

/** The banner's `Simulator: <name> <url>` lines of the latest start in this output. */
function simulatorUrls(output: string): Record<string, string> {
  const banner = output.slice(output.lastIndexOf('carebridge is running'))
  return Object.fromEntries([...banner.matchAll(/^\s*Simulator:\s+(\S+)\s+(http:\/\/\S+)$/gm)].map((m) => [m[1]!, m[2]!]))
}

async function rittenRecords(output: string): Promise<{ patients: { externalId: string }[] }> {
  return (await fetch(`${new URL(simulatorUrls(output).ritten!).origin}/_sim/records`)).json()
}

describe('demo mode', () => {
  it('starts the simulators and a demo organization, pushes its patients to every EMR and pulls ECW; after a restart, again to the fresh simulators', async () => {
    const database = await createTestDatabase()
    let hub = await startHub({ databaseUrl: database?.url, env: { CAREBRIDGE_DEMO: '1' } })
    cleanup.push(async () => {
      await hub.stop()
      await database?.drop()
    })
    // The banner: the API, the admin key and each simulator's base URL.
    expect(hub.output()).toMatch(/^\s*API:\s+http:\/\/127\.0\.0\.1:\d+\/api/m)
    expect(hub.output()).toMatch(/^\s*Admin key:\s+test-admin-key-0123456789$/m)
    expect(Object.keys(simulatorUrls(hub.output())).sort()).toEqual(['caredove', 'crms', 'ecw', 'kipu', 'ritten'])

    const connections = (await hub.api('GET', '/api/connections')).body.items as { id: string; connector: string; enabled: boolean }[]
    expect(connections.map((c) => [c.connector, c.enabled]).sort()).toEqual([['caredove', true], ['crms', true], ['ecw', true], ['kipu', true], ['ritten', true]])
    const mappings = Object.fromEntries(
      await Promise.all(connections.map(async (c) => [c.connector, (await hub.api('GET', `/api/connections/${c.id}/mappings`)).body.valueMaps])),
    )
    expect(Object.keys(mappings.ritten.payerCode).sort()).toEqual(['AET01', 'CIG01', 'HUM01', 'UHC01'])
    expect(Object.keys(mappings.ecw.location).sort()).toEqual(['lawrence-main', 'olathe', 'topeka'])

    // Caredove's demo referrals, through its signed integration: two in the inbox, and one refused
    // with 400 "Date of birth is required", flagged in Caredove's integration log for its staff to fix.
    const referrals = await waitFor('the demo referrals', async () => {
      const deliveries = await (await fetch(`${simulatorUrls(hub.output()).caredove}/_sim/deliveries`)).json()
      const refused = deliveries.items.find((d: { http_code: number }) => d.http_code === 400)
      const { body } = await hub.api('GET', '/api/referrals')
      return refused && body.items.length === 2 ? { refused, items: body.items } : false
    })
    expect(referrals.refused.body).toBe('{"message":"Date of birth is required"}')
    expect(referrals.items.every((r: { status: string; registrantName: string }) => r.status === 'open' && r.registrantName)).toBe(true)

    // ECW's practitioners, locations and 20 patients, pulled at once.
    const ecw = connections.find((c) => c.connector === 'ecw')!
    const pull = await waitFor(
      'the first ECW pull',
      async () => (await hub.api('GET', `/api/jobs?connectionId=${ecw.id}&kind=pull`)).body.items.find((j: { state: string }) => j.state === 'succeeded'),
      WAIT.job * 2,
    )
    // (The demo patients may be in ECW by then too: matched by our identifier, not created again.)
    expect((await hub.api('GET', `/api/jobs/${pull.id}`)).body.progress.resources.patient).toMatchObject({ done: true, created: 20 })
    for (const kind of ['practitioner', 'location']) expect((await hub.api('GET', `/api/connections/${ecw.id}/reference-values?kind=${kind}`)).body.items.length, kind).toBeGreaterThan(0)

    // The two demo patients and ECW's twenty: every one linked at every EMR (the pulled ones pushed
    // on to Ritten and KIPU; ECW's token requests fetch the hub's JWKS at its public URL), and held once by Ritten.
    // One look at the links per probe (a patient's view is a read of PHI, audited, 22 of them a look);
    // the patients' own views once they are all linked.
    const everyoneLinked = async () => {
      await waitFor(
        'every demo patient linked at every EMR',
        async () => {
          const { body } = await hub.api('GET', '/api/links?state=linked&limit=500')
          const linkedAt = new Map<string, number>()
          for (const link of body.items as { patientId: string }[]) linkedAt.set(link.patientId, (linkedAt.get(link.patientId) ?? 0) + 1)
          return linkedAt.size === 22 && [...linkedAt.values()].every((count) => count === 3)
        },
        WAIT.jobs(66),
      )
      const { body } = await hub.api('GET', '/api/patients?limit=500')
      expect(body.items).toHaveLength(22)
      const views = await Promise.all(body.items.map(async (p: { id: string }) => (await hub.api('GET', `/api/patients/${p.id}`)).body))
      for (const view of views) expect(view.links.map((l: { state: string }) => l.state), `${view.firstName} ${view.lastName}`).toEqual(['linked', 'linked', 'linked'])
      return views as { id: string; firstName: string; lastName: string }[]
    }
    const first = await everyoneLinked()
    const names = first.map((p) => `${p.firstName} ${p.lastName}`)
    expect(names).toContain('Dana Rivers')
    expect(names).toContain('Luis Ortega')
    expect((await rittenRecords(hub.output())).patients.map((p) => p.externalId).sort()).toEqual(first.map((p) => p.id).sort())

    // A restart brings new simulators, empty: the hub pushes its patients to them again, and makes no new ones.
    const rittenBefore = simulatorUrls(hub.output()).ritten
    hub = await hub.restart()
    expect(simulatorUrls(hub.output()).ritten).not.toBe(rittenBefore)
    const again = await everyoneLinked()
    expect(again.map((p) => p.id).sort()).toEqual(first.map((p) => p.id).sort())
    expect((await rittenRecords(hub.output())).patients.map((p) => p.externalId).sort()).toEqual(again.map((p) => p.id).sort())
  // Two starts of a demo hub (each pushes to three simulators and pulls ECW): their budget, and the links' after each.
  }, 2 * WAIT.start + 2 * WAIT.jobs(20))
})

describe('the first start outside demo mode', () => {
  it('without CAREBRIDGE_ADMIN_KEY makes an admin key, prints it once, and accepts it', async () => {
    const database = await createTestDatabase()
    // A real first start: the hub initialises and migrates its embedded database itself (no copy of the run's template).
    let hub = await startHub({ databaseUrl: database?.url, env: { CAREBRIDGE_ADMIN_KEY: '' }, freshDatabase: true })
    cleanup.push(async () => {
      await hub.stop()
      await database?.drop()
    })
    const key = /^\s*Admin key:\s+(cbk_\S+)\s+\(shown once: keep it\)$/m.exec(hub.output())?.[1]
    expect(key, hub.output()).toBeDefined()
    expect((await hub.api('GET', '/api/connections', undefined, key)).status).toBe(200)
    expect((await hub.api('GET', '/api/connections', undefined, 'test-admin-key-0123456789')).status).toBe(401)

    hub = await hub.restart()
    expect(hub.output()).not.toMatch(/Admin key/)
    expect((await hub.api('GET', '/api/keys', undefined, key)).body.items).toEqual([expect.objectContaining({ name: 'first admin', role: 'admin' })])
  // Two first starts of the embedded database (initdb each) and a restart: slow on a busy machine.
  }, 240_000)
})
