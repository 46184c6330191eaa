import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Db } from '../db/database.js'
import { openTestDatabase, type TestDatabase } from '../../test/database.js'
import { createPatient, type PatientInputT } from '../crm/patients.js'
import { flagUncertainMatch, matchByDemographics } from './demographicMatch.js'

let database: TestDatabase
let db: Db
const org = randomUUID()
const connection = randomUUID()

beforeAll(async () => {
  // A fresh migrated database (PGlite, or PostgreSQL with TEST_DATABASE_URL), removed afterwards.
  database = await openTestDatabase()
  db = database.db
  await sql`insert into organizations (id, name) values (${org}, 'Clinic')`.execute(db)
  await sql`insert into connections (id, organization_id, connector, name, base_url) values (${connection}, ${org}, 'ecw', 'ECW', 'http://127.0.0.1:1')`.execute(db)
}, 120_000)

afterAll(async () => {
  await database?.close()
})

const crm = (input: Partial<PatientInputT> & { lastName: string }) =>
  createPatient(db, org, { firstName: 'Ana', dob: '1980-03-04', customFields: {}, ...input } as PatientInputT)
const link = (patientId: string, externalId: string | null) =>
  sql`insert into links (id, organization_id, record_type, record_id, connection_id, connector, external_id, state)
      values (${randomUUID()}, ${org}, 'patient', ${patientId}, ${connection}, 'ecw', ${externalId}, ${externalId ? 'linked' : 'pending'})`.execute(db)
const pulled = (externalId: string, fields: Record<string, unknown>) => ({ externalId, fields: { firstName: 'ANA ', dob: '1980-03-04', ...fields } })

describe('matching a pulled patient by demographics', () => {
  it('links the one CRM patient with the same name, birth date and phone or email', async () => {
    const byPhone = await crm({ lastName: 'Phone', phone: '(913) 555-0101' })
    const byEmail = await crm({ lastName: 'Email', email: 'ana@example.com' })
    await link(byEmail.id, null) // a push whose create answer was lost: no external id yet
    const matches = await matchByDemographics(db, org, connection, [
      pulled('e1', { lastName: 'phone', phone: '9135550101' }),
      pulled('e2', { lastName: 'Email', email: 'ANA@example.com', phone: '7855550000' }),
      pulled('e3', { lastName: 'Nobody' }),
      pulled('e4', { lastName: 'Phone' , dob: null }),
    ])
    expect(matches.get('e1')).toEqual({ kind: 'one', patient: expect.objectContaining({ id: byPhone.id }) })
    expect(matches.get('e2')).toEqual({ kind: 'one', patient: expect.objectContaining({ id: byEmail.id }) })
    expect(matches.get('e3')).toEqual({ kind: 'none' })
    expect(matches.get('e4')).toEqual({ kind: 'none' })
  })

  it('is uncertain on the same name and birth date without a shared phone or email, or with two CRM patients sharing all', async () => {
    const lonely = await crm({ lastName: 'Lonely', phone: '9135550202' })
    const twinA = await crm({ lastName: 'Twin', phone: '9135550303' })
    const twinB = await crm({ lastName: 'Twin', phone: '9135550303' })
    const matches = await matchByDemographics(db, org, connection, [pulled('u1', { lastName: 'Lonely', phone: '7855550202' }), pulled('u2', { lastName: 'Twin', phone: '913-555-0303' })])
    expect(matches.get('u1')).toEqual({ kind: 'uncertain', candidates: [{ patientId: lonely.id, reason: 'same name and birth date, but neither phone nor email agrees' }] })
    expect(matches.get('u2')).toMatchObject({ kind: 'uncertain', candidates: expect.arrayContaining([expect.objectContaining({ patientId: twinA.id }), expect.objectContaining({ patientId: twinB.id })]) })
  })

  it('compares names as normalized (case, accents, spaces) whatever the database narrows them to', async () => {
    const accented = await crm({ firstName: 'Ána', lastName: 'Núñez', phone: '9135550505' })
    const spaced = await crm({ lastName: 'de  la\tCruz', phone: '9135550606' })
    const plain = await crm({ lastName: 'Acosta', phone: '9135550707' })
    const matches = await matchByDemographics(db, org, connection, [
      pulled('a1', { lastName: 'NUNEZ', phone: '913 555 0505' }),
      pulled('a2', { lastName: ' De La Cruz ', phone: '9135550606' }),
      pulled('a3', { lastName: 'Acósta', phone: '9135550707' }),
      pulled('a4', { lastName: 'Acosta', phone: '9135550707', dob: '1980-03-05' }),
    ])
    expect(matches.get('a1')).toEqual({ kind: 'one', patient: expect.objectContaining({ id: accented.id }) })
    expect(matches.get('a2')).toEqual({ kind: 'one', patient: expect.objectContaining({ id: spaced.id }) })
    expect(matches.get('a3')).toEqual({ kind: 'one', patient: expect.objectContaining({ id: plain.id }) })
    expect(matches.get('a4')).toEqual({ kind: 'none' })
  })

  it('treats a namesake already linked to another record as another person, unless phone or email agree too', async () => {
    const namesake = await crm({ lastName: 'Namesake', phone: '9135550404' })
    await link(namesake.id, 'other-record')
    const matches = await matchByDemographics(db, org, connection, [pulled('n1', { lastName: 'Namesake', phone: '7855550404' }), pulled('n2', { lastName: 'Namesake', phone: '9135550404' })])
    expect(matches.get('n1')).toEqual({ kind: 'none' })
    expect(matches.get('n2')).toEqual({ kind: 'uncertain', candidates: [{ patientId: namesake.id, reason: 'same name, birth date and phone, but already linked to record other-record' }] })
  })

  it('sends an uncertain match to a person on the candidate’s link, leaving linked records alone', async () => {
    const open = await crm({ lastName: 'Open' })
    const linked = await crm({ lastName: 'Linked' })
    await link(linked.id, 'kept-record')
    const flag = () =>
      flagUncertainMatch(db, {
        organizationId: org,
        connectionId: connection,
        connector: 'ecw',
        title: 'eClinicalWorks',
        externalId: 'ecw-9',
        candidates: [
          { patientId: open.id, reason: 'same name and birth date, but neither phone nor email agrees' },
          { patientId: linked.id, reason: 'x' },
        ],
      })
    // The patients newly waiting (their link.needs_attention events); the next pull finding the same adds none.
    expect(await flag()).toEqual([open.id])
    expect(await flag()).toEqual([])
    const rows = await db.selectFrom('links').select(['record_id', 'state', 'external_id', 'message']).where('record_id', 'in', [open.id, linked.id]).execute()
    expect(rows.find((r) => r.record_id === open.id)).toMatchObject({ state: 'needs_attention', external_id: null, message: expect.stringContaining('eClinicalWorks patient ecw-9 may be this patient') })
    expect(rows.find((r) => r.record_id === linked.id)).toMatchObject({ state: 'linked', external_id: 'kept-record', message: null })
  })
})
