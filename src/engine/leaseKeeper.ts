import type { DbOrTx } from '../db/database.js'
import { LeaseLostError, renewLease, type JobLease } from './jobs.js'

/**
 * Renews a running job's lease in the background. The job stops (`check()` throws) when the
 * lease was taken over, or when the lease could not be renewed before it ran out (the database
 * was away): past that point another worker may already be running the job, and two runs of one
 * job must never talk to the EMR at once.
 */
export class LeaseKeeper {
  private timer: NodeJS.Timeout
  /** Our own clock's conservative idea of when the lease ends: set before each renewal is sent. */
  private leaseEndsAt: number
  private lost = false
  private renewing = false

  constructor(
    private readonly db: DbOrTx,
    readonly lease: JobLease,
    private readonly leaseSeconds: number,
    claimedAt: number,
  ) {
    this.leaseEndsAt = claimedAt + leaseSeconds * 1000
    this.timer = setInterval(() => void this.renew(), Math.max(1000, (leaseSeconds * 1000) / 3))
    this.timer.unref()
  }

  /** Throws LeaseLostError once this worker may no longer act for the job. */
  check(): void {
    if (this.lost || Date.now() >= this.leaseEndsAt) {
      this.lost = true
      throw new LeaseLostError(this.lease.jobId)
    }
  }

  get held(): boolean {
    return !this.lost && Date.now() < this.leaseEndsAt
  }

  stop(): void {
    clearInterval(this.timer)
  }

  private async renew(): Promise<void> {
    if (this.renewing || this.lost) return
    this.renewing = true
    const sentAt = Date.now()
    try {
      if (await renewLease(this.db, this.lease, this.leaseSeconds)) this.leaseEndsAt = sentAt + this.leaseSeconds * 1000
      else this.lost = true
    } catch {
      // The database is away: the lease holds until leaseEndsAt; check() stops the job after that.
    } finally {
      this.renewing = false
    }
  }
}
