import cronstrue from 'cronstrue'

/** A cron schedule in words ("Every 2 hours"), as the engine runs it (UTC). */
export function describeSchedule(expression: string): { ok: boolean; text: string } {
  if (!expression.trim()) return { ok: true, text: 'No scheduled pulls' }
  try {
    return { ok: true, text: `${cronstrue.toString(expression, { verbose: false, use24HourTimeFormat: true })} (UTC)` }
  } catch (err) {
    return { ok: false, text: `Not a schedule: ${typeof err === 'string' ? err : err instanceof Error ? err.message : 'unreadable'}` }
  }
}
