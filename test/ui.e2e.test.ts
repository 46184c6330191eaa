import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { createRittenSimulator, DEMO_RITTEN, RITTEN_SEEDED_PAYERS, type RittenSimulator } from '../simulators/ritten/server.js'
import { createKipuSimulator, DEMO_KIPU, type KipuSimulator } from '../simulators/kipu/server.js'
import { createCaredoveSimulator, type CaredoveSimulator } from '../simulators/caredove/server.js'
import { createCrmsSimulator, DEMO_CRMS, type CrmsSimulator } from '../simulators/crms/server.js'
import { ensureWebBuilt } from '../src/web/build.js'
import { launchChromium, openPage, screenshot } from './browser.js'
import { connectEcw, startEcw, type EcwWorld } from './ecwHelpers.js'
import { ADMIN_KEY, createTestDatabase, startHub, waitFor, type RunningHub } from './harness.js'

/**
 * The admin UI in real headless Chromium against the real hub, its database and the simulators:
 * what an administrator and an intake worker do, click by click, each test leaving a screenshot.
 */
let hub: RunningHub
let ritten: RittenSimulator
let rittenUrl: string
let ecw: EcwWorld
let kipu: KipuSimulator
let kipuUrl: string
let caredove: CaredoveSimulator
let caredoveUrl: string
let crms: CrmsSimulator
let crmsUrl: string
let ecwId: string
let database: Awaited<ReturnType<typeof createTestDatabase>>
let browser: Browser
let admin: { context: BrowserContext; page: Page; complaints: string[] }
let staffKey: string
let rittenId: string
const AETNA = RITTEN_SEEDED_PAYERS.find((p) => p.payerIdentifier === '60054')!

beforeAll(async () => {
  await ensureWebBuilt({ log: () => undefined })
  ritten = createRittenSimulator()
  rittenUrl = await ritten.listen(0)
  ecw = await startEcw()
  kipu = createKipuSimulator()
  kipuUrl = await kipu.listen(0)
  caredove = createCaredoveSimulator()
  caredoveUrl = await caredove.listen(0)
  crms = createCrmsSimulator()
  crmsUrl = await crms.listen(0)
  database = await createTestDatabase()
  hub = await startHub({ databaseUrl: database?.url })
  // ECW is connected by the API (its form is the same schema-rendered one); its pulls are shown in the UI below.
  ecwId = (await connectEcw(hub, ecw, { clientId: 'carebridge-ui', settings: { pageSize: 10, importNewPatients: false } })).id
  staffKey = (await hub.api('POST', '/api/keys', { name: 'Intake desk', role: 'staff' })).body.key
  browser = await launchChromium()
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } })
  admin = { context, ...(await openPage(context)) }
})

// A failed step (a wait that ran out) says little of why: the hub's last lines and its jobs do.
afterEach(async ({ task }) => {
  if (task.result?.state !== 'fail' || !hub) return
  const jobs = await hub.api('GET', '/api/jobs?limit=20').catch((err: unknown) => ({ body: String(err) }))
  console.error(`${task.name} failed; the hub's last output:\n${hub.output().split('\n').slice(-60).join('\n')}\nits last jobs: ${JSON.stringify(jobs.body)}`)
})

afterAll(async () => {
  await browser?.close()
  await hub?.stop()
  await ritten?.close()
  await ecw?.close()
  await kipu?.close()
  await caredove?.close()
  await crms?.close()
  await database?.drop()
})

async function signIn(page: Page, key: string) {
  await page.goto(hub.url)
  await page.getByLabel('API key').fill(key)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByTestId('role').waitFor()
}

/** Navigates by the menu, as a user does. */
async function open(page: Page, menu: string) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: menu, exact: true }).click()
}

async function simPost(baseUrl: string, path: string, body: unknown, method = 'POST'): Promise<any> {
  const res = await fetch(`${new URL(baseUrl).origin}${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  expect(res.status).toBeLessThan(300)
  return res.json()
}

async function simFault(baseUrl: string, rules: unknown) {
  const res = await fetch(`${new URL(baseUrl).origin}/_sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(rules) })
  expect(res.status).toBe(200)
}

const linkOf = async (patientId: string, connectionId: string) =>
  (await hub.api('GET', `/api/patients/${patientId}`)).body.links.find((l: { connectionId: string }) => l.connectionId === connectionId)

describe('the admin UI in Chromium', () => {
  it('signs in with an API key: an HttpOnly, SameSite=Strict session cookie, and the key nowhere in the page', async () => {
    const { page, context } = admin
    await page.goto(hub.url)
    await page.getByRole('heading', { name: 'Sign in to carebridge' }).waitFor()
    await page.getByLabel('API key').fill('wrong-key-1234')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByTestId('error').waitFor()
    expect(await page.getByTestId('error').textContent()).toContain('unknown or revoked')

    await signIn(page, ADMIN_KEY)
    await page.getByRole('heading', { name: 'Connections' }).waitFor()
    expect(await page.getByTestId('role').textContent()).toBe('admin')
    const cookie = (await context.cookies()).find((c) => c.name === 'carebridge_session')!
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', secure: false, path: '/' })
    expect(cookie.value).not.toContain(ADMIN_KEY)
    const pageStorage = await page.evaluate(() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie }))
    expect(pageStorage).not.toContain(ADMIN_KEY)
    expect(pageStorage).not.toContain('carebridge_session')
    await screenshot(page, '01-connections')
  })

  it('adds a connection from the form its connector schema renders', async () => {
    const { page } = admin
    await page.getByRole('button', { name: 'Add connection' }).click()
    await page.getByRole('menuitem', { name: 'Ritten' }).click()
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('Ritten (browser test)')
    await page.getByLabel('Base URL').fill(rittenUrl)
    await page.getByLabel('Client id').fill(DEMO_RITTEN.clientId)
    await page.getByLabel('Tenant').fill(DEMO_RITTEN.tenant)
    await page.getByLabel('Client secret').fill(DEMO_RITTEN.clientSecret)
    await screenshot(page, '02-add-connection')
    await page.getByRole('button', { name: 'Add connection' }).click()
    await page.getByRole('heading', { name: 'Ritten (browser test)' }).waitFor()

    const created = (await hub.api('GET', '/api/connections')).body.items.find((c: { name: string }) => c.name === 'Ritten (browser test)')
    rittenId = created.id
    expect(created).toMatchObject({ connector: 'ritten', baseUrl: rittenUrl, enabled: true, settings: { clientId: DEMO_RITTEN.clientId, tenant: DEMO_RITTEN.tenant }, credentials: { clientSecret: 'set' } })
    // Write-only: the page says the secret is set, never what it is.
    expect(await page.getByTestId('secret-Client secret').textContent()).toBe('set')
    expect(await page.content()).not.toContain(DEMO_RITTEN.clientSecret)
    expect(await page.getByTestId('capabilities').textContent()).toContain('Not part of this integration')
  })

  it('Test connection names the exact cause of a failure', async () => {
    const { page } = admin
    await page.getByRole('button', { name: 'Replace client secret' }).click()
    await page.getByLabel('Client secret').fill('not-the-secret')
    await page.getByRole('button', { name: 'Save settings' }).click()
    await page.getByText('Saved.').waitFor()
    await page.getByRole('button', { name: 'Test connection' }).click()
    const result = page.getByTestId('test-result')
    await result.waitFor()
    const expected = (await hub.api('POST', `/api/connections/${rittenId}/test`)).body
    expect(expected.ok).toBe(false)
    expect(await result.textContent()).toContain('Connection failed')
    expect(await result.textContent()).toContain(expected.message)
    await screenshot(page, '03-test-connection-failed')

    await page.getByRole('button', { name: 'Replace client secret' }).click()
    await page.getByLabel('Client secret').fill(DEMO_RITTEN.clientSecret)
    await page.getByRole('button', { name: 'Save settings' }).click()
    await page.getByText('Saved.').waitFor()
    await page.getByRole('button', { name: 'Test connection' }).click()
    await page.getByTestId('test-result').getByText('Connected', { exact: true }).waitFor()

    // Disable and enable again from the switch.
    await page.getByRole('switch', { name: /Enabled: patient changes/ }).click({ force: true })
    await page.getByRole('switch', { name: /Disabled: nothing is sent/ }).waitFor()
    expect((await hub.api('GET', `/api/connections/${rittenId}`)).body.enabled).toBe(false)
    await page.getByRole('switch', { name: /Disabled: nothing is sent/ }).click({ force: true })
    await page.getByRole('switch', { name: /Enabled: patient changes/ }).waitFor()
    expect((await hub.api('GET', `/api/connections/${rittenId}`)).body.enabled).toBe(true)
  })

  it('maps a payer code that the data carries and no map translates', async () => {
    const { page } = admin
    await hub.api('POST', '/api/accounts', { name: 'Rivers family', insurances: [{ payerCode: 'AET01', memberId: 'W123', priority: 'primary' }] })
    await page.getByRole('link', { name: 'Mappings' }).click()
    await page.getByRole('tab', { name: 'Value maps' }).click()
    await page.getByTestId('unmapped-summary').waitFor()
    const code = page.getByRole('combobox', { name: 'payer code code for AET01' })
    await code.fill(AETNA.id)
    await code.press('Escape')
    await screenshot(page, '04-value-maps')
    await page.getByRole('button', { name: 'Save value maps' }).click()
    await page.getByText('Saved.').waitFor()
    const mappings = (await hub.api('GET', `/api/connections/${rittenId}/mappings`)).body
    expect(mappings.valueMaps.payerCode).toEqual({ AET01: AETNA.id })
    // The defaults are not copied into the connection's own entries.
    expect(mappings.overrides).toEqual({ payerCode: { AET01: AETNA.id } })
    await page.getByTestId('unmapped-summary').waitFor({ state: 'detached' })
  })

  it('a field map the connector cannot take is refused at save, with the reason', async () => {
    const { page } = admin
    await page.getByRole('tab', { name: 'Field map' }).click()
    const rows = await page.getByTestId('field-map').locator('tbody tr').count()
    await page.getByRole('button', { name: 'Add a field' }).click()
    const crmField = page.getByRole('combobox', { name: `CRM field of row ${rows + 1}` })
    await crmField.fill('customFields.pronouns')
    await crmField.press('Escape')
    await page.getByLabel(`Ritten field of row ${rows + 1}`).selectOption('name.first')
    await page.getByRole('button', { name: 'Save field map' }).click()
    const refusal = page.getByTestId('error')
    await refusal.waitFor()
    expect(await refusal.textContent()).toContain(`"name.first" is already mapped by fieldMap[0]`)
    await screenshot(page, '05-field-map-refused')
    expect((await hub.api('GET', `/api/connections/${rittenId}/mappings`)).body.custom).toBe(false)
  })

  let patientId: string
  it('creates a patient and watches it link', async () => {
    const { page } = admin
    await open(page, 'Patients')
    await page.getByRole('button', { name: 'New patient' }).click()
    await page.getByRole('textbox', { name: 'First name', exact: true }).fill('Dana')
    await page.getByRole('textbox', { name: 'Last name', exact: true }).fill('Rivers')
    await page.getByLabel('Date of birth').fill('1990-02-23')
    await page.getByLabel('Gender').selectOption('female')
    await page.getByLabel('Parent account').selectOption({ label: 'Rivers family' })
    await page.getByRole('button', { name: 'Create patient' }).click()
    await page.getByRole('heading', { name: 'Dana Rivers' }).waitFor()
    patientId = new URL(page.url()).pathname.split('/').pop()!
    await page.getByTestId('link-ritten').getByText('linked', { exact: true }).waitFor()
    expect((await linkOf(patientId, rittenId)).state).toBe('linked')
    // Push now sends it again at once (a job like any change), followed to its end.
    const before = (await hub.api('GET', `/api/exchanges?patientId=${patientId}&connectionId=${rittenId}`)).body.items.length
    await page.getByRole('button', { name: 'Push now to Ritten (browser test)' }).click()
    await page.getByTestId('push-job').getByText('succeeded').waitFor()
    expect((await hub.api('GET', `/api/exchanges?patientId=${patientId}&connectionId=${rittenId}`)).body.items.length).toBeGreaterThan(before)
    await screenshot(page, '06-patient-linked')
  })

  it("opens the patient's exchange: the request as pretty JSON, with the mapped insurance", async () => {
    const { page } = admin
    await page.getByTestId('history').getByText('patch').first().waitFor()
    const row = page.getByTestId('history').locator('tr', { hasText: 'ritten' }).filter({ hasText: 'patch' }).first()
    await row.getByRole('link').click()
    await page.getByRole('tab', { name: 'Request' }).waitFor()
    const body = await page.getByTestId('request-body').textContent()
    expect(body).toContain('\n  ') // pretty-printed
    expect(JSON.parse(body!)).toMatchObject({ insurance: [expect.objectContaining({ payerId: AETNA.id })] })
    expect(await page.getByTestId('redacted').count()).toBe(0)
    await screenshot(page, '07-exchange')
  })

  it('lists what needs attention with the EMR message, filters the log, and replays the failed exchange after a fix', async () => {
    const { page } = admin
    await simFault(rittenUrl, { status: 400, message: 'Date of birth is required', match: '^POST /v1/patients$', count: 1, errorRate: 1 })
    const { body: created } = await hub.api('POST', '/api/patients', { firstName: 'Rae', lastName: 'Refused', dob: '1985-03-04', gender: 'female' })
    await waitFor('needs attention', async () => (await linkOf(created.id, rittenId))?.state === 'needs_attention')

    await open(page, 'Needs attention')
    const attention = page.getByTestId('attention').locator('tr', { hasText: 'Rae Refused' }).filter({ hasText: 'ritten' })
    await attention.waitFor()
    expect(await attention.textContent()).toContain('Date of birth is required')

    await open(page, 'Integration log')
    await page.getByLabel('Connection').selectOption({ label: 'Ritten (browser test)' })
    await page.getByLabel('Status').selectOption('error')
    await page.getByRole('button', { name: 'Filter' }).click()
    await page.waitForURL(/status=error/)
    const rows = page.getByTestId('exchange-row')
    await rows.first().getByText('400 Bad Request').waitFor()
    const statuses = await page.getByTestId('exchange-status').allTextContents()
    expect(statuses.length).toBeGreaterThan(0)
    expect(statuses.every((s) => !s.includes('OK'))).toBe(true)
    await screenshot(page, '08-log-filtered')

    await rows.first().getByRole('link').click()
    expect(await page.getByTestId('exchange-message').textContent()).toContain('Date of birth is required')
    await page.getByRole('button', { name: 'Replay' }).click()
    await page.getByTestId('replay-job').getByText('succeeded').waitFor()
    await waitFor('linked after replay', async () => (await linkOf(created.id, rittenId))?.state === 'linked')
    await screenshot(page, '09-replayed')
  })

  it('Pull now shows live progress per resource', async () => {
    const { page } = admin
    // Each ECW call takes a while, so the pull can be watched as it runs.
    await simFault(ecw.base, { latencyMs: 250 })
    await page.goto(`${hub.url}/connections/${ecwId}`)
    expect(await page.getByTestId('schedule').textContent()).toContain('every 2 hours')
    await page.getByRole('button', { name: 'Pull now' }).click()
    const progress = page.getByTestId('pull-progress')
    await progress.getByText('running', { exact: true }).waitFor()
    await progress.getByTestId('pull-resource-practitioner').waitFor()
    await screenshot(page, '10-pull-running')
    await progress.getByText('succeeded', { exact: true }).waitFor({ timeout: 60_000 })
    await simFault(ecw.base, [])
    for (const resource of ['practitioner', 'location', 'patient', 'insurance', 'encounter']) {
      expect(await progress.getByTestId(`pull-count-${resource}`).textContent()).toContain('done')
    }
    const job = (await hub.api('GET', `/api/jobs?connectionId=${ecwId}&kind=pull`)).body.items[0]
    expect(await progress.getByTestId('pull-count-practitioner').textContent()).toContain(`${job.progress.resources.practitioner.records} of`)
    await screenshot(page, '11-pull-done')
  })

  it('KIPU: records waiting for admission, a pulled value no map translates mapped from the page, a setting cleared back to its default', async () => {
    const { page } = admin
    const created = await hub.api('POST', '/api/connections', {
      connector: 'kipu',
      name: 'KIPU (browser test)',
      baseUrl: kipuUrl,
      settings: { accessId: DEMO_KIPU.accessId, appId: DEMO_KIPU.appId, pullSchedule: '0 0 1 1 *', facilityTimeZone: 'America/New_York' },
      credentials: { secretKey: DEMO_KIPU.secretKey },
    })
    expect(created.status).toBe(201)
    const kipuId = created.body.id
    expect((await hub.api('PUT', `/api/connections/${kipuId}/mappings`, { valueMaps: { program: { residential: 'Substance Use' } } })).status).toBe(200)
    // KIPU staff open a chart: KIPU holds it, the hub pulls it only once admitted (F15).
    const chart = await simPost(kipuUrl, '/_sim/patients', { data: { first_name: 'Kim', last_name: 'Staffmade', dob: '1988-03-04', gender: 'Female', payment_method: 'Self Pay' } })

    await page.goto(`${hub.url}/connections/${kipuId}`)
    expect(await page.getByTestId('inbound-url').textContent()).toContain(`${hub.url}/api/inbound/kipu/${kipuId}`)
    await page.getByRole('button', { name: 'Pull now' }).click()
    const progress = page.getByTestId('pull-progress')
    await progress.getByText('succeeded', { exact: true }).waitFor({ timeout: 60_000 })
    expect(await progress.getByTestId('pull-counters-patient').textContent()).toMatch(/\d+ waiting \(not pulled yet/)
    const waiting = page.getByTestId('waiting').getByTestId('waiting-row').filter({ hasText: 'Kim Staffmade' })
    await waiting.waitFor()
    expect(await waiting.textContent()).toContain(chart.casefile_id)
    expect(await waiting.textContent()).toContain('admission date')
    expect(await waiting.textContent()).toContain('not linked')
    await screenshot(page, '11b-kipu-waiting-for-admission')

    // Admitted into a program no value map translates: the pull takes the chart and leaves the program out.
    await simPost(kipuUrl, `/_sim/patients/${encodeURIComponent(chart.casefile_id)}/admit`, { program: 'Mental Health' })
    await page.getByRole('button', { name: 'Pull now' }).click()
    await progress.getByText('succeeded', { exact: true }).waitFor({ timeout: 60_000 })
    await progress.getByText(/1 with values no value map translates/).waitFor()
    await page.getByTestId('waiting-row').filter({ hasText: 'Kim Staffmade' }).waitFor({ state: 'detached' })

    await page.getByRole('link', { name: 'Mappings' }).click()
    await page.getByRole('tab', { name: 'Value maps' }).click()
    const row = page.getByTestId('pulled-unmapped-row').filter({ hasText: 'Mental Health' })
    await row.waitFor()
    expect(await row.textContent()).toContain('programId')
    await row.getByRole('combobox', { name: 'CRM program for Mental Health' }).fill('mental_health')
    await screenshot(page, '11c-kipu-pulled-value-to-map')
    await page.getByRole('button', { name: 'Add to the value maps' }).click()
    await row.waitFor({ state: 'detached' })
    const mappings = (await hub.api('GET', `/api/connections/${kipuId}/mappings`)).body
    expect(mappings.overrides.program).toEqual({ residential: 'Substance Use', mental_health: 'Mental Health' })

    // Read everything again: the chart, unchanged in KIPU, now brings its program.
    await page.getByRole('link', { name: 'Back to the connection' }).click()
    await page.getByLabel('Read everything again').check()
    await page.getByRole('button', { name: 'Pull now' }).click()
    await progress.getByText('succeeded', { exact: true }).waitFor({ timeout: 60_000 })
    const imported = (await hub.api('GET', '/api/patients?q=Staffmade')).body.items
    expect(imported).toEqual([expect.objectContaining({ firstName: 'Kim', programId: 'mental_health' })])

    // Emptying a setting removes it: its default applies again.
    await page.getByLabel('Facility time zone').fill('')
    await page.getByRole('button', { name: 'Save settings' }).click()
    await page.getByText('Saved.').waitFor()
    expect((await hub.api('GET', `/api/connections/${kipuId}`)).body.settings.facilityTimeZone).toBe('America/Los_Angeles')
    expect(await page.getByLabel('Facility time zone').inputValue()).toBe('America/Los_Angeles')

    // The patient form offers what the pulls brought: KIPU's levels of care.
    await page.goto(`${hub.url}/patients/new`)
    await page.getByRole('combobox', { name: 'Level of care' }).click()
    await page.getByRole('option', { name: /^Residential/ }).waitFor()
  })

  it('reviews a conflict beside the value the patient holds now', async () => {
    const { page } = admin
    const { body: patient } = await hub.api('POST', '/api/patients', { firstName: 'Cora', lastName: 'Conflict', dob: '1979-09-09', gender: 'female', phone: '9135552003' })
    const { externalId } = await waitFor('ECW link', async () => {
      const link = await linkOf(patient.id, ecwId)
      return link?.state === 'linked' ? link : undefined
    })
    const { body: remote } = await ecw.fhir('GET', `/Patient/${externalId}`)
    remote.telecom = remote.telecom.map((t: { system: string }) => (t.system === 'phone' ? { ...t, value: '7855551111' } : t))
    expect((await ecw.fhir('PUT', `/Patient/${externalId}`, remote)).status).toBe(200)
    await hub.api('PATCH', `/api/patients/${patient.id}`, { phone: '9135552222' })
    await waitFor('the conflict', async () => (await hub.api('GET', `/api/conflicts?patientId=${patient.id}&open=true`)).body.items[0])

    await open(page, 'Conflicts')
    const card = page.getByTestId('conflict').filter({ hasText: 'Cora Conflict' })
    await card.waitFor()
    expect(await card.getByTestId('conflict-current').textContent()).toBe('9135552222')
    expect(await card.textContent()).toContain('7855551111')
    await screenshot(page, '12-conflict')
    await card.getByRole('button', { name: "Keep the EMR's value instead" }).click()
    await card.waitFor({ state: 'detached' })
    const reviewed = (await hub.api('GET', `/api/conflicts?patientId=${patient.id}`)).body.items[0]
    expect(reviewed).toMatchObject({ kept: 'emr', reviewedBy: 'admin (from CAREBRIDGE_ADMIN_KEY)' })
    await waitFor('the EMR value in the CRM', async () => (await hub.api('GET', `/api/patients/${patient.id}`)).body.phone === '7855551111')
  })

  it('keeps accounts with their policies, API keys shown once, and the audit trail', async () => {
    const { page } = admin
    await open(page, 'Accounts')
    await page.getByRole('button', { name: 'New account' }).click()
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('Okafor family')
    await page.getByRole('button', { name: 'Add a policy' }).click()
    await page.getByLabel('Payer code of policy 1').fill('CIG01')
    await page.getByLabel('Member id of policy 1').fill('U7654321')
    await page.getByLabel('Subscriber relationship of policy 1').selectOption('spouse')
    await page.getByRole('button', { name: 'Create account' }).click()
    await page.getByRole('heading', { name: 'Okafor family' }).waitFor()
    const account = (await hub.api('GET', '/api/accounts?limit=500')).body.items.find((a: { name: string }) => a.name === 'Okafor family')
    expect(account.insurances).toEqual([expect.objectContaining({ payerCode: 'CIG01', memberId: 'U7654321', priority: 'primary', subscriber: { relationship: 'spouse' } })])

    await open(page, 'API keys')
    await page.getByLabel('Name').fill('Night shift')
    await page.getByRole('button', { name: 'Create key' }).click()
    const shown = await page.getByTestId('new-key-value').textContent()
    expect(shown).toMatch(/^cbk_/)
    expect((await hub.api('GET', '/api/patients', undefined, shown!)).status).toBe(200)
    await page.reload()
    expect(await page.content()).not.toContain(shown!) // shown once
    const row = page.getByTestId('keys').locator('tr', { hasText: 'Night shift' })
    await row.getByRole('button', { name: 'Revoke…' }).click()
    await row.getByRole('button', { name: 'Revoke now' }).click()
    await row.getByText('revoked').waitFor()
    expect((await hub.api('GET', '/api/patients', undefined, shown!)).status).toBe(401)

    await open(page, 'Audit trail')
    await page.getByLabel('Action').fill('api_key.revoke')
    await page.getByRole('button', { name: 'Filter' }).click()
    await page.getByTestId('audit').getByText('Night shift').waitFor()
    await screenshot(page, '13-audit')
  })

  let referralId: string
  it('referrals: a Caredove connection from its schema form with its signing secret shown once, the inbox, one referral, its summary PDF opened in the browser', async () => {
    const { page, context } = admin
    await open(page, 'Connections')
    await page.getByRole('button', { name: 'Add connection' }).click()
    await page.getByRole('menuitem', { name: 'Caredove' }).click()
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('Caredove (browser test)')
    await page.getByLabel('Base URL').fill(caredoveUrl)
    const listings = page.getByRole('combobox', { name: 'Service listing ids' })
    await listings.fill('sl_intake_adult')
    await listings.press('Enter')
    await page.getByLabel('Preset').selectOption('at_the_start')
    await page.getByRole('button', { name: 'Add connection' }).click()

    // The hub made the signing secret: shown this once, with the address to give Caredove.
    const shown = page.getByTestId('shown-once')
    await shown.waitFor()
    const secret = (await page.getByTestId('shown-once-signingSecret').textContent())!
    expect(secret).toMatch(/^whsec_/)
    const connection = (await hub.api('GET', '/api/connections')).body.items.find((c: { name: string }) => c.name === 'Caredove (browser test)')
    expect(connection).toMatchObject({ connector: 'caredove', settings: { serviceListingIds: ['sl_intake_adult'], preset: 'at_the_start' }, credentials: { signingSecret: 'set' } })
    expect(await shown.textContent()).toContain(connection.inboundUrl)
    await screenshot(page, '13b-caredove-secret-shown-once')
    await page.getByRole('button', { name: 'I have copied it: open the connection' }).click()
    await page.getByRole('heading', { name: 'Caredove (browser test)' }).waitFor()
    expect(await page.content()).not.toContain(secret)
    expect(await page.getByTestId('made-by-hub').textContent()).toContain('signing secret (set)')
    expect(await page.getByRole('button', { name: 'Pull now' }).count()).toBe(0)

    // Caredove's staff refer a client: the signed event lands in the inbox.
    caredove.integrate(connection.inboundUrl, { signingSecret: secret })
    const sent = await simPost(caredoveUrl, '/_sim/referrals', { service_listing_id: 'sl_intake_adult', registrant: { first_name: 'Amelia', middle_name: null, last_name: 'Referred' } })
    expect(sent.deliveries).toEqual([expect.objectContaining({ success: true })])

    await open(page, 'Referrals')
    await page.getByLabel('Status').selectOption('open')
    await page.getByRole('textbox', { name: 'Search' }).fill('Referred')
    await page.getByRole('button', { name: 'Filter' }).click()
    await page.waitForURL(/q=Referred/)
    const row = page.getByTestId('referral-row').filter({ hasText: 'Amelia Referred' })
    await row.waitFor()
    expect(await page.getByTestId('referral-row').count()).toBe(1)
    expect(await row.textContent()).toContain(sent.referral.id)
    await screenshot(page, '13c-referral-inbox')
    await row.getByRole('link', { name: 'Amelia Referred' }).click()
    await page.getByRole('heading', { name: 'Amelia Referred' }).waitFor()
    referralId = new URL(page.url()).pathname.split('/').pop()!
    expect(await page.getByTestId('fields-registrant').textContent()).toContain(sent.referral.registrant.dob)
    expect(await page.getByTestId('referral-note').textContent()).toContain(sent.referral.form_fields[0].answer)
    expect(await page.getByTestId('events').textContent()).toContain('applied')
    await screenshot(page, '13d-referral')
    // Its event's exchange in the log leads back to it.
    await page.getByTestId('event-row').first().getByRole('link', { name: 'Exchange' }).click()
    await page.getByRole('link', { name: 'Open the referral' }).click()
    await page.getByRole('heading', { name: 'Amelia Referred' }).waitFor()

    // The summary PDF opens in the browser (inline), as the hub made it.
    const [viewer] = await Promise.all([context.waitForEvent('page'), page.getByTestId('attachments').getByRole('link', { name: /^referral-summary/ }).click()])
    await viewer.waitForLoadState('load')
    expect(viewer.url()).toBe(`${hub.url}/api/referrals/${referralId}/attachments/1`)
    const file = await context.request.get(viewer.url())
    expect(file.headers()['content-type']).toBe('application/pdf')
    expect(file.headers()['content-disposition']).toMatch(/^inline;/)
    expect((await file.body()).subarray(0, 5).toString()).toBe('%PDF-')
    // Chromium's PDF viewer draws the document a moment after the load: a blank viewer is a small, flat image.
    await expect.poll(async () => (await viewer.screenshot()).length, { timeout: 30_000 }).toBeGreaterThan(30_000)
    await screenshot(viewer, '13e-referral-summary-pdf')
    await viewer.close()
  })

  it('converts a referral to a patient, who links to the EMRs', async () => {
    const { page } = admin
    await page.getByRole('button', { name: 'Convert to patient' }).click()
    await page.getByTestId('converted').waitFor()
    const converted = (await hub.api('GET', `/api/referrals/${referralId}`)).body
    expect(converted).toMatchObject({ status: 'converted', patientId: expect.any(String) })
    await page.getByTestId('converted').getByRole('link', { name: 'open the patient' }).click()
    await page.getByRole('heading', { name: 'Amelia Referred' }).waitFor()
    expect(new URL(page.url()).pathname).toBe(`/patients/${converted.patientId}`)
    await page.getByTestId('link-ritten').getByText('linked', { exact: true }).waitFor()
    await screenshot(page, '13f-referral-converted-patient')
  })

  it('a referral whose phone is not one is converted once the phone is corrected on the page', async () => {
    const { page } = admin
    const sent = await simPost(caredoveUrl, '/_sim/referrals', { service_listing_id: 'sl_intake_adult', registrant: { first_name: 'Cara', middle_name: null, last_name: 'Corrected', phone_home: 'ask at the front desk' } })
    expect(sent.deliveries[0].success).toBe(true)
    await open(page, 'Referrals')
    await page.getByTestId('referral-row').filter({ hasText: 'Cara Corrected' }).getByRole('link').click()
    await page.getByRole('heading', { name: 'Cara Corrected' }).waitFor()
    await page.getByRole('button', { name: 'Convert to patient' }).click()
    const refusal = page.getByTestId('error')
    await refusal.waitFor()
    expect(await refusal.textContent()).toContain("from the referral's home phone")
    await page.getByLabel('Corrected phone').fill('613-555-0142')
    await screenshot(page, '13g-referral-phone-corrected')
    await page.getByRole('button', { name: 'Convert to patient' }).click()
    await page.getByTestId('converted').waitFor()
    const { patientId } = (await hub.api('GET', `/api/referrals/${new URL(page.url()).pathname.split('/').pop()}`)).body
    expect((await hub.api('GET', `/api/patients/${patientId}`)).body).toMatchObject({ firstName: 'Cara', lastName: 'Corrected', phone: '613-555-0142' })
  })

  it('accepts a referral: the network\'s later edit is recorded as ignored, with the reason', async () => {
    const { page } = admin
    const sent = await simPost(caredoveUrl, '/_sim/referrals', { service_listing_id: 'sl_intake_adult', registrant: { first_name: 'Ben', middle_name: null, last_name: 'Accepted' } })
    expect(sent.deliveries[0].success).toBe(true)
    await open(page, 'Referrals')
    await page.getByTestId('referral-row').filter({ hasText: 'Ben Accepted' }).getByRole('link').click()
    await page.getByRole('heading', { name: 'Ben Accepted' }).waitFor()
    await page.getByRole('button', { name: 'Accept' }).click()
    await page.getByTestId('referral-status').getByText('accepted').waitFor()

    const edited = await simPost(caredoveUrl, `/_sim/referrals/${sent.referral.id}`, { registrant: { phone_home: '613-555-0199' } }, 'PATCH')
    expect(edited.deliveries[0].http_code).toBeLessThan(300)
    await page.reload()
    const ignored = page.getByTestId('event-row').filter({ hasText: 'ignored' })
    await ignored.waitFor()
    expect(await ignored.textContent()).toContain('edited')
    expect(await ignored.textContent()).toMatch(/accept/i)
    expect(await page.getByTestId('fields-registrant').textContent()).not.toContain('613-555-0199')
    await screenshot(page, '13h-referral-accepted-edit-ignored')

    await open(page, 'Referrals')
    await page.getByLabel('Status').selectOption('accepted')
    await page.getByRole('button', { name: 'Filter' }).click()
    await page.waitForURL(/status=accepted/)
    await page.getByTestId('referral-row').filter({ hasText: 'Ben Accepted' }).waitFor()
    expect(await page.getByTestId('referral-row').filter({ hasText: 'Amelia Referred' }).count()).toBe(0)
  })

  it('a referral CRMS refused waits in Needs attention with CRMS\'s message, and is filed by Replay after the fix', async () => {
    const { page } = admin
    const created = await hub.api('POST', '/api/connections', { connector: 'crms', name: 'CRMS (browser test)', baseUrl: crmsUrl, credentials: { apiKey: DEMO_CRMS.apiKey } })
    expect(created.status).toBe(201)
    const network = (await hub.api('GET', '/api/connections')).body.items.find((c: { name: string }) => c.name === 'Caredove (browser test)')
    expect((await hub.api('PATCH', `/api/connections/${network.id}`, { settings: { destination: 'crms', crmsConnectionId: created.body.id } })).status).toBe(200)
    await simFault(crmsUrl, { status: 400, message: 'Phone is not valid', match: '^POST /referrals$', count: 1, errorRate: 1 })
    const sent = await simPost(caredoveUrl, '/_sim/referrals', { service_listing_id: 'sl_intake_adult', registrant: { first_name: 'Dee', middle_name: null, last_name: 'Delivered' } })
    expect(sent.deliveries[0].success).toBe(true)
    const delivery = async () => (await hub.api('GET', `/api/referral-deliveries?connectionId=${created.body.id}`)).body.items.find((d: { registrantName: string }) => d.registrantName === 'Dee Delivered')
    await waitFor('CRMS refused it', async () => (await delivery())?.state === 'needs_attention')

    await open(page, 'Needs attention')
    const row = page.getByTestId('attention-referrals').locator('tr', { hasText: 'Dee Delivered' })
    await row.waitFor()
    expect(await row.textContent()).toContain('Phone is not valid')
    await screenshot(page, '13i-referral-delivery-needs-attention')
    await simFault(crmsUrl, [])
    await row.getByRole('button', { name: 'Replay' }).click()
    await waitFor('filed in CRMS', async () => (await delivery())?.state === 'linked')
    await row.waitFor({ state: 'detached' })
    await page.getByTestId('attention-referrals').or(page.getByText('No referral delivery waits for a person.')).first().waitFor()
  })

  it('a staff key sees the staff view: no admin pages, exchange bodies redacted, no replay', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } })
    const { page, complaints } = await openPage(context)
    await signIn(page, staffKey)
    await page.getByRole('heading', { name: 'Patients' }).waitFor()
    expect(await page.getByTestId('role').textContent()).toBe('staff')
    const menu = await page.getByRole('navigation', { name: 'Main' }).textContent()
    expect(menu).not.toContain('Connections')
    expect(menu).not.toContain('API keys')
    for (const path of ['/connections', `/connections/${rittenId}/mappings`, '/admin/keys', '/admin/audit']) {
      await page.goto(`${hub.url}${path}`)
      await page.getByTestId('admin-only').waitFor()
    }
    // Intake staff work the referral inbox like the patients list.
    await open(page, 'Referrals')
    await page.getByTestId('referral-row').filter({ hasText: 'Ben Accepted' }).getByRole('link').click()
    await page.getByRole('heading', { name: 'Ben Accepted' }).waitFor()
    await page.getByTestId('referral-note').waitFor()
    const exchange = (await hub.api('GET', `/api/exchanges?patientId=${patientId}&connectionId=${rittenId}`)).body.items.find((e: { operation: string }) => e.operation === 'create')
    await page.goto(`${hub.url}/log/${exchange.id}`)
    await page.getByTestId('redacted').waitFor()
    expect(await page.getByTestId('request-body').textContent()).not.toContain('Dana')
    expect(await page.getByRole('button', { name: 'Replay' }).count()).toBe(0)
    await screenshot(page, '14-staff-redacted')
    expect(complaints).toEqual([])
    await context.close()
  })

  it('signs out: the cookie is gone and the old session no longer works', async () => {
    const { page, context } = admin
    const cookie = (await context.cookies()).find((c) => c.name === 'carebridge_session')!
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByRole('heading', { name: 'Sign in to carebridge' }).waitFor()
    expect((await context.cookies()).find((c) => c.name === 'carebridge_session')).toBeUndefined()
    const replayed = await fetch(`${hub.url}/api/patients`, { headers: { cookie: `carebridge_session=${cookie.value}` } })
    expect(replayed.status).toBe(401)
    await screenshot(page, '15-signed-out')
  })

  it('the browser reported no Content Security Policy violation or script error on any page', () => {
    expect(admin.complaints).toEqual([])
  })
})
