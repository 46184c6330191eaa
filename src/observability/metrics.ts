import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/** Prometheus metrics (F29): one registry for the process, served at /metrics. */
export const registry = new Registry()
collectDefaultMetrics({ register: registry })

export const exchangesTotal = new Counter({
  name: 'carebridge_exchanges_total',
  help: 'HTTP exchanges with external systems, by connector, operation and outcome',
  labelNames: ['connector', 'operation', 'outcome'] as const,
  registers: [registry],
})

export const exchangeDuration = new Histogram({
  name: 'carebridge_exchange_duration_seconds',
  help: 'Duration of HTTP exchanges with external systems',
  labelNames: ['connector', 'operation'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
})

export const jobsFinished = new Counter({
  name: 'carebridge_jobs_finished_total',
  help: 'Sync jobs that reached an end state, by connector, kind and state',
  labelNames: ['connector', 'kind', 'state'] as const,
  registers: [registry],
})

export const jobRetries = new Counter({
  name: 'carebridge_job_retries_total',
  help: 'Sync job attempts scheduled for retry, by connector',
  labelNames: ['connector'] as const,
  registers: [registry],
})

/** What the queue gauges show: the waiting and running sync jobs by state and connection, and every connection. */
export interface QueueSnapshot {
  jobs: { state: string; connectionId: string | null; count: number; oldest: Date | null }[]
  connections: { id: string; connector: string }[]
}

/** Where the queue gauges read at each scrape (set once the database is open). */
let queueSource: (() => Promise<QueueSnapshot>) | null = null
let lastRead: { at: number; snapshot: Promise<QueueSnapshot | null> } | null = null

export function readQueueFrom(source: typeof queueSource): void {
  queueSource = source
  lastRead = null
}

/**
 * One read of the sync_jobs table per scrape, shared by the three gauges below. Read at the
 * scrape, so any process's /metrics (an API-only process too, which runs no housekeeping) shows
 * the queue every process shares as it is now; null while the database is away.
 */
function queueSnapshot(): Promise<QueueSnapshot | null> {
  if (!queueSource) return Promise.resolve(null)
  if (lastRead && Date.now() - lastRead.at < 1_000) return lastRead.snapshot
  lastRead = { at: Date.now(), snapshot: queueSource().catch(() => null) }
  return lastRead.snapshot
}

const STATES = ['queued', 'running', 'retrying'] as const

export const queueDepth = new Gauge({
  name: 'carebridge_queue_depth',
  help: 'Sync jobs waiting or running, by state',
  labelNames: ['state'] as const,
  registers: [registry],
  async collect() {
    const snapshot = await queueSnapshot()
    this.reset()
    if (!snapshot) return
    for (const state of STATES) this.set({ state }, snapshot.jobs.reduce((n, j) => n + (j.state === state ? j.count : 0), 0))
  },
})

export const connectionQueueDepth = new Gauge({
  name: 'carebridge_connection_queue_depth',
  help: 'Sync jobs waiting or running per connection, by state',
  labelNames: ['connection', 'connector', 'state'] as const,
  registers: [registry],
  async collect() {
    const snapshot = await queueSnapshot()
    this.reset()
    // Every connection gets its series (0 when idle), so a dashboard sees it drain to 0.
    for (const connection of snapshot?.connections ?? [])
      for (const state of STATES)
        this.set(
          { connection: connection.id, connector: connection.connector, state },
          snapshot!.jobs.find((j) => j.connectionId === connection.id && j.state === state)?.count ?? 0,
        )
  },
})

export const connectionOldestJobAge = new Gauge({
  name: 'carebridge_connection_oldest_job_age_seconds',
  help: 'Age of the oldest job still waiting or running per connection (0 when none): a backlog that grows old is not draining',
  labelNames: ['connection', 'connector'] as const,
  registers: [registry],
  async collect() {
    const snapshot = await queueSnapshot()
    this.reset()
    const now = Date.now()
    for (const connection of snapshot?.connections ?? []) {
      const oldest = snapshot!.jobs
        .filter((j) => j.connectionId === connection.id)
        .reduce<Date | null>((min, j) => (j.oldest && (!min || j.oldest < min) ? j.oldest : min), null)
      this.set({ connection: connection.id, connector: connection.connector }, oldest ? Math.max(0, Math.round((now - oldest.getTime()) / 1000)) : 0)
    }
  },
})

export const rateLimitedTotal = new Counter({
  name: 'carebridge_rate_limited_total',
  help: 'Answers 429 (Too Many Requests) from external systems, per connection: the hub paces itself, so this stays 0',
  labelNames: ['connection', 'connector'] as const,
  registers: [registry],
})

export const circuitState = new Gauge({
  name: 'carebridge_circuit_state',
  help: "Per connection (in this process): 0 closed, 1 half-open (one call probes the system), 2 open (calls paused, the system is not answering)",
  labelNames: ['connection', 'connector'] as const,
  registers: [registry],
})

export const circuitOpened = new Counter({
  name: 'carebridge_circuit_opened_total',
  help: 'Times a connection circuit opened after failures in a row',
  labelNames: ['connection', 'connector'] as const,
  registers: [registry],
})

/** Where the budget-use gauge reads its figures at each scrape (set once the database is open). */
let budgetUseSource: (() => Promise<{ connectionId: string; connector: string; use: number }[]>) | null = null

export function readBudgetUseFrom(source: typeof budgetUseSource): void {
  budgetUseSource = source
}

export const connectionBudgetUse = new Gauge({
  name: 'carebridge_connection_budget_use',
  help: "Per connection: calls its system answered in the last window ÷ what the connection's pacing allows in that window (bucket: 10 s of refill; per-window limit: its window). Near 1 with a backlog: the pace holds the work back",
  labelNames: ['connection', 'connector'] as const,
  registers: [registry],
  // Read from the integration log at each scrape, so every worker process's calls count in any process's /metrics.
  async collect() {
    if (!budgetUseSource) return
    const figures = await budgetUseSource().catch(() => null)
    // The database is away: no figure rather than a stale one (the outage has its own signals).
    this.reset()
    for (const f of figures ?? []) this.set({ connection: f.connectionId, connector: f.connector }, f.use)
  },
})
