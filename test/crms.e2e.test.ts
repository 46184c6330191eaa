import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createCrmsSimulator, DEMO_CRMS, type CrmsSimulator } from '../simulators/crms/server.js'
import { ACCEPTED_IN_CRMS } from '../src/connectors/crms/connector.js'
import { openHubInbox, SUMMARY_PDF as SUMMARY, type HubInbox } from './crmsHelpers.js'
import { createTestDatabase, startHub, waitFor, WAIT, type RunningHub } from './harness.js'

/**
 * CRMS end to end: the hub and the CRMS simulator as separate servers on loopback. Referrals are
 * put in the hub's inbox as the referral import leaves them (the row, its attachments, a
 * `push_referral` job), through the hub's own database — served on loopback in embedded mode.
 */
let sim: CrmsSimulator
let simUrl: string
let hub: RunningHub
let database: Awaited<ReturnType<typeof createTestDatabase>>
let inbox: HubInbox
let crmsConnectionId: string

beforeAll(async () => {
  sim = createCrmsSimulator()
  simUrl = await sim.listen(0)
  database = await createTestDatabase()
  hub = await startHub({ databaseUrl: database?.url })
  const created = await hub.api('POST', '/api/connections', { connector: 'crms', name: 'CRMS test inbox', baseUrl: simUrl, credentials: { apiKey: DEMO_CRMS.apiKey } })
  expect(created.status).toBe(201)
  crmsConnectionId = created.body.id
  inbox = await openHubInbox(hub, crmsConnectionId)
}, WAIT.start + 60_000)

afterAll(async () => {
  await inbox?.close()
  await hub?.stop()
  await sim?.close()
  await database?.drop()
})

beforeEach(async () => {
  await fetch(`${simUrl}/_sim/faults`, { method: 'DELETE' })
})

const inboxReferral = (options?: Parameters<HubInbox['add']>[0]) => inbox.add(options)
const deliver = (referralId: string) => inbox.deliver(referralId)

async function settled(jobId: string): Promise<any> {
  return waitFor(`job ${jobId} to settle`, async () => {
    const { body } = await hub.api('GET', `/api/jobs/${jobId}`)
    return ['succeeded', 'failed', 'needs_attention'].includes(body.state) ? body : undefined
  })
}

async function linkOf(referralId: string) {
  return inbox.db.selectFrom('links').selectAll().where('record_type', '=', 'referral').where('record_id', '=', referralId).where('connection_id', '=', crmsConnectionId).executeTakeFirst()
}

async function exchangesOf(referralId: string): Promise<any[]> {
  const { body } = await hub.api('GET', `/api/exchanges?referralId=${referralId}&limit=100`)
  return body.items.reverse()
}

async function crms(path: string): Promise<{ status: number; body: any; bytes: Buffer }> {
  const res = await fetch(`${simUrl}${path}`, { headers: { 'x-api-key': DEMO_CRMS.apiKey } })
  const bytes = Buffer.from(await res.arrayBuffer())
  let body: unknown = null
  try {
    body = JSON.parse(bytes.toString('utf8'))
  } catch {
    // attachment bytes
  }
  return { status: res.status, body, bytes }
}

async function setFault(rule: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${simUrl}/_sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(rule) })
  expect(res.status).toBe(200)
}

describe('CRMS connection', () => {
  it('tests the API key with a read, and names a wrong key', async () => {
    expect((await hub.api('POST', `/api/connections/${crmsConnectionId}/test`)).body).toMatchObject({ ok: true, message: expect.stringMatching(/API key accepted/) })
    const wrong = await hub.api('POST', '/api/connections', { connector: 'crms', name: 'wrong key', baseUrl: simUrl, credentials: { apiKey: 'not-the-key' } })
    expect(wrong.status).toBe(201)
    expect((await hub.api('POST', `/api/connections/${wrong.body.id}/test`)).body).toMatchObject({ ok: false, message: expect.stringMatching(/CRMS refused the API key \(401\)/) })
    const capabilities = (await hub.api('GET', `/api/connections/${crmsConnectionId}/capabilities`)).body.items
    expect(capabilities).toContainEqual(expect.objectContaining({ dataType: 'referral', direction: 'push', supported: true }))
    expect(capabilities).toContainEqual(expect.objectContaining({ dataType: 'patient', direction: 'push', supported: false }))
  })
})

describe('CRMS delivery', () => {
  it('files the referral with its fields, note, summary PDF and attachments byte for byte, and keeps the bytes out of the log', async () => {
    const scan = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), randomBytes(512 * 1024)])
    const referral = await inboxReferral({ extra: [{ filename: 'scan.png', contentType: 'image/png', data: scan }] })
    const job = await settled(await deliver(referral.id))
    expect(job).toMatchObject({ state: 'succeeded', kind: 'push_referral', recordType: 'referral', recordId: referral.id })

    const link = await linkOf(referral.id)
    expect(link).toMatchObject({ state: 'linked', connector: 'crms', synced_version: 1 })
    const held = await crms(`/referrals/${link!.external_id}`)
    expect(held.body).toMatchObject({
      external_id: referral.externalId,
      status: 'new',
      registrant: { first_name: 'Amelia', last_name: 'Tremblay', date_of_birth: '1988-04-12', gender: 'Female', address: '12 King St W', city: 'Hamilton', province: 'ON', country: 'Canada', postal_code: 'L8P 1A1', phone_home: '905-555-0134', email: 'amelia@example.com' },
      requester: { first_name: 'Priya', last_name: 'Shah', organization: 'Hamilton Family Health Team', phone: '905-555-0100' },
      appointment: { start: '2026-12-03T15:00:00Z', duration_minutes: 60, location: 'Main clinic', provider_full_name: 'Jordan Lee' },
      referral_note: 'Reason for referral: low mood\nSafety concerns: none reported',
    })
    expect(held.body.attachments.map((a: { filename: string }) => a.filename)).toEqual(['Referral summary.pdf', 'scan.png'])
    for (const [i, attachment] of held.body.attachments.entries()) {
      const bytes = await crms(`/referrals/${link!.external_id}/attachments/${attachment.id}`)
      expect(bytes.bytes.equals(referral.attachments[i]!.data), attachment.filename).toBe(true)
    }

    const exchanges = await exchangesOf(referral.id)
    expect(exchanges.map((e) => [e.operation, e.httpStatus])).toEqual([['create', 201]])
    const one = await hub.api('GET', `/api/exchanges/${exchanges[0].id}`)
    const logged = JSON.stringify(one.body)
    expect(logged).not.toContain(scan.subarray(0, 300).toString('base64').slice(0, 200))
    expect(logged).toContain(createHash('sha256').update(scan).digest('hex'))
    expect(logged).not.toContain(DEMO_CRMS.apiKey)
  })

  it('surfaces a CRMS 400 in needs-attention with its message, and a replay after the fix files it', async () => {
    const referral = await inboxReferral({ registrant: { dateOfBirth: '2199-01-01' } })
    const job = await settled(await deliver(referral.id))
    expect(job.state).toBe('needs_attention')
    expect(job.lastError).toMatchObject({ httpStatus: 400, message: 'CRMS create failed (400): registrant.date_of_birth cannot be in the future' })
    expect(await linkOf(referral.id)).toMatchObject({ state: 'needs_attention', message: 'CRMS create failed (400): registrant.date_of_birth cannot be in the future' })
    const listed = await hub.api('GET', `/api/jobs?state=needs_attention&kind=push_referral&connectionId=${crmsConnectionId}`)
    expect(listed.body.items.map((j: { id: string }) => j.id)).toContain(job.id)
    const waiting = await hub.api('GET', `/api/referral-deliveries?state=needs_attention&connectionId=${crmsConnectionId}`)
    expect(waiting.body.items.find((d: { referralId: string }) => d.referralId === referral.id)).toMatchObject({
      connector: 'crms',
      state: 'needs_attention',
      externalReferralId: referral.externalId,
      registrantName: 'Amelia Tremblay',
      message: 'CRMS create failed (400): registrant.date_of_birth cannot be in the future',
      jobId: job.id,
      exchangeId: job.lastError.exchangeId,
    })
    expect(sim.inbox.list(referral.externalId)).toHaveLength(0)

    // The referral is fixed in the inbox (the sender resent it with the right date), then replayed.
    await inbox.db
      .updateTable('referrals')
      .set({ fields: JSON.stringify({ registrant: { firstName: 'Amelia', lastName: 'Tremblay', dateOfBirth: '1989-01-01' } }), version: 2 })
      .where('id', '=', referral.id)
      .execute()
    const replay = await hub.api('POST', `/api/exchanges/${job.lastError.exchangeId}/replay`)
    expect(replay.status).toBe(202)
    expect(await settled(replay.body.jobId)).toMatchObject({ state: 'succeeded', replayOf: job.id })
    expect(sim.inbox.list(referral.externalId).map((r) => r.registrant.date_of_birth)).toEqual(['1989-01-01'])
    expect(await linkOf(referral.id)).toMatchObject({ state: 'linked', message: null, synced_version: 2 })
    const after = await hub.api('GET', `/api/referral-deliveries?state=needs_attention&connectionId=${crmsConnectionId}`)
    expect(after.body.items.map((d: { referralId: string }) => d.referralId)).not.toContain(referral.id)
  })

  it('retries 5xx with backoff and files the referral once', async () => {
    await setFault({ errorRate: 1, status: 503, count: 2, match: '^POST /referrals$' })
    const referral = await inboxReferral()
    const job = await settled(await deliver(referral.id))
    expect(job).toMatchObject({ state: 'succeeded', attempts: 3 })
    expect(sim.inbox.list(referral.externalId)).toHaveLength(1)
    // A create that was started is looked up before it is sent again.
    expect((await exchangesOf(referral.id)).map((e) => [e.operation, e.httpStatus])).toEqual([
      ['create', 503],
      ['find', 200],
      ['create', 503],
      ['find', 200],
      ['create', 201],
    ])
  })

  it('after a lost create answer looks the referral up by external_id: exactly one CRMS referral', async () => {
    await setFault({ dropResponseRate: 1, count: 1, match: '^POST /referrals$' })
    const referral = await inboxReferral()
    const job = await settled(await deliver(referral.id))
    expect(job.state).toBe('succeeded')
    const held = sim.inbox.list(referral.externalId)
    expect(held).toHaveLength(1)
    expect((await linkOf(referral.id))?.external_id).toBe(held[0]!.id)
    // The adopted referral is brought up to date; its attachments, already held, are not sent again.
    const exchanges = await exchangesOf(referral.id)
    expect(exchanges.map((e) => e.operation)).toEqual(['create', 'find', 'read', 'update'])
    expect(exchanges[3].message).toBe('1 attachment(s) CRMS already holds not sent again')
    expect(held[0]!.attachments).toHaveLength(1)
  })

  it('updates until CRMS accepts the referral; after that sends nothing and marks the inbox referral accepted in CRMS', async () => {
    const referral = await inboxReferral()
    expect((await settled(await deliver(referral.id))).state).toBe('succeeded')
    const crmsId = (await linkOf(referral.id))!.external_id!

    // An edit before acceptance is PATCHed, with only the new attachment.
    await inbox.db.updateTable('referrals').set({ note: 'Reason for referral: low mood (edited)', version: 2 }).where('id', '=', referral.id).execute()
    await inbox.db
      .insertInto('referral_attachments')
      .values({ id: randomUUID(), referral_id: referral.id, position: 2, kind: 'attachment', filename: 'letter.pdf', content_type: 'application/pdf', size_bytes: SUMMARY.length + 1, sha256: 'x', data: Buffer.concat([SUMMARY, Buffer.from('\n')]) })
      .execute()
    expect((await settled(await deliver(referral.id))).state).toBe('succeeded')
    expect(sim.inbox.get(crmsId)).toMatchObject({ referral_note: 'Reason for referral: low mood (edited)', revision: 2 })
    expect(sim.inbox.get(crmsId)!.attachments.map((a) => a.filename)).toEqual(['Referral summary.pdf', 'letter.pdf'])

    await fetch(`${simUrl}/_sim/referrals/${crmsId}/accept`, { method: 'POST' })
    await inbox.db.updateTable('referrals').set({ note: 'edited after CRMS accepted it', version: 3 }).where('id', '=', referral.id).execute()
    const job = await settled(await deliver(referral.id))
    expect(job).toMatchObject({ state: 'succeeded', progress: { outcome: ACCEPTED_IN_CRMS } })
    expect(sim.inbox.get(crmsId)).toMatchObject({ referral_note: 'Reason for referral: low mood (edited)', revision: 2, status: 'accepted' })
    expect(await linkOf(referral.id)).toMatchObject({ state: 'linked', message: ACCEPTED_IN_CRMS })
    const row = await inbox.db.selectFrom('referrals').select(['status', 'accepted_by', 'accepted_at']).where('id', '=', referral.id).executeTakeFirstOrThrow()
    expect(row).toMatchObject({ status: 'accepted', accepted_by: 'crms' })
    expect(row.accepted_at).toBeInstanceOf(Date)
    expect((await exchangesOf(referral.id)).map((e) => e.operation)).toEqual(['create', 'read', 'update', 'read'])
  })

  it('shows staff a referral\u2019s exchanges without PHI — bodies, message and the note — and admins all of it', async () => {
    await setFault({ errorRate: 1, status: 400, count: 1, match: '^POST /referrals$', message: 'Amelia Tremblay (born 1988-04-12) is already a client' })
    const referral = await inboxReferral()
    const job = await settled(await deliver(referral.id))
    expect(job.state).toBe('needs_attention')
    expect((await hub.api('POST', `/api/exchanges/${job.lastError.exchangeId}/replay`)).status).toBe(202)
    await waitFor('the replay to file it', async () => (await linkOf(referral.id))?.state === 'linked')

    const staff = (await hub.api('POST', '/api/keys', { name: 'intake desk', role: 'staff' })).body
    const phi = ['Amelia', 'Tremblay', '1988-04-12', '12 King St W', 'L8P 1A1', '905-555-0134', 'amelia@example.com', 'low mood']
    const found = (answer: unknown) => phi.filter((value) => JSON.stringify(answer).includes(value))
    try {
      const listed = await hub.api('GET', `/api/exchanges?referralId=${referral.id}&limit=100`, undefined, staff.key)
      expect(listed.body.items.map((e: { operation: string; httpStatus: number }) => `${e.operation}:${e.httpStatus}`).reverse()).toEqual(['create:400', 'create:201'])
      expect(found(listed.body)).toEqual([])
      const details = []
      for (const item of listed.body.items) {
        const detail = await hub.api('GET', `/api/exchanges/${item.id}`, undefined, staff.key)
        expect(detail.body.redacted).toBe(true)
        expect(found(detail.body), `${item.operation} ${item.httpStatus}`).toEqual([])
        details.push(detail.body)
      }
      expect(details.find((d) => d.httpStatus === 400).message).toBe('400: [redacted] [redacted] (born [redacted]) is already a client')
      const admin = await Promise.all(listed.body.items.map(async (e: { id: string }) => (await hub.api('GET', `/api/exchanges/${e.id}`)).body))
      expect(found(admin)).toEqual(phi)
    } finally {
      await hub.api('DELETE', `/api/keys/${staff.id}`)
    }
  })
})
