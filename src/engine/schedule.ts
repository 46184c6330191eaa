import cronParser from 'cron-parser'

/** The most recent time at or before `now` that a cron expression fires; null when it cannot be read. */
export function lastFireTime(expression: string, now: Date): Date | null {
  try {
    return cronParser.parseExpression(expression, { currentDate: new Date(now.getTime() + 1), utc: true }).prev().toDate()
  } catch {
    return null
  }
}

/** Whether a cron expression is valid (five or six fields), for settings validation. */
export function isCronExpression(expression: string): boolean {
  try {
    cronParser.parseExpression(expression, { utc: true })
    return expression.trim().split(/\s+/).length >= 5
  } catch {
    return false
  }
}
