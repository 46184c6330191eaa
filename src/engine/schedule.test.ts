import { describe, expect, it } from 'vitest'
import { isCronExpression, lastFireTime } from './schedule.js'

describe('pull schedules', () => {
  it('finds the last fire time of "every 2 hours"', () => {
    expect(lastFireTime('0 */2 * * *', new Date('2026-11-25T13:59:00Z'))?.toISOString()).toBe('2026-11-25T12:00:00.000Z')
    expect(lastFireTime('0 */2 * * *', new Date('2026-11-25T14:00:00Z'))?.toISOString()).toBe('2026-11-25T14:00:00.000Z')
  })

  it('tells a cron expression from text', () => {
    expect(isCronExpression('*/15 * * * *')).toBe(true)
    expect(isCronExpression('every two hours')).toBe(false)
  })
})
