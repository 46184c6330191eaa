/**
 * US state/territory codes and the normalisation Ritten documents for addresses: "For US
 * addresses, must be a valid 2-letter US state/territory code … full state names and case
 * variations are automatically normalized"; country "US variants (e.g. "US", "USA", "United
 * States") are normalized to "US"".
 */

const US_REGIONS: Record<string, string> = {
  AL: 'Alabama', AK: 'Alaska', AZ: 'Arizona', AR: 'Arkansas', CA: 'California', CO: 'Colorado',
  CT: 'Connecticut', DE: 'Delaware', FL: 'Florida', GA: 'Georgia', HI: 'Hawaii', ID: 'Idaho',
  IL: 'Illinois', IN: 'Indiana', IA: 'Iowa', KS: 'Kansas', KY: 'Kentucky', LA: 'Louisiana',
  ME: 'Maine', MD: 'Maryland', MA: 'Massachusetts', MI: 'Michigan', MN: 'Minnesota',
  MS: 'Mississippi', MO: 'Missouri', MT: 'Montana', NE: 'Nebraska', NV: 'Nevada',
  NH: 'New Hampshire', NJ: 'New Jersey', NM: 'New Mexico', NY: 'New York', NC: 'North Carolina',
  ND: 'North Dakota', OH: 'Ohio', OK: 'Oklahoma', OR: 'Oregon', PA: 'Pennsylvania',
  RI: 'Rhode Island', SC: 'South Carolina', SD: 'South Dakota', TN: 'Tennessee', TX: 'Texas',
  UT: 'Utah', VT: 'Vermont', VA: 'Virginia', WA: 'Washington', WV: 'West Virginia',
  WI: 'Wisconsin', WY: 'Wyoming',
  DC: 'District of Columbia', AS: 'American Samoa', GU: 'Guam', MP: 'Northern Mariana Islands',
  PR: 'Puerto Rico', VI: 'U.S. Virgin Islands', UM: 'U.S. Minor Outlying Islands',
}

const BY_NAME = new Map<string, string>(Object.entries(US_REGIONS).map(([code, name]) => [squash(name), code]))
BY_NAME.set(squash('Virgin Islands'), 'VI')
BY_NAME.set(squash('Washington DC'), 'DC')

const US_COUNTRY_VARIANTS = new Set(['us', 'usa', 'unitedstates', 'unitedstatesofamerica'])

/** True when `country` is one of the US spellings ("US", "usa", "United States", "U.S.A."…). */
export function isUsCountry(country: string): boolean {
  return US_COUNTRY_VARIANTS.has(squash(country))
}

/** The 2-letter code for a US state/territory given as a code or full name (any case), or null. */
export function usRegionCode(region: string): string | null {
  const trimmed = region.trim()
  const upper = trimmed.toUpperCase()
  if (upper.length === 2 && upper in US_REGIONS) return upper
  return BY_NAME.get(squash(trimmed)) ?? null
}

/** Lower case without spaces or dots, so "U.S.A." and "united  states" compare equal to their kin. */
function squash(value: string): string {
  return value.toLowerCase().replace(/[\s.]+/g, '')
}
