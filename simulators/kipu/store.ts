/**
 * Everything the simulated KIPU instance holds — charts, webhook subscriptions and deliveries,
 * the clock offset, refused signatures — behind one object that the routes use and the /_sim
 * control surface lists and resets.
 */
import type { SimulatorStore } from '../kit/control.js'
import { ChartBook } from './charts.js'
import type { CreateAnswer } from './inferred.js'
import { KIPU_LOCATIONS, KIPU_PROGRAMS } from './reference.js'
import { WebhookSender } from './webhooks.js'

export interface KipuCredentials {
  accessId: string
  secretKey: string
  appId: string
}

export class KipuStore implements SimulatorStore {
  readonly charts: ChartBook
  readonly webhooks: WebhookSender
  /** How far the simulated KIPU clock runs ahead of the machine's (tests of the 15-minute Date window). */
  clockOffsetMs = 0
  createAnswer: CreateAnswer = 'ids'
  /** Signatures refused, with the cause (the API's 401 says less). */
  readonly refusals: { at: string; path: string; cause: string }[] = []

  constructor(
    readonly credentials: KipuCredentials,
    private readonly now: () => number,
  ) {
    this.charts = new ChartBook(() => this.clock())
    this.webhooks = new WebhookSender(credentials, () => this.clock())
  }

  clock(): number {
    return this.now() + this.clockOffsetMs
  }

  /** `count` charts with data like the KIPU integration article's, admitted unless told otherwise; returns how many. */
  seed(count: number, admitted: boolean): number {
    for (let i = 1; i <= count; i++) {
      const location = KIPU_LOCATIONS[i % KIPU_LOCATIONS.length]!
      const chart = this.charts.create(
        {
          data: {
            first_name: `Seeded${i}`,
            last_name: `Patient${i}`,
            dob: `19${String(50 + (i % 50)).padStart(2, '0')}-0${1 + (i % 9)}-1${i % 10}`,
            gender: i % 2 === 0 ? 'Female' : 'Male',
            phone: `+1513555${String(i % 10_000).padStart(4, '0')}`,
            email: `seeded${i}@example.com`,
            address_street: `${i} Oak St`,
            address_city: 'Middletown',
            address_state: 'OH',
            address_zip: '45044',
            address_country: 'US',
            location_id: String(location.location_id),
            payment_method: 'Insurance',
          },
          insurances: [{ insurance_company: 'Aetna', policy_no: `A${String(i).padStart(9, '0')}`, group_ID: 'GR987654321', insurance_type: 'Primary' }],
          contacts: [],
        },
        null,
      )
      if (admitted) this.charts.admit(chart, { program: KIPU_PROGRAMS[i % KIPU_PROGRAMS.length] })
    }
    return count
  }

  records(): unknown {
    return {
      patients: this.charts.records(),
      webhooks: { subscribers: [...this.webhooks.subscribers], deliveries: this.webhooks.deliveries },
      refusals: this.refusals,
      clockOffsetMs: this.clockOffsetMs,
      createAnswer: this.createAnswer,
    }
  }

  /** Back to an empty instance: no charts, no subscribers, the real clock, ids in create answers. */
  reset(): void {
    this.charts.reset()
    this.webhooks.reset()
    this.refusals.length = 0
    this.clockOffsetMs = 0
    this.createAnswer = 'ids'
  }
}
