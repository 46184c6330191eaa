import { describe, expect, it } from 'vitest'
import type { PatientPushInput, PushPatientFlow, PushPreview } from '../connectors/connector.js'
import { ConnectorError } from '../connectors/errors.js'
import { previewPush } from './preview.js'

/** A connector's push flow reduced to its preview, answering as told. */
const flowPreviewing = (preview: () => PushPreview): PushPatientFlow<unknown, unknown> => ({ steps: [], preview })
// The flows here never read the patient: any input will do.
const input = {} as PatientPushInput
const link = { externalId: null, externalMrn: null }

describe('push preview', () => {
  it("lists a connector's refusal to build the push as a blocking field, sending nothing", () => {
    const flow = flowPreviewing(() => {
      throw new ConnectorError({
        code: 'location_not_mapped',
        message: 'location "nowhere" is not mapped to an ECW location for this connection (EMR settings → Locations)',
        retryable: false,
        details: { field: 'locationId', value: 'nowhere' },
      })
    })
    expect(previewPush(flow, input, link, {})).toEqual({
      steps: [],
      dropped: [],
      blocking: [{ field: 'locationId', reason: 'location "nowhere" is not mapped to an ECW location for this connection (EMR settings → Locations)' }],
    })
  })

  it('names the error code when the connector names no field', () => {
    const flow = flowPreviewing(() => {
      throw new ConnectorError({ code: 'payer_not_mapped', message: 'payer AET01 has no code', retryable: false })
    })
    expect(previewPush(flow, input, link, {}).blocking).toEqual([{ field: 'payer_not_mapped', reason: 'payer AET01 has no code' }])
  })

  it('passes a preview through, with an empty blocking list when the connector has none', () => {
    const steps = [{ step: 'create', method: 'POST', path: '/patients', body: { a: 1 } }]
    const dropped = [{ field: 'race', reason: 'no mapping' }]
    expect(previewPush(flowPreviewing(() => ({ steps, dropped })), input, link, {})).toEqual({ steps, dropped, blocking: [] })
    const blocking = [{ field: 'Patient.gender', reason: 'not a valid code' }]
    expect(previewPush(flowPreviewing(() => ({ steps, dropped, blocking })), input, link, {}).blocking).toEqual(blocking)
  })

  it('lets our own faults through (they are not something to fix in the data)', () => {
    const flow = flowPreviewing(() => {
      throw new TypeError('bug')
    })
    expect(() => previewPush(flow, input, link, {})).toThrow(TypeError)
  })
})
