/**
 * `npm run bench`: end-to-end figures, hub and simulators as separate servers on loopback — the
 * same path a user's change takes. Prints figures; asserts nothing.
 *   BENCH_PATIENTS (Ritten push, default 300), BENCH_CONCURRENCY (API callers, default 10),
 *   BENCH_PULL_PATIENTS (ECW pulls by bulk export, comma-separated sizes, default 10000,100000),
 *   BENCH_KIPU_PATIENTS (KIPU push, default 200),
 *   BENCH_REFERRALS (Caredove events, each with a 1 MB attachment, default 100),
 *   BENCH_CRMS_REFERRALS (referrals delivered to CRMS, each with a 1 MB attachment, default 50),
 *   BENCH_COST_PATIENTS (part `cost`, default 1000), BENCH_COST_WORKER_PROCESSES (worker processes beside
 *   the hub in part `cost`, PostgreSQL only, default 0), BENCH_INTAKE_SECONDS (part `intake`, default 15),
 *   BENCH_EMBEDDED_IDLE_SECONDS (part `embedded`, default 20),
 *   BENCH_LATENCY_RATE, BENCH_LATENCY_SECONDS (part `latency`: patients created per second, default 20, for so
 *   long, default 60; on PostgreSQL also with one API and 2 worker processes),
 *   BENCH_BUDGET_RITTEN_SECONDS, BENCH_BUDGET_ECW_SECONDS (part `budget`, PostgreSQL only: one API and 2 worker
 *   processes push a backlog to Ritten for so long, default 30, and to ECW, default 120),
 *   BENCH_PARTS (default ritten,ecw,kipu,referrals,crms; also cost, intake, embedded, latency, budget: run only those parts), BENCH_DATABASE_URL (run on PostgreSQL instead of the embedded database),
 *   BENCH_HUB_NODE_OPTIONS (the hub's NODE_OPTIONS, e.g. --max-old-space-size=192 to show a pull's memory is bounded,
 *   or --import=<absolute path>/bench/profile.mjs with PROFILE_DIR for each hub process's CPU profile; bench/profileRank.ts ranks them).
 */
import { createRittenSimulator } from '../simulators/ritten/server.js'
import { connectRitten } from '../test/rittenHelpers.js'
import { compileHubForRun } from '../test/compileHub.js'
import { sleep, type RunningHub } from '../test/harness.js'
import { cpuSeconds, line, load, rss, withHub } from './kit.js'
import { costBench } from './cost.js'
import { intakeBench } from './intake.js'
import { embeddedBench } from './embedded.js'
import { latencyBench } from './latency.js'
import { budgetBench } from './budget.js'
import { connectEcw, PRACTICE, startEcw, type EcwWorld } from '../test/ecwHelpers.js'
import { createKipuSimulator, DEMO_KIPU } from '../simulators/kipu/server.js'
import { createCrmsSimulator, DEMO_CRMS } from '../simulators/crms/server.js'
import { openHubInbox } from '../test/crmsHelpers.js'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { Webhook } from 'standardwebhooks'
import { renderReferralSummary } from '../src/referrals/summaryPdf.js'

const PATIENTS = Number(process.env.BENCH_PATIENTS ?? 300)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 10)
const PULL_SIZES = (process.env.BENCH_PULL_PATIENTS ?? '10000,100000').split(',').map(Number)
const PARTS = (process.env.BENCH_PARTS ?? process.env.BENCH_ONLY ?? 'ritten,ecw,kipu,referrals,crms').split(',').map((s) => s.trim())
const LATENCY_SAMPLES = 20
const KIPU_PATIENTS = Number(process.env.BENCH_KIPU_PATIENTS ?? 200)
const KIPU_PULL_PATIENTS = Number(process.env.BENCH_KIPU_PULL_PATIENTS ?? 10_000)
const REFERRALS = Number(process.env.BENCH_REFERRALS ?? 100)
const CRMS_REFERRALS = Number(process.env.BENCH_CRMS_REFERRALS ?? 50)

if (process.env.BENCH_DATABASE_URL) process.env.TEST_DATABASE_URL = process.env.BENCH_DATABASE_URL
console.log(`carebridge bench — ${process.env.TEST_DATABASE_URL ? 'PostgreSQL' : 'embedded PGlite'}, 4 workers, queue poll 0.5 s, load average ${load()} at the start`)
// The hubs the parts start (test/harness.ts) run compiled, as in the tests and `npm start`.
const removeBuild = await compileHubForRun()
process.once('exit', removeBuild)
if (PARTS.includes('cost')) await costBench()
if (PARTS.includes('intake')) await intakeBench()
if (PARTS.includes('latency')) await latencyBench()
if (PARTS.includes('budget')) await budgetBench()
// `npm start` itself: always the embedded database in demo mode, whatever BENCH_DATABASE_URL says.
if (PARTS.includes('embedded')) await embeddedBench()
if (PARTS.includes('ritten')) await withHub(rittenPush)
// Each pull size on a fresh hub and database, so each starts from the same baseline. The practice
// is seeded first: seeding 100,000 patients holds this process's event loop for a while.
if (PARTS.includes('kipu')) await withHub(kipuBench)
if (PARTS.includes('referrals')) await withHub(referralBench)
if (PARTS.includes('crms')) await withHub(crmsBench)
if (PARTS.includes('ecw')) {
  const pulls: PullFigures[] = []
  for (const size of PULL_SIZES) {
    const world = await startEcw({ demo: false })
    try {
      const seeded = await world.sim.seedPatients(PRACTICE, size, { replace: true })
      await withHub(async (hub) => void pulls.push(await ecwPull(hub, world, size, Object.values(seeded.created).reduce((a, b) => a + b, 0))))
    } finally {
      await world.close()
    }
  }
  comparePulls(pulls)
}

async function rittenPush(hub: RunningHub): Promise<void> {
  const sim = createRittenSimulator()
  const simUrl = await sim.listen(0)
  try {
    const connection = await connectRitten(hub, simUrl, 'Ritten bench')
    const patient = (i: number) => ({ firstName: 'Bench', lastName: `Patient${i}`, dob: '1990-01-01', gender: 'female', phone: '913-555-0000', email: `b${i}@example.com` })

    // Latency: API create → linked in Ritten (both steps), one patient at a time.
    const latencies: number[] = []
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      const started = performance.now()
      const { body } = await hub.api('POST', '/api/patients', patient(i))
      for (;;) {
        const { body: p } = await hub.api('GET', `/api/patients/${body.id}`)
        if (p.links.find((l: { connector: string }) => l.connector === 'ritten')?.state === 'linked') break
        await sleep(10)
      }
      latencies.push(performance.now() - started)
    }

    // Throughput: PATIENTS creates from CONCURRENCY callers, until every one is in Ritten.
    const started = performance.now()
    let next = 0
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < PATIENTS) {
          const i = next++
          await hub.api('POST', '/api/patients', patient(1000 + i))
        }
      }),
    )
    const accepted = performance.now() - started
    for (;;) {
      const records = await (await fetch(`${new URL(simUrl).origin}/_sim/records`)).json()
      if (records.patients.filter((p: { phones?: string[] }) => (p.phones?.length ?? 0) > 0).length >= PATIENTS + LATENCY_SAMPLES) break
      await sleep(50)
    }
    const total = performance.now() - started
    const sorted = [...latencies].sort((a, b) => a - b)
    const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!.toFixed(0)
    line('Ritten: create → linked latency p50 / p95 / max (ms)', `${pct(50)} / ${pct(95)} / ${sorted[sorted.length - 1]!.toFixed(0)}`)
    line(`Ritten: API creates accepted (${PATIENTS}, ${CONCURRENCY} callers)`, `${(PATIENTS / (accepted / 1000)).toFixed(0)} patients/s`)
    line('Ritten: pushed end to end (create + PATCH each)', `${(PATIENTS / (total / 1000)).toFixed(1)} patients/s (${(total / 1000).toFixed(1)} s)`)
    line('Ritten: token mints for the run', String((await (await fetch(`${new URL(simUrl).origin}/_sim/records`)).json()).tokens.mints))
    await hub.api('PATCH', `/api/connections/${connection.id}`, { enabled: false })
  } finally {
    await sim.close()
  }
}

interface PullFigures {
  patients: number
  recordsPerSecond: number
  /** Records per second of the hub's own CPU time (with the embedded database, its work too). */
  recordsPerCpuSecond: number
  rssBefore: number
  peak: number
  load: string
}

/**
 * A full pull of `patients` ECW patients with their Coverage and Encounters, by bulk export
 * (Group/$export, NDJSON read line by line), then an incremental pull (`_since`) with nothing new.
 */
async function ecwPull(hub: RunningHub, world: EcwWorld, patients: number, seeded: number): Promise<PullFigures> {
  const { id } = await connectEcw(hub, world)
  const rssBefore = rss(hub.pid)
  let peak = rssBefore
  const run = async () => {
    const started = performance.now()
    let firstRecordsAt: number | null = null
    const { body } = await hub.api('POST', `/api/connections/${id}/pull`)
    for (;;) {
      peak = Math.max(peak, rss(hub.pid))
      const { body: job } = await hub.api('GET', `/api/jobs/${body.jobId}`)
      firstRecordsAt ??= (job.progress?.resources?.patient?.records ?? 0) > 0 ? (performance.now() - started) / 1000 : null
      if (job.state === 'succeeded') return { job, seconds: (performance.now() - started) / 1000, firstRecordsAt }
      if (job.state === 'failed' || job.state === 'needs_attention') throw new Error(JSON.stringify(job.lastError))
      await sleep(100)
    }
  }
  const loadBefore = load()
  const cpuBefore = cpuSeconds(hub.pid)
  // The simulator serves the export from this process: its CPU shows whether it is what limits the pull.
  const simulatorBefore = process.cpuUsage()
  const databaseBefore = await backendCpuSeconds(hub)
  const blocksBefore = await blocksTouched(hub)
  const relationsBefore = await relationBuffers(hub)
  const { job, seconds, firstRecordsAt } = await run()
  const cpu = cpuSeconds(hub.pid) - cpuBefore
  const simulatorUsage = process.cpuUsage(simulatorBefore)
  const simulatorCpu = (simulatorUsage.user + simulatorUsage.system) / 1e6
  const databaseCpu = sumNew(await backendCpuSeconds(hub), databaseBefore)
  const blocks = blocksBefore === null ? null : (await blocksTouched(hub))! - blocksBefore
  const relations = relationsBefore === null ? null : relationBuffersSince(relationsBefore, (await relationBuffers(hub))!)
  const figures = { patients, recordsPerSecond: 0, recordsPerCpuSecond: 0, rssBefore, peak, load: `${loadBefore}–${load()}` }
  const resources = job.progress.resources as Record<string, { records: number }>
  const records = ['patient', 'insurance', 'encounter'].reduce((n, r) => n + (resources[r]?.records ?? 0), 0)
  figures.recordsPerSecond = records / seconds
  figures.recordsPerCpuSecond = records / cpu
  const label = patients.toLocaleString('en-US')
  line(`ECW: bulk pull of ${label} new patients + coverage + encounters`, `${records.toLocaleString('en-US')} records in ${seconds.toFixed(1)} s (load average ${figures.load})`)
  line(`ECW: ${label} — records/s (patients/s)`, `${figures.recordsPerSecond.toFixed(0)} records/s (${(patients / seconds).toFixed(0)} patients/s)`)
  line(`ECW: ${label} — hub CPU time for the pull`, `${cpu.toFixed(1)} s = ${figures.recordsPerCpuSecond.toFixed(0)} records per CPU-second`)
  line(`ECW: ${label} — export wait (kick-off → first page stored, polled every 0.1 s)`, `${firstRecordsAt?.toFixed(1) ?? '?'} s; the rest ${(records / (seconds - (firstRecordsAt ?? 0))).toFixed(0)} records/s`)
  line(`ECW: ${label} — simulator CPU serving the export (bench process)`, `${simulatorCpu.toFixed(1)} s = ${(records / simulatorCpu).toFixed(0)} records per CPU-second`)
  if (databaseCpu !== null) line(`ECW: ${label} — PostgreSQL CPU (the hub's backends)`, `${databaseCpu.toFixed(1)} s = ${(records / databaseCpu).toFixed(0)} records per CPU-second`)
  if (blocks !== null) line(`ECW: ${label} — PostgreSQL buffers touched (hit + read)`, `${blocks} = ${(blocks / records).toFixed(1)} a record`)
  if (relations !== null) {
    const read = relations.reduce((n, r) => n + r.read, 0)
    const hit = relations.reduce((n, r) => n + r.hit, 0)
    line(`ECW: ${label} — tables and indexes: buffers read (not in shared_buffers) / hit`, `${read} / ${hit} = ${(read / records).toFixed(2)} / ${(hit / records).toFixed(2)} a record`)
    for (const r of relations.slice(0, 12)) line(`ECW: ${label} —   ${r.name}`, `read ${r.read} / hit ${r.hit} = ${(r.read / records).toFixed(2)} / ${(r.hit / records).toFixed(2)} a record`)
  }
  line(`ECW: ${label} — hub resident memory before / peak during`, `${rssBefore} MB / ${peak} MB`)
  line(`ECW: ${label} — simulator (bench process) resident memory`, `${Math.round(process.memoryUsage().rss / 1024 / 1024)} MB (${seeded.toLocaleString('en-US')} resources held)`)
  const again = await run()
  line(`ECW: ${label} — incremental pull (_since), nothing changed`, `${again.seconds.toFixed(1)} s, ${again.job.progress.resources.patient.records} records`)
  return figures
}

/**
 * CPU seconds so far of each PostgreSQL backend serving the hub's database, by pid (null on the
 * embedded database, whose work is the hub's own CPU). The hub's pool keeps its connections, so
 * the backends alive at the end are those that did the pull's work.
 */
/**
 * Buffers the hub's database has touched so far (pg_stat_database blks_hit + blks_read): the
 * server's work counted in pages, which the machine's load does not move as it moves CPU time.
 */
async function blocksTouched(hub: RunningHub): Promise<number | null> {
  if (!hub.databaseUrl) return null
  const client = new pg.Client({ connectionString: hub.databaseUrl })
  await client.connect()
  try {
    // The statistics are a snapshot per transaction; a fresh one sees the others' counts.
    const { rows } = await client.query<{ blocks: string }>('select blks_hit + blks_read as blocks from pg_stat_database where datname = current_database()')
    return Number(rows[0]!.blocks)
  } finally {
    await client.end()
  }
}

/**
 * Buffers each table (its heap and TOAST) and each index of the hub's database has read from
 * outside shared_buffers and found in them so far (pg_statio_user_tables / _indexes): which
 * relations a pull's page costs, and whether their pages still fit in the server's cache.
 */
async function relationBuffers(hub: RunningHub): Promise<Map<string, { read: number; hit: number }> | null> {
  if (!hub.databaseUrl) return null
  const client = new pg.Client({ connectionString: hub.databaseUrl })
  await client.connect()
  try {
    const { rows } = await client.query<{ name: string; read: string; hit: string }>(`
      select relname as name, coalesce(heap_blks_read, 0) + coalesce(toast_blks_read, 0) as read, coalesce(heap_blks_hit, 0) + coalesce(toast_blks_hit, 0) as hit from pg_statio_user_tables
      union all
      select indexrelname, idx_blks_read, idx_blks_hit from pg_statio_user_indexes`)
    return new Map(rows.map((r) => [r.name, { read: Number(r.read), hit: Number(r.hit) }]))
  } finally {
    await client.end()
  }
}

/** Each relation's buffers between two readings, the most read first (then the most hit). */
function relationBuffersSince(before: Map<string, { read: number; hit: number }>, after: Map<string, { read: number; hit: number }>): { name: string; read: number; hit: number }[] {
  return [...after]
    .map(([name, a]) => ({ name, read: a.read - (before.get(name)?.read ?? 0), hit: a.hit - (before.get(name)?.hit ?? 0) }))
    .filter((r) => r.read + r.hit > 0)
    .sort((x, y) => y.read - x.read || y.hit - x.hit)
}

async function backendCpuSeconds(hub: RunningHub): Promise<Map<number, number> | null> {
  if (!hub.databaseUrl) return null
  const client = new pg.Client({ connectionString: hub.databaseUrl })
  await client.connect()
  try {
    const { rows } = await client.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()')
    const out = new Map<number, number>()
    for (const { pid } of rows) {
      try {
        out.set(pid, cpuSeconds(pid))
      } catch {
        // gone meanwhile, or another machine's server: not counted
      }
    }
    return out
  } finally {
    await client.end()
  }
}

/** CPU the backends used between two readings (a backend new since the first counts from zero). */
function sumNew(after: Map<number, number> | null, before: Map<number, number> | null): number | null {
  if (!after || !before) return null
  let total = 0
  for (const [pid, seconds] of after) total += seconds - (before.get(pid) ?? 0)
  return total
}

/** Issue 15's pull figures side by side: the rate at each size, and whether the peak grows with the size. */
function comparePulls(pulls: PullFigures[]): void {
  if (pulls.length === 0) return
  const sizes = pulls.map((p) => p.patients.toLocaleString('en-US')).join(' / ')
  line(`ECW pull at ${sizes} patients — records/s`, pulls.map((p) => p.recordsPerSecond.toFixed(0)).join(' / ') + ` (load average ${pulls.map((p) => p.load).join(' / ')})`)
  line(`ECW pull at ${sizes} patients — records per hub CPU-second`, pulls.map((p) => p.recordsPerCpuSecond.toFixed(0)).join(' / '))
  line(`ECW pull at ${sizes} patients — hub peak RSS`, pulls.map((p) => `${p.peak} MB`).join(' / '))
  line(`ECW pull at ${sizes} patients — hub RSS growth during the pull`, pulls.map((p) => `+${p.peak - p.rssBefore} MB`).join(' / '))
  if (pulls.length > 1) {
    const first = pulls[0]!
    const last = pulls.at(-1)!
    line(`ECW pull: peak RSS at ${last.patients.toLocaleString('en-US')} minus at ${first.patients.toLocaleString('en-US')}`, `${last.peak - first.peak >= 0 ? '+' : ''}${last.peak - first.peak} MB`)
  }
}

/**
 * KIPU: signed creates (POST /api/patients, one call each) and a census pull of BENCH_KIPU_PULL_PATIENTS
 * admitted charts, paced at 50 requests/s (the connection's highest setting; KIPU publishes no limit).
 */
async function kipuBench(hub: RunningHub): Promise<void> {
  // Only KIPU takes patients during this part (imported patients would otherwise go on to the others).
  for (const c of (await hub.api('GET', '/api/connections')).body.items) if (c.enabled) await hub.api('PATCH', `/api/connections/${c.id}`, { enabled: false })
  const sim = createKipuSimulator()
  const simUrl = await sim.listen(0)
  try {
    const created = await hub.api('POST', '/api/connections', {
      connector: 'kipu',
      name: 'KIPU bench',
      baseUrl: simUrl,
      settings: { accessId: DEMO_KIPU.accessId, appId: DEMO_KIPU.appId, requestsPerSecond: 50, pullSchedule: '0 0 1 1 *' },
      credentials: { secretKey: DEMO_KIPU.secretKey },
    })
    const id = created.body.id as string
    const patient = (i: number) => ({ firstName: 'Bench', lastName: `Kipu${i}`, dob: '1990-01-01', gender: 'female', phone: '513-555-0000', email: `k${i}@example.com` })
    const chartsMade = async () => ((await (await fetch(`${simUrl}/_sim/records`)).json()).patients as unknown[]).length

    const latencies: number[] = []
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      const started = performance.now()
      const { body } = await hub.api('POST', '/api/patients', patient(i))
      for (;;) {
        const { body: p } = await hub.api('GET', `/api/patients/${body.id}`)
        if (p.links.find((l: { connectionId: string }) => l.connectionId === id)?.state === 'linked') break
        await sleep(10)
      }
      latencies.push(performance.now() - started)
    }
    const started = performance.now()
    let next = 0
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < KIPU_PATIENTS) await hub.api('POST', '/api/patients', patient(1000 + next++))
      }),
    )
    while ((await chartsMade()) < KIPU_PATIENTS + LATENCY_SAMPLES) await sleep(50)
    const total = performance.now() - started
    const sorted = [...latencies].sort((a, b) => a - b)
    const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!.toFixed(0)
    line('KIPU: create → linked latency p50 / p95 / max (ms)', `${pct(50)} / ${pct(95)} / ${sorted[sorted.length - 1]!.toFixed(0)}`)
    line(`KIPU: pushed end to end (${KIPU_PATIENTS}, signed create each)`, `${(KIPU_PATIENTS / (total / 1000)).toFixed(1)} patients/s (${(total / 1000).toFixed(1)} s)`)

    await fetch(`${simUrl}/_sim/reset`, { method: 'POST' })
    await fetch(`${simUrl}/_sim/patients/seed`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ count: KIPU_PULL_PATIENTS, admitted: true }) })
    const rssBefore = rss(hub.pid)
    const pullStarted = performance.now()
    const { body: pull } = await hub.api('POST', `/api/connections/${id}/pull`)
    let peak = rssBefore
    for (;;) {
      peak = Math.max(peak, rss(hub.pid))
      const { body: job } = await hub.api('GET', `/api/jobs/${pull.jobId}`)
      if (job.state === 'succeeded') break
      if (job.state === 'failed' || job.state === 'needs_attention') throw new Error(JSON.stringify(job.lastError))
      await sleep(100)
    }
    const seconds = (performance.now() - pullStarted) / 1000
    line(`KIPU: census pull of ${KIPU_PULL_PATIENTS} admitted patients (pages of 100)`, `${(KIPU_PULL_PATIENTS / seconds).toFixed(0)} patients/s (${seconds.toFixed(1)} s)`)
    line('KIPU: hub resident memory before / peak during the pull', `${rssBefore} MB / ${peak} MB`)
    await hub.api('PATCH', `/api/connections/${id}`, { enabled: false })
  } finally {
    await sim.close()
  }
}

/**
 * Caredove events, each a new referral with a 1 MB PDF attachment, signed (Standard Webhooks) and
 * posted by CONCURRENCY senders: verified, checked, imported with its summary PDF, answered.
 */
async function referralBench(hub: RunningHub): Promise<void> {
  const secret = `whsec_${Buffer.from('carebridge-bench-caredove-signing').toString('base64')}`
  const created = await hub.api('POST', '/api/connections', {
    connector: 'caredove',
    name: 'Caredove bench',
    baseUrl: 'https://www.caredove.com',
    settings: { serviceListingIds: ['sl_bench'], preset: 'at_the_start' },
    credentials: { signingSecret: secret },
  })
  const url = `${hub.url}/api/inbound/caredove/${created.body.id as string}`
  const attachment = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(1024 * 1024 - 16, 0x20), Buffer.from('\n%%EOF\n')]).toString('base64')
  const webhook = new Webhook(secret)
  const send = async (i: number) => {
    const body = JSON.stringify({
      event: 'received',
      event_id: `evt_bench_${i}`,
      occurred_at: new Date().toISOString(),
      service_listing_id: 'sl_bench',
      referral: {
        id: `ref_bench_${i}`,
        registrant: { first_name: 'Bench', last_name: `Referral${i}`, dob: '1990-01-01' },
        requester: { organization: 'Bench Clinic' },
        form_fields: [{ question: 'Reason for referral', answer: 'Benchmark' }],
        attachments: [{ filename: 'letter.pdf', content_type: 'application/pdf', data_base64: attachment }],
      },
    })
    const at = new Date()
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'webhook-id': `evt_bench_${i}`, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': webhook.sign(`evt_bench_${i}`, at, body) },
      body,
    })
    if (res.status !== 202) throw new Error(`event ${i}: ${res.status} ${await res.text()}`)
  }
  const latencies: number[] = []
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const started = performance.now()
    await send(i)
    latencies.push(performance.now() - started)
  }
  const started = performance.now()
  let next = LATENCY_SAMPLES
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => { while (next < LATENCY_SAMPLES + REFERRALS) await send(next++) }))
  const seconds = (performance.now() - started) / 1000
  const sorted = [...latencies].sort((a, b) => a - b)
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!.toFixed(0)
  line('Referrals: signed event with a 1 MB attachment → answered, p50 / p95 (ms)', `${pct(50)} / ${pct(95)}`)
  line(`Referrals: ${REFERRALS} such events, ${CONCURRENCY} senders`, `${(REFERRALS / seconds).toFixed(1)} events/s (${(8 * REFERRALS * 1.37 / seconds).toFixed(0)} Mbit/s of JSON)`)
  const pdfTimes: number[] = []
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const t = performance.now()
    await renderReferralSummary({
      source: 'Caredove', externalId: `ref_${i}`, serviceListingId: 'sl_bench', sourceStatus: 'open', sourceSubStatus: 'received',
      fields: { registrant: { firstName: 'Bench', lastName: 'Referral', dateOfBirth: '1990-01-01' } },
      unmapped: Array.from({ length: 10 }, (_, q) => ({ label: `Question ${q}`, value: 'An answer of a sentence or two, as referrers write them.' })),
      appointments: [], messages: [{ from: 'requester', author: 'Bench', sentAt: null, text: 'A message.' }],
      attachments: [{ filename: 'letter.pdf', contentType: 'application/pdf', sizeBytes: 1024 * 1024 }],
      events: [{ trigger: 'received', occurredAt: null, receivedAt: new Date().toISOString(), outcome: 'applied', reason: null }],
      generatedAt: new Date(),
    })
    pdfTimes.push(performance.now() - t)
  }
  pdfTimes.sort((a, b) => a - b)
  line('Referrals: summary PDF (10 answers, 1 message) render p50 / max (ms)', `${pdfTimes[Math.floor(pdfTimes.length / 2)]!.toFixed(1)} / ${pdfTimes.at(-1)!.toFixed(1)}`)
}

/**
 * CRMS: referrals in the inbox, each with the summary PDF and a 1 MB attachment, delivered through
 * the queue (one POST /referrals each, the files as base64): one at a time for latency, then all at once.
 */
async function crmsBench(hub: RunningHub): Promise<void> {
  const sim = createCrmsSimulator()
  const simUrl = await sim.listen(0)
  const created = await hub.api('POST', '/api/connections', { connector: 'crms', name: 'CRMS bench', baseUrl: simUrl, credentials: { apiKey: DEMO_CRMS.apiKey } })
  const inbox = await openHubInbox(hub, created.body.id)
  try {
    const scan = { filename: 'scan.png', contentType: 'image/png', data: Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), randomBytes(1024 * 1024 - 8)]) }
    const delivered = async (jobId: string) => {
      for (;;) {
        const { body } = await hub.api('GET', `/api/jobs/${jobId}`)
        if (body.state === 'succeeded') return
        if (body.state === 'failed' || body.state === 'needs_attention') throw new Error(JSON.stringify(body.lastError))
        await sleep(10)
      }
    }
    const latencies: number[] = []
    for (let i = 0; i < 5; i++) {
      const referral = await inbox.add({ extra: [scan] })
      const started = performance.now()
      await delivered(await inbox.deliver(referral.id))
      latencies.push(performance.now() - started)
    }
    const referrals = []
    for (let i = 0; i < CRMS_REFERRALS; i++) referrals.push(await inbox.add({ extra: [scan] }))
    const started = performance.now()
    const jobs = await Promise.all(referrals.map((r) => inbox.deliver(r.id)))
    for (const job of jobs) await delivered(job)
    const seconds = (performance.now() - started) / 1000
    const sorted = [...latencies].sort((a, b) => a - b)
    line('CRMS: enqueued → filed latency, 1 MB attachment, median / max (ms)', `${sorted[2]!.toFixed(0)} / ${sorted[4]!.toFixed(0)}`)
    line(`CRMS: ${CRMS_REFERRALS} referrals with a 1 MB attachment each, delivered`, `${(CRMS_REFERRALS / seconds).toFixed(1)} referrals/s (${((CRMS_REFERRALS * scan.data.length) / 1024 / 1024 / seconds).toFixed(1)} MB/s)`)
  } finally {
    await inbox.close()
    await sim.close()
  }
}
