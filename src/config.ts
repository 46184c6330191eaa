import { z } from 'zod'

const flag = z
  .enum(['0', '1', 'true', 'false', 'yes', 'no', ''])
  .transform((v) => v === '1' || v === 'true' || v === 'yes')

const ConfigSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().default('127.0.0.1'),
  /** How external systems reach this hub (e.g. ECW fetching the JWKS); defaults to the local address. */
  CAREBRIDGE_PUBLIC_URL: z.string().url().optional(),
  CAREBRIDGE_DATA_DIR: z.string().default('./data'),
  DATABASE_URL: z.string().url().optional(),
  CAREBRIDGE_DEMO: flag.default(true),
  CAREBRIDGE_ADMIN_KEY: z.string().min(8).default('demo-admin-key'),
  CAREBRIDGE_SECRET_KEY: z.string().optional(),
  /** api+worker (default), api only, or worker only — for several processes on PostgreSQL. */
  CAREBRIDGE_ROLE: z.enum(['all', 'api', 'worker']).default('all'),
  CAREBRIDGE_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  CAREBRIDGE_QUEUE_POLL_SECONDS: z.coerce.number().min(0.5).max(30).default(0.5),
  /** How long a running job is owned by its worker before another may take it over. */
  CAREBRIDGE_JOB_LEASE_SECONDS: z.coerce.number().int().min(1).default(60),
  CAREBRIDGE_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  CAREBRIDGE_RETRY_BASE_MS: z.coerce.number().int().min(1).default(1000),
  CAREBRIDGE_RETRY_MAX_MS: z.coerce.number().int().min(1).default(10 * 60_000),
  CAREBRIDGE_HTTP_TIMEOUT_MS: z.coerce.number().int().min(100).default(15_000),
  /** Failures in a row (network, timeout, 5xx) after which a connection's calls pause (its circuit opens). */
  CAREBRIDGE_CIRCUIT_FAILURES: z.coerce.number().int().min(1).max(1000).default(5),
  /** The first pause of an open circuit; each failed probe doubles it, up to 8 times as long. */
  CAREBRIDGE_CIRCUIT_OPEN_SECONDS: z.coerce.number().min(0.1).max(3600).default(15),
  /** Exchange bodies older than this are pruned (metadata kept). */
  CAREBRIDGE_EXCHANGE_BODY_RETENTION_DAYS: z.coerce.number().int().min(1).default(30),
  /**
   * Connector kinds (comma-separated, e.g. `ritten`) whose calls the hub does not pace. For
   * benchmarks against a simulator whose limit is lifted too (`npm run bench`, part `cost`);
   * never against a real EMR. Default: none.
   */
  CAREBRIDGE_UNPACED_CONNECTORS: z.string().default(''),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
})

export type Config = {
  port: number
  host: string
  publicUrl: string
  /** No CAREBRIDGE_PUBLIC_URL: the public URL is the API's own address (with PORT=0, known once it listens). */
  publicUrlIsLocal: boolean
  dataDir: string
  databaseUrl: string | undefined
  demo: boolean
  adminKey: string
  secretKey: string | undefined
  role: 'all' | 'api' | 'worker'
  workerConcurrency: number
  queuePollSeconds: number
  jobLeaseSeconds: number
  maxAttempts: number
  retryBaseMs: number
  retryMaxMs: number
  httpTimeoutMs: number
  circuit: { failures: number; openMs: number; maxOpenMs: number }
  exchangeBodyRetentionDays: number
  /** Connector kinds whose calls are not paced (benchmarks only; empty by default). */
  unpacedConnectors: string[]
  logLevel: z.infer<typeof ConfigSchema>['LOG_LEVEL']
}

/** Parses the environment once; a bad value stops start-up with the variable's name. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse(
    Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== '')),
  )
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')
    throw new Error(`Invalid configuration: ${problems}`)
  }
  const c = parsed.data
  return {
    port: c.PORT,
    host: c.HOST,
    publicUrl: (c.CAREBRIDGE_PUBLIC_URL ?? localUrl(c.HOST, c.PORT)).replace(/\/$/, ''),
    publicUrlIsLocal: c.CAREBRIDGE_PUBLIC_URL === undefined,
    dataDir: c.CAREBRIDGE_DATA_DIR,
    databaseUrl: c.DATABASE_URL,
    demo: c.CAREBRIDGE_DEMO,
    adminKey: c.CAREBRIDGE_ADMIN_KEY,
    secretKey: c.CAREBRIDGE_SECRET_KEY,
    role: c.CAREBRIDGE_ROLE,
    workerConcurrency: c.CAREBRIDGE_WORKER_CONCURRENCY,
    queuePollSeconds: c.CAREBRIDGE_QUEUE_POLL_SECONDS,
    jobLeaseSeconds: c.CAREBRIDGE_JOB_LEASE_SECONDS,
    maxAttempts: c.CAREBRIDGE_MAX_ATTEMPTS,
    retryBaseMs: c.CAREBRIDGE_RETRY_BASE_MS,
    retryMaxMs: c.CAREBRIDGE_RETRY_MAX_MS,
    httpTimeoutMs: c.CAREBRIDGE_HTTP_TIMEOUT_MS,
    circuit: { failures: c.CAREBRIDGE_CIRCUIT_FAILURES, openMs: c.CAREBRIDGE_CIRCUIT_OPEN_SECONDS * 1000, maxOpenMs: c.CAREBRIDGE_CIRCUIT_OPEN_SECONDS * 8000 },
    exchangeBodyRetentionDays: c.CAREBRIDGE_EXCHANGE_BODY_RETENTION_DAYS,
    unpacedConnectors: c.CAREBRIDGE_UNPACED_CONNECTORS.split(',').map((s) => s.trim()).filter(Boolean),
    logLevel: c.LOG_LEVEL,
  }
}

/** The API's address as processes on this machine reach it (one listening on 0.0.0.0 is reached on loopback). */
export function localUrl(host: string, port: number): string {
  return `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`
}
