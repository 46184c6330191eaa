import { DEMO_CRMS } from '../../../simulators/crms/server.js'
import type { ReferralPushInput } from '../connector.js'
import { connectorContract } from '../contractSuite.js'
import { crmsConnector } from './connector.js'
import { crmsWorld, referralInput } from './testdata.js'

/** CRMS against its simulator in-process, held to the contract every connector is held to — for its referral push. */
connectorContract<ReferralPushInput>(async () => {
  const { sim, context } = await crmsWorld()
  return {
    connector: crmsConnector,
    flow: crmsConnector.flows.pushReferral!,
    createOperation: 'create',
    secrets: [DEMO_CRMS.apiKey],
    context: () => context(),
    input: () => referralInput(),
    refused: () => {
      const input = referralInput()
      ;(input.referral.fields.registrant as Record<string, unknown>).email = 'not an address'
      return { input, names: /CRMS create failed \(400\): registrant\.email must be an email address/ }
    },
    recordId: (input) => input.referral.externalId,
    async records(externalId) {
      return sim.inbox.list(externalId).length
    },
    async failNextCreate(status, retryAfter) {
      await sim.app.inject({ method: 'POST', url: '/_sim/faults', payload: { errorRate: 1, status, count: 1, match: '^POST /referrals$', ...(retryAfter ? { retryAfter } : {}) } })
    },
  }
})
