/**
 * `npm run simulators`: every simulator alone, on loopback ports (SIM_<NAME>_PORT to fix one),
 * for trying a connector by hand or pointing a hub at them.
 * The demo hub (`npm start`) forks this same file as its child: with an IPC channel it prints no
 * banner of its own and serves the hub's requests instead (hubChannel.ts); it ends with the hub.
 */
import { createRittenSimulator, DEMO_RITTEN, RITTEN_SEEDED_PAYERS } from './ritten/server.js'
import { createEcwSimulator } from './ecw/server.js'
import { createKipuSimulator, DEMO_KIPU } from './kipu/server.js'
import { createCrmsSimulator, DEMO_CRMS } from './crms/server.js'
import { createCaredoveSimulator, DEMO_CAREDOVE } from './caredove/server.js'
import { DEMO_ECW_PRACTICE, serveHub, type ChildMessage } from './hubChannel.js'

/** Forked by a hub: messages to it, dropped once it is gone (the channel's close then stops this process). */
const send = process.send ? (message: ChildMessage) => void (process.connected && process.send!(message)) : undefined

try {
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

  const close = async () => {
    await ritten.close()
    await ecw.close()
    await kipu.close()
    await crms.close()
    await caredove.close()
  }
  const stop = () => void close().finally(() => process.exit(0))
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)

  if (send) {
    const urls = { ritten: rittenUrl, ecw: ecw.baseUrl(DEMO_ECW_PRACTICE), kipu: kipuUrl, crms: crmsUrl, caredove: caredoveUrl }
    const credentials = {
      ritten: { ...DEMO_RITTEN, payers: RITTEN_SEEDED_PAYERS.map(({ id, payerIdentifier }) => ({ id, payerIdentifier })) },
      kipu: { ...DEMO_KIPU },
      crms: { ...DEMO_CRMS },
      caredove: { signingSecret: DEMO_CAREDOVE.signingSecret, serviceListingIds: DEMO_CAREDOVE.serviceListings.map((l) => l.id) },
    }
    serveHub({ urls, credentials, ecw, kipu, caredove, close }, send, process)
  } else {
    process.stdout.write(
      [
        'carebridge simulators are running (control surface: GET /_sim/records, POST /_sim/faults, POST /_sim/reset at each origin)',
        `  ritten  ${rittenUrl}  client_id=${DEMO_RITTEN.clientId} client_secret=${DEMO_RITTEN.clientSecret} tenant=${DEMO_RITTEN.tenant}`,
        `  ecw     ${ecw.baseUrl(DEMO_ECW_PRACTICE)}  (register a client: POST /_sim/clients {clientId, jwksUrl, scopes})`,
        `  kipu    ${kipuUrl}  access_id=${DEMO_KIPU.accessId} secret_key=${DEMO_KIPU.secretKey} app_id=${DEMO_KIPU.appId}`,
        `  caredove ${caredoveUrl}  signing_secret=${DEMO_CAREDOVE.signingSecret} service_listings=${DEMO_CAREDOVE.serviceListings.map((l) => l.id).join(',')}  (send events to a URL: POST /_sim/integrations {url})`,
        `  crms    ${crmsUrl}  api_key=${DEMO_CRMS.apiKey}`,
      ].join('\n') + '\n',
    )
  }
} catch (err) {
  // A hub waiting for this child hears why; alone, the error ends the process as before.
  if (!send) throw err
  send({ type: 'failed', message: err instanceof Error ? err.message : String(err) })
  process.exit(1)
}
