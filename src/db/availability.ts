import pg from 'pg'
import { isConnectorError } from '../connectors/errors.js'

/**
 * Whether the database answers. A restart, a failover or a maintenance window takes it away for
 * seconds; every process keeps running through that. This object is the one place that notices:
 * it logs the outage once (not a stack per request or per job), probes until the database is
 * back, logs that once, and lets the API answer 503 at once while it is away.
 */
export class DatabaseAvailability {
  private downSince: Date | null = null
  private lastCause = ''
  private probing: NodeJS.Timeout | null = null
  private waiters: (() => void)[] = []

  constructor(
    private readonly probe: () => Promise<unknown>,
    private readonly log: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void },
    private readonly probeIntervalMs = 1000,
  ) {}

  get up(): boolean {
    return this.downSince === null
  }

  /** When the current outage began (null while the database answers). */
  get since(): Date | null {
    return this.downSince
  }

  /** Records that a call failed because the database is unreachable; true if `err` was such a failure. */
  noteFailure(err: unknown): boolean {
    if (!isDatabaseUnavailable(err)) return false
    this.lastCause = describe(err)
    if (this.downSince) return true
    this.downSince = new Date()
    this.log.warn({ cause: this.lastCause }, 'database unreachable: API answers 503 and workers wait until it is back')
    this.scheduleProbe()
    return true
  }

  /**
   * Whether a failure that escaped every caller (a library's write that nobody awaited, such as
   * a queue's bookkeeping) is the database's condition rather than a fault of ours: an outage,
   * noted as `noteFailure` notes it, or a write refused for want of disk or memory. Such a write
   * was rolled back whole, and what it recorded is owned elsewhere (a job's row, retried when
   * its lease is over), so the process keeps running: ending it on a full disk would turn a
   * condition the API answers with 503 into an outage of every process.
   */
  isDatabaseCondition(err: unknown): boolean {
    if (this.noteFailure(err)) return true
    const short = databaseShortOf(err)
    if (!short) return false
    this.log.warn({ cause: describe(err) }, `a background write was refused: the database is short of ${short === 'disk' ? 'disk space' : 'resources'}`)
    return true
  }

  /** Resolves once the database answers again (at once if it does), or false after `timeoutMs`. */
  async waitUntilUp(timeoutMs: number): Promise<boolean> {
    if (this.up) return true
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done)
        resolve(false)
      }, timeoutMs)
      const done = () => {
        clearTimeout(timer)
        resolve(true)
      }
      this.waiters.push(done)
    })
  }

  stop(): void {
    if (this.probing) clearTimeout(this.probing)
    this.probing = null
  }

  private scheduleProbe(): void {
    if (this.probing) return
    this.probing = setTimeout(() => void this.runProbe(), this.probeIntervalMs)
    this.probing.unref()
  }

  private async runProbe(): Promise<void> {
    this.probing = null
    try {
      await this.probe()
    } catch (err) {
      this.lastCause = describe(err)
      this.scheduleProbe()
      return
    }
    const seconds = this.downSince ? Math.round((Date.now() - this.downSince.getTime()) / 1000) : 0
    this.downSince = null
    this.log.info({ downForSeconds: seconds, lastCause: this.lastCause }, 'database reachable again')
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) w()
  }
}

/**
 * True for errors that mean "the database is not there right now" rather than a fault of the
 * query: refused or dropped connections, the server shutting down or starting up, a connection
 * that broke mid-query. SQL errors (constraint violations, syntax) are not outages. Nor is an
 * external system's failure: a ConnectorError carries its socket's error (ECONNRESET when an EMR
 * drops a connection) as its cause, and read as the database's it would make the API answer 503
 * to every caller while the EMR misbehaves.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (isConnectorError(e)) return false
    const { code, message } = e as { code?: unknown; message?: unknown }
    if (typeof code === 'string') {
      if (NETWORK_CODES.has(code)) return true
      // 08: connection exception; 57P01-03: admin shutdown, crash shutdown, cannot connect now.
      if (/^08/.test(code) || code === '57P01' || code === '57P02' || code === '57P03') return true
    }
    if (typeof message === 'string' && BROKEN_CONNECTION_MESSAGES.some((m) => message.includes(m))) return true
    if (e instanceof AggregateError && e.errors.some((inner) => isDatabaseUnavailable(inner))) return true
  }
  return false
}

/**
 * True when no connection came in time: every pooled connection is busy (the embedded database
 * runs one statement at a time, and a busy machine slows it), or the server is slow to accept.
 * A busy database is not an outage: the caller is asked to retry, nothing else stops.
 */
export function isDatabaseBusy(err: unknown): boolean {
  const message = (err as { message?: unknown })?.message
  return typeof message === 'string' && BUSY_MESSAGES.some((m) => message.includes(m))
}

const BUSY_MESSAGES = ['timeout exceeded when trying to connect', 'connection timeout']

/**
 * What the database lacks when it refuses a write for want of resources (SQLSTATE class 53):
 * `disk` when it has no room left to write (53100 — PostgreSQL's, and PGlite's own "could not
 * extend file … No space left on device"), `resources` for memory, connections or the like; null
 * for any other error. The statement failed whole and its transaction was rolled back, so nothing
 * of it was stored; reads still work, so this is no outage: the caller is asked to retry later.
 */
export function databaseShortOf(err: unknown): 'disk' | 'resources' | null {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code
    if (code === DISK_FULL) return 'disk'
    if (typeof code === 'string' && /^53[0-9A-Z]{3}$/.test(code)) return 'resources'
  }
  return null
}

const DISK_FULL = '53100'

/**
 * A `pg` pool whose every client has an error listener for its whole life. node-postgres emits a
 * connection error (e.g. 57P01 when the server restarts) on the client object; the pool listens
 * only while a client is idle, so a client held by a transaction, a lease or a lock would throw
 * an unhandled 'error' event and end the process. A client that saw such an error is no longer
 * queryable, and the pool drops it when it is released.
 */
export function createGuardedPool(config: pg.PoolConfig, onConnectionError: (err: unknown) => void): pg.Pool {
  const pool = new pg.Pool({
    // A database that does not answer must not hang a request: waiting for a connection gives up
    // in bounded time (long enough for a busy embedded database to serve the queue before it).
    connectionTimeoutMillis: 15_000,
    ...config,
  })
  pool.on('connect', (client) => client.on('error', onConnectionError))
  pool.on('error', onConnectionError)
  return pool
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN'])
const BROKEN_CONNECTION_MESSAGES = [
  'Connection terminated',
  'Client has encountered a connection error and is not queryable',
  'the database system is shutting down',
  'the database system is starting up',
  'terminating connection due to administrator command',
]

function describe(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown }
  const message = typeof e?.message === 'string' ? e.message : String(err)
  return typeof e?.code === 'string' ? `${e.code}: ${message}` : message
}
