import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { openDatabase, type DatabaseHandle } from '../src/db/database.js'
import { enqueueJob } from '../src/engine/jobs.js'
import type { RunningHub } from './harness.js'

export interface InboxFile {
  filename: string
  contentType: string
  data: Buffer
}

export interface InboxReferral {
  id: string
  externalId: string
  attachments: InboxFile[]
}

/**
 * The hub's referral inbox, filled from beside the hub as the Caredove import leaves it (the row,
 * its attachments with the summary PDF first, a `push_referral` job to the CRMS connection) —
 * through the hub's own database: PostgreSQL, or the embedded one the banner names.
 */
export interface HubInbox {
  db: DatabaseHandle['db']
  organizationId: string
  add(options?: { registrant?: Record<string, unknown>; extra?: InboxFile[] }): Promise<InboxReferral>
  deliver(referralId: string): Promise<string>
  close(): Promise<void>
}

export const SUMMARY_PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n')

export async function openHubInbox(hub: RunningHub, crmsConnectionId: string): Promise<HubInbox> {
  const databaseUrl = hub.databaseUrl ?? /^\s*Database:\s+(postgres:\/\/\S+)/m.exec(hub.output())?.[1]
  if (!databaseUrl) throw new Error('The hub printed no database address (embedded mode prints "Database: postgres://…")')
  const handle = await openDatabase({ databaseUrl, dataDir: hub.dataDir, poolSize: 2 })
  const { db } = handle
  const organizationId = (await db.selectFrom('connections').select('organization_id').where('id', '=', crmsConnectionId).executeTakeFirstOrThrow()).organization_id
  // The referral network the referrals came from (its connector is not what these tests are about).
  const sourceConnectionId = randomUUID()
  await db
    .insertInto('connections')
    .values({ id: sourceConnectionId, organization_id: organizationId, connector: 'caredove', name: 'Caredove (filled by a test)', base_url: 'http://127.0.0.1:9', enabled: false, settings: JSON.stringify({}), secrets: null, value_maps: JSON.stringify({}) })
    .execute()

  return {
    db,
    organizationId,
    async add(options = {}) {
      const id = randomUUID()
      const externalId = `ref_${randomBytes(5).toString('hex')}`
      const attachments = [{ filename: 'Referral summary.pdf', contentType: 'application/pdf', data: SUMMARY_PDF }, ...(options.extra ?? [])]
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('referrals')
          .values({
            id,
            organization_id: organizationId,
            source_connection_id: sourceConnectionId,
            external_id: externalId,
            service_listing_id: 'sl_intake_adult',
            source_status: 'open',
            source_sub_status: 'received',
            fields: JSON.stringify({
              registrant: {
                firstName: 'Amelia',
                lastName: 'Tremblay',
                dateOfBirth: '1988-04-12',
                gender: 'Female',
                address: { street: '12 King St W', city: 'Hamilton', province: 'ON', country: 'Canada', postalCode: 'L8P 1A1' },
                phoneHome: '905-555-0134',
                email: 'amelia@example.com',
                ...options.registrant,
              },
              requester: { firstName: 'Priya', lastName: 'Shah', organization: 'Hamilton Family Health Team', phone: '905-555-0100' },
              appointment: { start: '2026-12-03T15:00:00Z', durationMinutes: 60, location: 'Main clinic', providerFullName: 'Jordan Lee' },
            }),
            note: 'Reason for referral: low mood\nSafety concerns: none reported',
            source: JSON.stringify({}),
            appointments: JSON.stringify([]),
            messages: JSON.stringify([]),
            destination: 'crms',
            destination_connection_id: crmsConnectionId,
          })
          .execute()
        await trx
          .insertInto('referral_attachments')
          .values(
            attachments.map((a, i) => ({
              id: randomUUID(),
              referral_id: id,
              position: i + 1,
              kind: i === 0 ? ('summary' as const) : ('attachment' as const),
              filename: a.filename,
              content_type: a.contentType,
              size_bytes: a.data.length,
              sha256: createHash('sha256').update(a.data).digest('hex'),
              data: a.data,
            })),
          )
          .execute()
      })
      return { id, externalId, attachments }
    },
    async deliver(referralId) {
      const job = await db.transaction().execute((trx) =>
        enqueueJob(trx, { organizationId, connectionId: crmsConnectionId, kind: 'push_referral', recordType: 'referral', recordId: referralId }),
      )
      return job.id
    },
    async close() {
      await handle.close()
    },
  }
}
