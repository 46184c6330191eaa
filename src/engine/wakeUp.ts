import type pg from 'pg'
import { createGuardedPool, type DatabaseAvailability } from '../db/availability.js'
import { JOBS_CHANNEL, PROCESS_SENDER } from '../db/queue.js'

/**
 * Wakes this process's workers when a job is committed anywhere — by the API process, by another
 * worker process, or here. One connection LISTENs on JOBS_CHANNEL (the enqueue's transaction
 * sends the notification, so it arrives only after the commit); each notification calls
 * `onWake`, which nudges the idle workers to fetch at once instead of at their next poll.
 *
 * The connection rides through database outages like every other one of the hub: its errors
 * report to `availability` (one log line per outage), and once it is gone it is opened again
 * every `retryMs` until the database answers. A notification this process sent with its own
 * PROCESS_SENDER is skipped: the sender woke its workers itself. Notifications sent while nobody listened are lost,
 * so every (re)connection wakes the workers once; polling stays the fallback in between.
 */
export class JobWakeUp {
  private readonly pool: pg.Pool
  private client: pg.PoolClient | null = null
  private retry: NodeJS.Timeout | null = null
  private stopped = true
  private onWake: () => void = () => undefined
  /** Notifications received so far (for tests and the bench). */
  received = 0

  constructor(
    private readonly options: {
      connectionString: string
      availability: DatabaseAvailability
      log: { warn(obj: object, msg: string): void }
      retryMs?: number
    },
  ) {
    this.pool = createGuardedPool({ connectionString: options.connectionString, max: 1, keepAlive: true, application_name: 'carebridge-wakeup' }, (err) => options.availability.noteFailure(err))
  }

  /** Listens from now on; resolves once listening, or once the first attempt failed (it keeps trying). */
  async start(onWake: () => void): Promise<void> {
    this.onWake = onWake
    this.stopped = false
    await this.connect()
  }

  /** Whether the LISTEN connection is open right now. */
  get listening(): boolean {
    return this.client !== null
  }

  async stop(): Promise<void> {
    this.stopped = true
    if (this.retry) clearTimeout(this.retry)
    this.retry = null
    const client = this.client
    this.client = null
    client?.release(true)
    await this.pool.end().catch(() => undefined)
  }

  private async connect(): Promise<void> {
    if (this.stopped || this.client) return
    let client: pg.PoolClient | null = null
    try {
      client = await this.pool.connect()
      const held = client
      held.on('notification', (message) => {
        if (message.channel !== JOBS_CHANNEL) return
        this.received++
        // Sent by this process, which woke its workers itself when the commit returned.
        if (message.payload === PROCESS_SENDER) return
        this.onWake()
      })
      // The server ended the connection (restart, failover, a killed backend): listen again.
      held.once('end', () => this.lost(held))
      await held.query(`LISTEN ${JOBS_CHANNEL}`)
      if (this.stopped) {
        held.release(true)
        return
      }
      this.client = held
    } catch (err) {
      client?.release(true)
      if (!this.options.availability.noteFailure(err)) this.options.log.warn({ err }, 'job wake-up: could not LISTEN; workers poll until it can')
      this.scheduleRetry()
      return
    }
    // Whatever was committed while nobody listened has no notification on its way: look now.
    this.onWake()
  }

  private lost(client: pg.PoolClient): void {
    if (this.client !== client) return
    this.client = null
    client.release(true)
    this.scheduleRetry()
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retry) return
    this.retry = setTimeout(() => {
      this.retry = null
      void this.connect()
    }, this.options.retryMs ?? 1000)
    this.retry.unref()
  }
}
