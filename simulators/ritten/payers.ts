/**
 * The insurance payers the simulated clinic knows. Their ids are FIXED so that demo payer-code
 * mappings (CRM payer code → Ritten payerId) can name them; the last block of each id spells the
 * payer's electronic payer id (payerIdentifier) to make them recognisable in logs.
 */

/** Payer, as the spec's `Payer` schema. */
export interface Payer {
  id: string
  payerIdentifier: string
  payerGroupId: string
  name: string
  address: string
  city: string
  state: string
  postalCode: string
  notes: string
}

export const RITTEN_SEEDED_PAYERS: readonly Payer[] = Object.freeze([
  {
    id: '7a1e0000-0000-4000-8000-000000060054',
    payerIdentifier: '60054',
    payerGroupId: '7a1e0001-0000-4000-8000-000000000001',
    name: 'Aetna',
    address: 'PO Box 981106',
    city: 'El Paso',
    state: 'TX',
    postalCode: '79998',
    notes: 'Commercial and Medicare Advantage claims',
  },
  {
    id: '7a1e0000-0000-4000-8000-000000000621',
    payerIdentifier: '00621',
    payerGroupId: '7a1e0001-0000-4000-8000-000000000002',
    name: 'Blue Cross Blue Shield of Illinois',
    address: 'PO Box 805107',
    city: 'Chicago',
    state: 'IL',
    postalCode: '60680',
    notes: 'BCBS member plans: check the prefix of the member id for out-of-state (BlueCard) plans',
  },
  {
    id: '7a1e0000-0000-4000-8000-000000062308',
    payerIdentifier: '62308',
    payerGroupId: '7a1e0001-0000-4000-8000-000000000003',
    name: 'Cigna',
    address: 'PO Box 188061',
    city: 'Chattanooga',
    state: 'TN',
    postalCode: '37422',
    notes: 'Behavioral health carved out to Evernorth for some plans',
  },
  {
    id: '7a1e0000-0000-4000-8000-000000087726',
    payerIdentifier: '87726',
    payerGroupId: '7a1e0001-0000-4000-8000-000000000004',
    name: 'UnitedHealthcare',
    address: 'PO Box 740800',
    city: 'Atlanta',
    state: 'GA',
    postalCode: '30374',
    notes: 'Behavioral health via Optum for most commercial plans',
  },
  {
    id: '7a1e0000-0000-4000-8000-000000061101',
    payerIdentifier: '61101',
    payerGroupId: '7a1e0001-0000-4000-8000-000000000005',
    name: 'Humana',
    address: 'PO Box 14601',
    city: 'Lexington',
    state: 'KY',
    postalCode: '40512',
    notes: '',
  },
].map((payer) => Object.freeze(payer)))

/** The payers of one simulated clinic: read-only, seeded, never reset. */
export class PayerDirectory {
  constructor(private readonly payers: readonly Payer[] = RITTEN_SEEDED_PAYERS) {}

  list(): Payer[] {
    return this.payers.map((payer) => ({ ...payer }))
  }

  find(id: string): Payer | undefined {
    const payer = this.payers.find((p) => p.id === id)
    return payer ? { ...payer } : undefined
  }

  has(id: string): boolean {
    return this.payers.some((p) => p.id === id)
  }
}
