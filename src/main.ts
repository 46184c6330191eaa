import { mkdirSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { newId } from './db/ids.js'
import pino from 'pino'
import { loadConfig, localUrl } from './config.js'
import { SecretBox, resolveSecretKey } from './security/secrets.js'
import { startSimulatorProcess } from './demo/simulatorProcess.js'
import type { DemoSimulators } from './demo/demo.js'
import type { Db } from './db/database.js'
import type { DatabaseAvailability } from './db/availability.js'

/**
 * The rest of the hub, loaded once the demo simulators' process is on its way: loading these
 * modules takes ~0.8 s, which the child's own start-up (the critical path to healthy) then
 * overlaps instead of following.
 */
async function loadHub() {
  const [{ openDatabase }, { Engine }, { JobWakeUp }, { buildApi }, { createApiKey }, demo] = await Promise.all([
    import('./db/database.js'),
    import('./engine/engine.js'),
    import('./engine/wakeUp.js'),
    import('./api/app.js'),
    import('./security/apiKeys.js'),
    import('./demo/demo.js'),
  ])
  return { openDatabase, Engine, JobWakeUp, buildApi, createApiKey, demo }
}

const PHI_SAFE_REDACT = ['req.headers.authorization', '*.clientSecret', '*.client_secret', '*.access_token']

async function main(): Promise<void> {
  const config = loadConfig()
  const log = pino({ level: config.logLevel, redact: PHI_SAFE_REDACT })
  mkdirSync(config.dataDir, { recursive: true })
  const { key } = resolveSecretKey({ secretKey: config.secretKey, demo: config.demo, dataDir: config.dataDir })
  const box = new SecretBox(key)

  let ready = false
  // Demo mode: the simulators' process starts first and comes up while this one loads the hub and opens its database.
  const simulatorsStarting = config.demo ? startSimulatorProcess(undefined, log) : null
  // Should the database fail first, main's error is the one reported; the child ends with this process.
  simulatorsStarting?.catch(() => undefined)
  const { openDatabase, Engine, JobWakeUp, buildApi, createApiKey, demo } = await loadHub()
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 10 + config.workerConcurrency, log })
  const { availability } = database
  keepRunningThroughOutages(log, availability)
  const engine = new Engine({
    db: database.db,
    box,
    retry: { maxAttempts: config.maxAttempts, baseMs: config.retryBaseMs, maxMs: config.retryMaxMs },
    leaseSeconds: config.jobLeaseSeconds,
    httpTimeoutMs: config.httpTimeoutMs,
    circuit: config.circuit,
    unpaced: config.unpacedConnectors,
    log,
    concurrency: config.workerConcurrency,
    pollSeconds: config.queuePollSeconds,
    bodyRetentionDays: config.exchangeBodyRetentionDays,
    availability,
    wakeUp: config.role === 'api' ? undefined : new JobWakeUp({ connectionString: database.connectionString, availability, log }),
  })

  const organizationId = await ensureOrganization(database.db, config.demo)
  const adminKey = await ensureAdminKey(database.db, organizationId, config, createApiKey)

  const api = config.role === 'worker' ? null : await buildApi({ config, db: database.db, engine, box, availability, ready: () => ready }, { logger: log })
  // Listening before the demo data is made: with PORT=0 (any free port) the public URL is known only now.
  const address = api ? await api.listen({ port: config.port, host: config.host }) : null
  if (api && config.publicUrlIsLocal) config.publicUrl = localUrl(config.host, (api.server.address() as AddressInfo).port)

  const simulators: DemoSimulators | null = simulatorsStarting ? await simulatorsStarting : null
  if (simulators) await demo.ensureDemoData(database.db, box, engine, organizationId, simulators, config.publicUrl)
  if (config.role !== 'api') await engine.startWorkers()
  ready = true
  if (simulators) demo.admitFirstDemoPatientInKipu(database.db, organizationId, simulators, log)
  if (simulators) demo.deliverDemoReferrals(database.db, organizationId, simulators, log)

  const lines = [
    `carebridge is running (${config.role === 'all' ? 'API and workers' : config.role}, ${database.embedded ? `embedded database in ${config.dataDir}` : 'PostgreSQL'})`,
    ...(address ? [`  UI:          ${address}/  (admin UI: sign in with an API key)`] : []),
    ...(address ? [`  API:         ${address}/api  (OpenAPI: ${address}/api/openapi.json, health: ${address}/health)`] : []),
    ...(adminKey ? [`  Admin key:   ${adminKey}`] : []),
    // The embedded database is served on loopback while the hub runs: psql (or a test) can look inside.
    ...(database.embedded ? [`  Database:    ${database.connectionString}  (embedded; psql while the hub runs)`] : []),
    ...Object.entries(simulators?.urls ?? {}).map(([name, url]) => `  Simulator:   ${name.padEnd(8)} ${url}`),
  ]
  process.stdout.write(`${lines.join('\n')}\n`)

  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    log.info({ signal }, 'stopping')
    ready = false
    await api?.close()
    await engine.stop()
    await simulators?.close()
    await database.close()
    process.exit(0)
  }
  process.on('SIGINT', () => void stop('SIGINT'))
  process.on('SIGTERM', () => void stop('SIGTERM'))
}

/**
 * A database outage or a full disk must not end the process; a bug still must. Libraries
 * sometimes let a database error escape as an unhandled rejection (a broken connection's, or a
 * write the database refused for want of disk), so those are taken as the database condition they
 * are. Anything else is a fault of ours: one clear line,
 * then exit non-zero so the supervisor (systemd, a container runtime) restarts a clean process.
 */
function keepRunningThroughOutages(log: pino.Logger, availability: DatabaseAvailability): void {
  const fatal = (kind: string) => (err: unknown) => {
    if (availability.isDatabaseCondition(err)) return
    log.fatal({ err }, `${kind}: carebridge stops; run it under a supervisor that restarts it (README, "Running in production")`)
    log.flush?.()
    process.exit(1)
  }
  process.on('unhandledRejection', fatal('unhandled rejection'))
  process.on('uncaughtException', fatal('uncaught exception'))
}

/** One organization per installation for now; demo mode names it so. */
async function ensureOrganization(db: Db, demo: boolean): Promise<string> {
  const existing = await db.selectFrom('organizations').select('id').orderBy('created_at').executeTakeFirst()
  if (existing) return existing.id
  const id = newId()
  await db.insertInto('organizations').values({ id, name: demo ? 'Demo treatment center' : 'My treatment center' }).execute()
  return id
}

/**
 * The admin key: CAREBRIDGE_ADMIN_KEY (demo default `demo-admin-key`) is always accepted. Outside
 * demo mode without that variable, a random key is made on the very first start and printed once.
 */
async function ensureAdminKey(db: Db, organizationId: string, config: ReturnType<typeof loadConfig>, createApiKey: Awaited<ReturnType<typeof loadHub>>['createApiKey']): Promise<string | null> {
  if (config.demo || process.env.CAREBRIDGE_ADMIN_KEY) {
    await createApiKey(db, { organizationId, name: 'admin (from CAREBRIDGE_ADMIN_KEY)', role: 'admin', key: config.adminKey })
    // A key the operator set is theirs already: it is not written to the log (only the demo's is).
    return config.demo ? config.adminKey : 'the one in CAREBRIDGE_ADMIN_KEY'
  }
  const any = await db.selectFrom('api_keys').select('id').where('organization_id', '=', organizationId).executeTakeFirst()
  if (any) return null
  const created = await createApiKey(db, { organizationId, name: 'first admin', role: 'admin' })
  return `${created.key}  (shown once: keep it)`
}

main().catch((err) => {
  process.stderr.write(`carebridge failed to start: ${err instanceof Error ? err.message : String(err)}\n`)
  if (err instanceof Error && err.cause) process.stderr.write(`  cause: ${String((err.cause as Error).message ?? err.cause)}\n`)
  process.exit(1)
})
