import type { paths } from './schema'

/** Shapes of the API's answers, by route (all from the generated schema). */
type Ok<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { responses: infer R }
  ? R extends { 200: { content: { 'application/json': infer B } } }
    ? B
    : R extends { 201: { content: { 'application/json': infer B } } }
      ? B
      : R extends { 202: { content: { 'application/json': infer B } } }
        ? B
        : never
  : never
type Item<T> = T extends { items: (infer I)[] } ? I : never

export type SessionInfo = Ok<'/api/session', 'get'>
export type ConnectorInfo = Item<Ok<'/api/connectors', 'get'>>
export type Connection = Ok<'/api/connections/{id}', 'get'>
export type ConnectionHealth = Item<Ok<'/api/connection-health', 'get'>>
export type TestResult = Ok<'/api/connections/{id}/test', 'post'>
export type Capability = Item<Ok<'/api/connections/{id}/capabilities', 'get'>>
export type Mappings = Ok<'/api/connections/{id}/mappings', 'get'>
export type MappingInput = NonNullable<paths['/api/connections/{id}/mappings']['put']['requestBody']>['content']['application/json']
export type ReferenceValue = Item<Ok<'/api/connections/{id}/reference-values', 'get'>>
export type UnmappedValue = Item<Ok<'/api/connections/{id}/unmapped-values', 'get'>>
export type CrmFields = Ok<'/api/crm-fields', 'get'>
export type Job = Ok<'/api/jobs/{id}', 'get'>
export type ExchangeSummary = Item<Ok<'/api/exchanges', 'get'>>
export type ExchangeDetail = Ok<'/api/exchanges/{id}', 'get'>
export type ExchangeFilter = NonNullable<paths['/api/exchanges']['get']['parameters']['query']>
export type Timeline = Ok<'/api/exchange-timeline', 'get'>
export type LinkEntry = Item<Ok<'/api/links', 'get'>>
export type Patient = Ok<'/api/patients/{id}', 'get'>
export type PatientSummary = Item<Ok<'/api/patients', 'get'>>
export type PatientInput = NonNullable<paths['/api/patients']['post']['requestBody']>['content']['application/json']
export type PushPreview = Ok<'/api/patients/{id}/preview', 'get'>
export type Conflict = Item<Ok<'/api/conflicts', 'get'>>
export type Account = Ok<'/api/accounts/{id}', 'get'>
export type AccountInput = NonNullable<paths['/api/accounts']['post']['requestBody']>['content']['application/json']
export type ApiKey = Item<Ok<'/api/keys', 'get'>>
export type AuditEvent = Item<Ok<'/api/audit', 'get'>>
export type WaitingRecord = Item<Ok<'/api/connections/{id}/waiting', 'get'>>
export type PulledUnmappedValue = Item<Ok<'/api/connections/{id}/unmapped-pulled-values', 'get'>>
export type ReferralSummary = Item<Ok<'/api/referrals', 'get'>>
export type Referral = Ok<'/api/referrals/{id}', 'get'>
export type ReferralFilter = NonNullable<paths['/api/referrals']['get']['parameters']['query']>
export type ReferralDelivery = Item<Ok<'/api/referral-deliveries', 'get'>>
