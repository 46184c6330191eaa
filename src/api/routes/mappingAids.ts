import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { sql } from 'kysely'
import { z } from 'zod'
import { getMappings, requireConnector } from '../../connections/connections.js'
import { CRM_REFERRAL_FIELDS } from '../../crm/referralFields.js'
import { BirthSex, Ethnicity, Gender, InsurancePriority, MaritalStatus, PaymentMethod, Race, SubscriberRelationship } from '../../crm/vocabulary.js'
import { CRM_PATIENT_FIELDS } from '../../mapping/crmFields.js'
import { findUnmappedValues } from '../../mapping/unmapped.js'
import type { Hub } from '../../hub.js'
import { IdParams } from './common.js'
import { errorResponses, listOf } from './responses.js'

const UnmappedValue = z.object({
  valueMap: z.string(),
  source: z.string().describe('where the CRM holds the value'),
  value: z.string(),
  count: z.number().int().describe('records carrying it'),
})

const CrmFields = z.object({
  fields: z.array(z.string()).describe('CRM patient fields a field map may read'),
  customFields: z.array(z.string()).describe('custom fields present in the data, as customFields.<name>'),
  picklists: z.record(z.string(), z.array(z.string())).describe("the CRM's own values of each picklist field"),
  referralFields: z.array(z.object({ path: z.string(), label: z.string(), required: z.boolean() })).describe('CRM referral fields: what a referral network connection (crmRecord referral) maps into'),
})

/** What the mapping screens offer (F7, F8): the CRM's fields and picklists, and the values no map translates yet. */
export function mappingAidRoutes(hub: Hub): FastifyPluginAsyncZod {
  return async (app) => {
    app.get('/crm-fields', { schema: { tags: ['mappings'], summary: "The CRM's patient fields (custom fields in use included), its picklists, and its referral fields", response: { 200: CrmFields, ...errorResponses } } }, async (request) => {
      const custom = await sql<{ name: string }>`
        select distinct jsonb_object_keys(custom_fields) as name from patients where organization_id = ${request.actor.organizationId} order by 1 limit 500`.execute(hub.db)
      return {
        fields: CRM_PATIENT_FIELDS.filter((f) => f !== 'id'),
        customFields: custom.rows.map((r) => `customFields.${r.name}`),
        picklists: {
          gender: Gender.options,
          maritalStatus: MaritalStatus.options,
          birthSex: BirthSex.options,
          race: Race.options,
          ethnicity: Ethnicity.options,
          paymentMethod: PaymentMethod.options,
          insurancePriority: InsurancePriority.options,
          subscriberRelationship: SubscriberRelationship.options,
        },
        referralFields: CRM_REFERRAL_FIELDS.map((f) => ({ path: f.path, label: f.label, required: f.required ?? false })),
      }
    })

    app.get(
      '/connections/:id/unmapped-values',
      {
        schema: {
          tags: ['mappings'],
          summary: "CRM values in the data that this connection's value maps do not translate yet (payer codes, programs, locations, gender…), most frequent first",
          params: IdParams,
          response: { 200: listOf(UnmappedValue), ...errorResponses },
        },
      },
      async (request) => {
        const organizationId = request.actor.organizationId
        const mappings = await getMappings(hub.db, organizationId, request.params.id)
        const row = await hub.db.selectFrom('connections').select('connector').where('id', '=', request.params.id).executeTakeFirstOrThrow()
        const items = await findUnmappedValues(hub.db, organizationId, requireConnector(row.connector), mappings)
        return { items, next: null }
      },
    )
  }
}
