/**
 * Everything the simulated Ritten clinic holds — patients, payers, token and rate-limit state —
 * behind one object that the routes use and the /_sim control surface lists and resets.
 */
import type { SimulatorStore } from '../kit/control.js'
import { PatientBook, type PatientDetail } from './patients.js'
import { PayerDirectory, RITTEN_SEEDED_PAYERS, type Payer } from './payers.js'
import { RequestBuckets } from './rate-limit.js'
import { TokenAuthority, type TokenClient } from './tokens.js'

/** What `GET /_sim/records` answers. */
export interface RittenRecords {
  patients: (PatientDetail & { ssnOnFile: boolean })[]
  payers: Payer[]
  tokens: { requests: number; mints: number }
}

export class RittenStore implements SimulatorStore {
  readonly payers: PayerDirectory
  readonly patients: PatientBook
  readonly tokens: TokenAuthority
  readonly buckets: RequestBuckets

  constructor(
    client: TokenClient,
    readonly now: () => number,
    payers: readonly Payer[] = RITTEN_SEEDED_PAYERS,
    tokenRequestLimit?: { capacity: number; refillPerSecond: number },
    apiRateLimit?: { capacity: number; refillPerSecond: number } | null,
  ) {
    this.payers = new PayerDirectory(payers)
    this.patients = new PatientBook(now)
    this.tokens = new TokenAuthority(client, now, tokenRequestLimit)
    this.buckets = new RequestBuckets(now, apiRateLimit)
  }

  records(): RittenRecords {
    return { patients: this.patients.records(), payers: this.payers.list(), tokens: this.tokens.counts() }
  }

  /** Back to a fresh clinic: no patients, no tokens, full buckets (API and token endpoint); the seeded payers stay. */
  reset(): void {
    this.patients.reset()
    this.tokens.reset()
    this.buckets.reset()
  }
}
