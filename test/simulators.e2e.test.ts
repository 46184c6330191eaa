import { spawn, type ChildProcess } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_RITTEN } from '../simulators/ritten/server.js'
import { DEMO_KIPU } from '../simulators/kipu/server.js'
import { WAIT, waitFor } from './harness.js'

/**
 * `npm run simulators` (the README's "Simulators"): every simulator alone, one printed line each —
 * its name, its base URL and the demo credentials it accepts as key=value pairs.
 */
let child: ChildProcess
let output = ''
let exited: Promise<void>

beforeAll(async () => {
  child = spawn(process.execPath, ['--import', 'tsx', 'simulators/main.ts'], { stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout!.on('data', (d) => (output += d))
  child.stderr!.on('data', (d) => (output += d))
  exited = new Promise((resolve) => child.once('exit', () => resolve()))
  await waitFor('the simulators to print their lines', async () => {
    if (child.exitCode !== null) throw new Error(`npm run simulators exited:\n${output}`)
    return /^\s+kipu\s+http/m.test(output)
  }, WAIT.start)
})

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
  await exited
})

interface Printed {
  url: string
  credentials: Record<string, string>
}

/** The lines under the banner: `  <name>  <base URL>  key=value …`. */
function printed(): Map<string, Printed> {
  const lines = new Map<string, Printed>()
  for (const match of output.matchAll(/^\s+([a-z]+)\s+(http:\/\/\S+)(.*)$/gm)) {
    const credentials = Object.fromEntries([...match[3]!.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]))
    lines.set(match[1]!, { url: match[2]!, credentials })
  }
  return lines
}

describe('npm run simulators', () => {
  it('prints each simulator with its loopback base URL, and each one answers there', async () => {
    const lines = printed()
    expect([...lines.keys()]).toEqual(expect.arrayContaining(['ritten', 'ecw', 'kipu']))
    for (const [name, { url }] of lines) {
      expect(new URL(url).hostname, name).toBe('127.0.0.1')
      const records = await fetch(`${new URL(url).origin}/_sim/records`)
      expect(records.status, name).toBe(200)
    }
    // ECW's base URL is the practice's FHIR base: its CapabilityStatement is there.
    const metadata = await fetch(`${lines.get('ecw')!.url}/metadata`)
    expect(metadata.status).toBe(200)
    expect((await metadata.json()).resourceType).toBe('CapabilityStatement')
  })

  it('prints the demo credentials each accepts: Ritten mints a token with them, KIPU’s are its demo keys', async () => {
    const lines = printed()
    const ritten = lines.get('ritten')!
    expect(ritten.credentials).toEqual({ client_id: DEMO_RITTEN.clientId, client_secret: DEMO_RITTEN.clientSecret, tenant: DEMO_RITTEN.tenant })
    const mint = (secret: string) =>
      fetch(`${ritten.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ grant_type: 'client_credentials', client_id: ritten.credentials.client_id, client_secret: secret, audience: DEMO_RITTEN.audience }),
      })
    const minted = await mint(ritten.credentials.client_secret!)
    expect(minted.status).toBe(200)
    expect((await minted.json()).access_token).toEqual(expect.any(String))
    // The control: another secret is refused, so the printed one is what made the difference.
    expect((await mint('not-the-secret')).status).toBe(401)
    expect(lines.get('kipu')!.credentials).toEqual({ access_id: DEMO_KIPU.accessId, secret_key: DEMO_KIPU.secretKey, app_id: DEMO_KIPU.appId })
  })
})
