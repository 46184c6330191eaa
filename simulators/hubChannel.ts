/**
 * The simulators as the demo hub's child process (`npm start`): the same simulators
 * `npm run simulators` starts, driven by the hub over the IPC channel the hub forked them with.
 * Out of the hub's process they keep their memory (ECW's indexed FHIR definitions and seed, every
 * simulator's records) and their start-up work out of the hub's. This module is the wire: the
 * requests the demo makes of the simulators' "staff", and the child's side that answers them.
 */
import type { CaredoveSimulator } from './caredove/server.js'
import type { EcwSimulator } from './ecw/server.js'
import type { KipuSimulator } from './kipu/server.js'
import { DEFAULT_ECW_SCOPES } from '../src/connectors/ecw/client.js'

/** The practice the demo's ECW connection uses (the simulator's default practice). */
export const DEMO_ECW_PRACTICE = 'FFBJCD'

/** What the hub asks of the simulators, one kind each. */
export type HubRequest =
  | { kind: 'allowListEcwClient'; clientId: string; jwksUrl: string }
  | { kind: 'subscribeKipuWebhooks'; url: string }
  | { kind: 'integrateCaredove'; url: string }
  | { kind: 'referFromCaredove'; seed: number; serviceListingId?: string; withoutDob?: boolean }
  | { kind: 'admitInKipu'; sendingAppPatientId: string }

/** A Caredove referral's answer, as much of it as the demo reads (the held referral carries file bytes). */
export type ReferAnswer = { ok: true; referralId: string; deliveries: { http_code: number | null; body: string | null }[] } | { ok: false; message: string }

export interface HubAnswers {
  allowListEcwClient: null
  subscribeKipuWebhooks: null
  integrateCaredove: null
  referFromCaredove: ReferAnswer
  admitInKipu: boolean
}

/**
 * What the running simulators accept, for the demo connections the hub makes: sent by the child
 * so the hub needs none of the simulators' modules (nor their memory) to know it.
 */
export interface DemoCredentials {
  ritten: { clientId: string; clientSecret: string; tenant: string; audience: string; payers: { id: string; payerIdentifier: string }[] }
  kipu: { accessId: string; secretKey: string; appId: string }
  crms: { apiKey: string }
  caredove: { signingSecret: string; serviceListingIds: string[] }
}

/** Messages on the channel: the child says it is up (with its base URLs) or failed; each request gets one answer by id. */
export type ChildMessage =
  | { type: 'ready'; urls: Record<string, string>; credentials: DemoCredentials }
  | { type: 'failed'; message: string }
  | { type: 'answer'; id: number; ok: true; value: unknown }
  | { type: 'answer'; id: number; ok: false; message: string }
export type ParentMessage = { type: 'request'; id: number; request: HubRequest }

export interface ServedSimulators {
  urls: Record<string, string>
  credentials: DemoCredentials
  ecw: EcwSimulator
  kipu: KipuSimulator
  caredove: CaredoveSimulator
  close(): Promise<void>
}

/** The child's side: tells the hub its URLs, answers its requests, and ends with the hub (its channel closing). */
export function serveHub(simulators: ServedSimulators, send: (message: ChildMessage) => void, channel: NodeJS.Process): void {
  channel.on('message', (message: ParentMessage) => {
    if (message?.type !== 'request') return
    answer(simulators, message.request).then(
      (value) => send({ type: 'answer', id: message.id, ok: true, value }),
      (err: unknown) => send({ type: 'answer', id: message.id, ok: false, message: err instanceof Error ? err.message : String(err) }),
    )
  })
  // The hub stopped (or died, even by SIGKILL): its end of the channel closes, and the simulators go with it
  // — also when that happened while they were starting (a hub that could not open its database).
  const end = () => void simulators.close().finally(() => process.exit(0))
  if (!channel.connected) return end()
  channel.once('disconnect', end)
  send({ type: 'ready', urls: simulators.urls, credentials: simulators.credentials })
}

async function answer(simulators: ServedSimulators, request: HubRequest): Promise<HubAnswers[keyof HubAnswers]> {
  switch (request.kind) {
    case 'allowListEcwClient':
      simulators.ecw.registerClient(DEMO_ECW_PRACTICE, { clientId: request.clientId, jwksUrl: request.jwksUrl, scopes: DEFAULT_ECW_SCOPES.split(' ') })
      return null
    case 'subscribeKipuWebhooks':
      simulators.kipu.subscribe(request.url)
      return null
    case 'integrateCaredove':
      simulators.caredove.integrate(request.url)
      return null
    case 'referFromCaredove': {
      const answer = await simulators.caredove.refer({
        seed: request.seed,
        ...(request.serviceListingId ? { service_listing_id: request.serviceListingId } : {}),
        ...(request.withoutDob ? { registrant: { dob: null } } : {}),
      })
      if (!answer.ok) return { ok: false, message: answer.message }
      return { ok: true, referralId: answer.referral.id, deliveries: answer.deliveries.map((d) => ({ http_code: d.http_code, body: d.body })) }
    }
    case 'admitInKipu':
      return simulators.kipu.admitBySendingAppId(request.sendingAppPatientId)
  }
}
