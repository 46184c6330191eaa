import { describe, expect, it } from 'vitest'
import { loadConfig } from './config.js'

describe('CAREBRIDGE_UNPACED_CONNECTORS', () => {
  it('paces every connector unless told otherwise', () => {
    expect(loadConfig({}).unpacedConnectors).toEqual([])
  })

  it('names the connector kinds a benchmark runs unpaced, comma-separated', () => {
    expect(loadConfig({ CAREBRIDGE_UNPACED_CONNECTORS: 'ritten, ecw,' }).unpacedConnectors).toEqual(['ritten', 'ecw'])
  })
})
