import { z } from 'zod'

/**
 * The events the hub sends to subscribed URLs (F19), each with the shape of its `data`. Data
 * carries ids, codes and the names of what changed — never values of a chart: a receiver that
 * needs the patient reads it through the API with its own key (and that read is audited).
 * The schemas are strict, so an emitter cannot slip a value in beside the ids.
 */
const Uuid = z.string().uuid()
const ConnectionRef = { connectionId: Uuid, connector: z.string() }

export const EVENT_DATA = {
  'patient.linked': z
    .object({
      patientId: Uuid,
      ...ConnectionRef,
      externalId: z.string(),
      via: z.enum(['push', 'pull']).describe('push: the hub created or found the patient in the EMR; pull: a pulled EMR record was matched or imported'),
    })
    .strict(),
  'patient.updated_from_emr': z
    .object({ patientId: Uuid, ...ConnectionRef, externalId: z.string(), changedFields: z.array(z.string()).min(1).describe('CRM field paths the EMR changed, e.g. dischargeDate, address.city') })
    .strict(),
  'insurance.pulled': z
    .object({
      patientId: Uuid,
      ...ConnectionRef,
      externalId: z.string().describe("the patient's id in the EMR"),
      // Counts, not the EMR's insurance ids: some EMRs' ids carry the member id (KIPU's do).
      added: z.number().int().min(0),
      changed: z.number().int().min(0),
    })
    .strict()
    .refine((d) => d.added + d.changed > 0, 'an insurance.pulled event announces at least one added or changed insurance'),
  'link.needs_attention': z
    .object({
      recordType: z.string(),
      recordId: Uuid,
      patientId: Uuid.optional(),
      ...ConnectionRef,
      externalId: z.string().nullable(),
      jobId: Uuid,
      exchangeId: Uuid.nullable(),
      code: z.string().describe('why, as a code (the message, which may quote the record, is in the log)'),
    })
    .strict(),
  'link.failed': z
    .object({
      recordType: z.string(),
      recordId: Uuid,
      patientId: Uuid.optional(),
      ...ConnectionRef,
      externalId: z.string().nullable(),
      jobId: Uuid,
      exchangeId: Uuid.nullable(),
      code: z.string(),
    })
    .strict(),
  'pull.completed': z
    .object({
      ...ConnectionRef,
      jobId: Uuid,
      resources: z.record(z.string(), z.object({ records: z.number(), created: z.number(), updated: z.number(), unchanged: z.number(), waiting: z.number() }).strict()),
    })
    .strict(),
  'referral.imported': z
    .object({ referralId: Uuid, ...ConnectionRef, externalId: z.string(), trigger: z.string().optional() })
    .strict(),
  'subscription.test': z.object({ subscriptionId: Uuid }).strict(),
} as const

export type EventType = keyof typeof EVENT_DATA
export type EventData<T extends EventType> = z.input<(typeof EVENT_DATA)[T]>

export const EVENT_TYPES = Object.keys(EVENT_DATA) as [EventType, ...EventType[]]

/** What each event means, for the API and the README. */
export const EVENT_DESCRIPTIONS: Record<EventType, string> = {
  'patient.linked': 'A CRM patient is linked to a record in an EMR (created or found there by a push, matched or imported by a pull), or linked again to another record; e.g. start a verification of benefits',
  'patient.updated_from_emr': 'A sync wrote fields the EMR won into a CRM patient; changedFields names them',
  'insurance.pulled': 'Insurance an EMR holds for a linked patient arrived or changed (read-only in the hub)',
  'link.needs_attention': 'A sync of a record stopped and waits for a person (fix the data or mapping, then replay)',
  'link.failed': 'A sync gave up after its retries (the system stayed unreachable); replay once it is back',
  'pull.completed': 'A pull of a connection finished, with counts per resource',
  'referral.imported': 'A referral from a referral network arrived in the CRM referral inbox',
  'subscription.test': 'Sent on request (POST /api/event-subscriptions/{id}/test) to this subscription alone, whatever events it names: checks the receiver and its secret',
}

/** The JSON body of an event, as signed and sent. */
export interface EventBody<T extends EventType = EventType> {
  id: string
  type: T
  occurredAt: string
  organizationId: string
  data: z.output<(typeof EVENT_DATA)[T]>
}
