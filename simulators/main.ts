/**
 * `npm run simulators`: every simulator alone, on loopback ports (SIM_<NAME>_PORT to fix one),
 * for trying a connector by hand or pointing a hub at them.
 */
import { createRittenSimulator, DEMO_RITTEN } from './ritten/server.js'
import { createEcwSimulator } from './ecw/server.js'
import { createKipuSimulator, DEMO_KIPU } from './kipu/server.js'
import { createCrmsSimulator, DEMO_CRMS } from './crms/server.js'
import { createCaredoveSimulator, DEMO_CAREDOVE } from './caredove/server.js'

const ritten = createRittenSimulator()
const rittenUrl = await ritten.listen(Number(process.env.SIM_RITTEN_PORT ?? 0))
const ecw = createEcwSimulator()
await ecw.listen(Number(process.env.SIM_ECW_PORT ?? 0))
await ecw.ready
const kipu = createKipuSimulator()
const kipuUrl = await kipu.listen(Number(process.env.SIM_KIPU_PORT ?? 0))
const crms = createCrmsSimulator()
const crmsUrl = await crms.listen(Number(process.env.SIM_CRMS_PORT ?? 0))
const caredove = createCaredoveSimulator()
const caredoveUrl = await caredove.listen(Number(process.env.SIM_CAREDOVE_PORT ?? 0))

process.stdout.write(
  [
    'carebridge simulators are running (control surface: GET /_sim/records, POST /_sim/faults, POST /_sim/reset at each origin)',
    `  ritten  ${rittenUrl}  client_id=${DEMO_RITTEN.clientId} client_secret=${DEMO_RITTEN.clientSecret} tenant=${DEMO_RITTEN.tenant}`,
    `  ecw     ${ecw.baseUrl('FFBJCD')}  (register a client: POST /_sim/clients {clientId, jwksUrl, scopes})`,
    `  kipu    ${kipuUrl}  access_id=${DEMO_KIPU.accessId} secret_key=${DEMO_KIPU.secretKey} app_id=${DEMO_KIPU.appId}`,
    `  caredove ${caredoveUrl}  signing_secret=${DEMO_CAREDOVE.signingSecret}  (deliver events: POST /_sim/integrations {url}; listings ${DEMO_CAREDOVE.serviceListings.map((l) => l.id).join(', ')})`,
    `  crms    ${crmsUrl}  api_key=${DEMO_CRMS.apiKey}`,
  ].join('\n') + '\n',
)

const stop = async () => {
  await ritten.close()
  await ecw.close()
  await kipu.close()
  await crms.close()
  await caredove.close()
  process.exit(0)
}
process.on('SIGINT', () => void stop())
process.on('SIGTERM', () => void stop())
