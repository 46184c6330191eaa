/**
 * Referrals: signed Caredove events, each a new referral with a 1 MB PDF attachment, sent by the
 * Caredove simulator's integration to the hub's inbound route by BENCH_REFERRAL_CONCURRENCY
 * senders. The hub answers after the referral is validated, imported, its attachment checked and
 * stored and its summary PDF made, so an event's answer time holds all of that.
 */
import { createCaredoveSimulator, DEMO_CAREDOVE, textPdf } from '../simulators/caredove/server.js'
import type { RunningHub } from '../test/harness.js'

const EVENTS = Number(process.env.BENCH_REFERRAL_EVENTS ?? 50)
const CONCURRENCY = Number(process.env.BENCH_REFERRAL_CONCURRENCY ?? 4)
const ATTACHMENT_BYTES = 1024 * 1024

export async function referralsBench(hub: RunningHub, line: (k: string, v: string) => void): Promise<void> {
  const caredove = createCaredoveSimulator()
  const caredoveUrl = await caredove.listen(0)
  try {
    const created = await hub.api('POST', '/api/connections', {
      connector: 'caredove',
      name: 'Caredove bench',
      baseUrl: caredoveUrl,
      settings: { serviceListingIds: ['sl_intake_adult'], preset: 'at_the_start' },
      credentials: { signingSecret: DEMO_CAREDOVE.signingSecret },
    })
    if (created.status !== 201) throw new Error(`Caredove connection refused: ${JSON.stringify(created.body)}`)
    caredove.integrate(`${hub.url}/api/inbound/caredove/${created.body.id}`, { serviceListingIds: ['sl_intake_adult'] })
    const attachment = { filename: 'assessment.pdf', content_type: 'application/pdf', data_base64: megabytePdf().toString('base64') }

    // Without attachments first: the cost of an event itself (signature, import, summary PDF).
    const plain = await send(caredove, Math.min(EVENTS, 20), () => ({ with_attachments: false }))
    const heavy = await send(caredove, EVENTS, () => ({ attachments: [attachment] }))
    const failed = [...plain.failures, ...heavy.failures]
    if (failed.length > 0) throw new Error(`${failed.length} events were not accepted, e.g. ${failed[0]}`)

    line(`Referrals: signed events, 1 MB PDF each (${EVENTS}, ${CONCURRENCY} senders)`, `${(EVENTS / heavy.seconds).toFixed(1)} events/s (${(heavy.bytes / heavy.seconds / 1024 / 1024).toFixed(1)} MB/s of requests)`)
    line('Referrals: answer time with a 1 MB attachment p50 / p95 (ms)', `${pct(heavy.latencies, 50)} / ${pct(heavy.latencies, 95)}`)
    line('Referrals: answer time without attachments p50 / p95 (ms)', `${pct(plain.latencies, 50)} / ${pct(plain.latencies, 95)}`)
    const summary = await hub.api('GET', `/api/referrals?connectionId=${created.body.id}&limit=1`)
    const one = summary.body.items?.[0]
    if (one) {
      const detail = await hub.api('GET', `/api/referrals/${one.id}`)
      const pdf = detail.body.attachments?.find((a: { position: number }) => a.position === 1)
      if (pdf) line('Referrals: summary PDF size', `${(pdf.sizeBytes / 1024).toFixed(0)} KB`)
    }
    await hub.api('PATCH', `/api/connections/${created.body.id}`, { enabled: false })
  } finally {
    await caredove.close()
  }
}

/** `count` new referrals from CONCURRENCY senders; each answer's time as Caredove waits for it. */
async function send(caredove: ReturnType<typeof createCaredoveSimulator>, count: number, input: (i: number) => Parameters<typeof caredove.refer>[0]) {
  const latencies: number[] = []
  const failures: string[] = []
  let bytes = 0
  let next = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        const i = next++
        const at = performance.now()
        const answer = await caredove.refer({ seed: 10_000 + i, service_listing_id: 'sl_intake_adult', ...input(i) })
        latencies.push(performance.now() - at)
        const delivery = answer.ok ? answer.deliveries[0] : undefined
        if (!delivery?.success) failures.push(answer.ok ? `${delivery?.http_code} ${delivery?.body}` : answer.message)
        // Every event of a run has about the same size: measure the first one's body.
        else if (bytes === 0) bytes = Buffer.byteLength(JSON.stringify(caredove.store.log.get(delivery.id)?.event ?? ''))
      }
    }),
  )
  return { latencies, failures, bytes: bytes * count, seconds: (performance.now() - started) / 1000 }
}

/** A real PDF of about 1 MB (a long assessment transcript), so the hub's type check by bytes passes. */
function megabytePdf(): Buffer {
  const lines: string[] = []
  for (let i = 0; lines.join('').length < ATTACHMENT_BYTES; i++) lines.push(`${String(i).padStart(5, '0')} Assessment note: client reports sleep, mood and appetite; plan reviewed with the client and family. ${i.toString(36).repeat(8)}`)
  return textPdf('Intake assessment (bench)', lines)
}

function pct(values: number[], p: number): string {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!.toFixed(0)
}
