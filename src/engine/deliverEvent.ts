import { ConnectorError, httpFailure } from '../connectors/errors.js'
import { createRecordingHttp } from '../exchanges/recorder.js'
import { subscriptionForDelivery } from '../events/subscriptions.js'
import { webhookHeaders } from '../events/signature.js'
import type { DeliveryInput } from '../events/emit.js'
import type { EventBody } from '../events/catalog.js'
import { saveJobProgressInfo, type SyncJobRow } from './jobs.js'
import type { LeaseKeeper } from './leaseKeeper.js'
import type { EngineDeps } from './runner.js'

/** How event deliveries appear in the log and the metrics: a connector of their own, with no connection. */
export const EVENTS_CONNECTOR = 'events'

/**
 * Delivers one event to one subscription (job kind `deliver_event`): a POST of the stored body,
 * signed as Standard Webhooks for this attempt, through the recording HTTP door (every attempt is
 * an exchange). A 2xx delivers; 408, 429 and 5xx (or no answer) are retried with the engine's
 * backoff under the same `webhook-id`; any other 4xx waits for a person, who replays it once the
 * receiver is fixed. A disabled or deleted subscription is sent nothing.
 */
export async function runDeliverEvent(deps: EngineDeps, job: SyncJobRow, keeper: LeaseKeeper): Promise<void> {
  const input = job.input as Partial<DeliveryInput> | null
  if (typeof input?.eventId !== 'string' || typeof input.subscriptionId !== 'string') {
    throw new ConnectorError({ code: 'bad_job', message: 'This job names no event and subscription to deliver (input.eventId, input.subscriptionId)', retryable: false })
  }
  const event = await deps.db.selectFrom('events').selectAll().where('id', '=', input.eventId).where('organization_id', '=', job.organization_id).executeTakeFirst()
  if (!event) throw new ConnectorError({ code: 'event_missing', message: `Event ${input.eventId} is no longer stored`, retryable: false })
  const subscription = await subscriptionForDelivery(deps.db, deps.box, job.organization_id, input.subscriptionId)
  if (!subscription || !subscription.enabled) {
    const reason = subscription ? 'the subscription is disabled' : 'the subscription was deleted'
    await saveJobProgressInfo(deps.db, keeper.lease, { delivered: false, eventId: event.id, eventType: event.type, reason })
    return
  }

  const body = JSON.parse(event.body) as EventBody
  const patientId = typeof (body.data as { patientId?: unknown }).patientId === 'string' ? (body.data as { patientId: string }).patientId : null
  const http = createRecordingHttp({
    db: deps.db,
    // Filed under the patient it concerns, so the patient's log shows what the hub told subscribers.
    scope: {
      organizationId: job.organization_id,
      connectionId: null,
      connector: EVENTS_CONNECTOR,
      syncJobId: job.id,
      recordType: patientId ? 'patient' : 'event',
      recordId: patientId ?? event.id,
      attempt: job.attempts,
    },
    timeoutMs: deps.httpTimeoutMs,
  })
  keeper.check()
  const response = await http.request({
    operation: 'deliver',
    method: 'POST',
    url: subscription.url,
    headers: { 'user-agent': 'carebridge-events/1' },
    // The stored text parsed and serialized again gives the same bytes: it was made by JSON.stringify.
    json: body,
    note: `${event.type} ${event.id} to subscription ${subscription.description ?? subscription.id}`,
    details: { eventId: event.id, eventType: event.type, subscriptionId: subscription.id },
    sign: (request) => ({ headers: webhookHeaders(subscription.secret, event.id, new Date(), request.body ?? '') }),
  })
  keeper.check()
  if (response.status >= 200 && response.status < 300) {
    await saveJobProgressInfo(deps.db, keeper.lease, { delivered: true, eventId: event.id, eventType: event.type, httpStatus: response.status, exchangeId: response.exchangeId })
    return
  }
  const retryable = response.status === 408 || response.status === 429 || response.status >= 500
  throw httpFailure({
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    operation: 'deliver',
    message: retryable
      ? `The subscriber at ${subscription.url} answered ${response.status}; the event is sent again`
      : `The subscriber at ${subscription.url} refused the event with ${response.status}: fix the receiver (its URL, its secret, what it accepts), then replay this exchange`,
    details: { exchangeId: response.exchangeId, eventId: event.id },
  })
}
