/**
 * Caredove's integration triggers (its article "Choosing when to import referrals"): the events an admin picks to import. A routed
 * request arrives as `received` with `referral.routed: true`, imported only when routed requests
 * are included — the fifteenth option of Caredove's list.
 */
export const CAREDOVE_TRIGGERS = [
  'received',
  'edited',
  'edited_status_ready',
  'edited_status_received',
  'closed_completed',
  'closed_rejected',
  'closed_cancelled',
  'closed_failed',
  'closed_error',
  'booked',
  'rescheduled_unbooked',
  'archived',
  'message_from_provider',
  'message_from_requester',
] as const
export type CaredoveTrigger = (typeof CAREDOVE_TRIGGERS)[number]

export const TRIGGER_LABELS: Record<CaredoveTrigger, string> = {
  received: 'Received',
  edited: 'Edited',
  edited_status_ready: 'Edited Status – Ready',
  edited_status_received: 'Edited Status – Received',
  closed_completed: 'Closed – Completed',
  closed_rejected: 'Closed – Rejected',
  closed_cancelled: 'Closed – Cancelled',
  closed_failed: 'Closed – Failed',
  closed_error: 'Closed – Error',
  booked: 'Booked',
  rescheduled_unbooked: 'Rescheduled/Unbooked',
  archived: 'Archived',
  message_from_provider: 'Message from Provider',
  message_from_requester: 'Message from Requester',
}

export const CAREDOVE_PRESETS = ['at_the_end', 'at_the_start', 'custom'] as const
export type CaredovePreset = (typeof CAREDOVE_PRESETS)[number]

/**
 * That article's two processes. At the end: a referral is imported once Caredove closes it as
 * completed. At the start: as soon as it is received, then every update until someone accepts it.
 */
const PRESET_TRIGGERS: Record<Exclude<CaredovePreset, 'custom'>, readonly CaredoveTrigger[]> = {
  at_the_end: ['closed_completed'],
  at_the_start: ['received', 'edited', 'edited_status_ready', 'edited_status_received', 'booked', 'rescheduled_unbooked', 'message_from_provider', 'message_from_requester'],
}

export interface TriggerSelection {
  preset: CaredovePreset
  triggers: readonly CaredoveTrigger[]
  includeRoutedRequests?: boolean
}

/** The triggers a connection imports, and whether routed requests count (on by default only at the start). */
export function importedTriggers(selection: TriggerSelection): { triggers: ReadonlySet<CaredoveTrigger>; routed: boolean } {
  const triggers = selection.preset === 'custom' ? selection.triggers : PRESET_TRIGGERS[selection.preset]
  return { triggers: new Set(triggers), routed: selection.includeRoutedRequests ?? selection.preset === 'at_the_start' }
}

/** Why an event is not imported by this selection, or null when it is. */
export function notImportedReason(selection: TriggerSelection, trigger: CaredoveTrigger, routed: boolean): string | null {
  const imported = importedTriggers(selection)
  const how = selection.preset === 'custom' ? 'the custom trigger list' : `the "${selection.preset.replaceAll('_', ' ')}" preset`
  if (!imported.triggers.has(trigger)) return `trigger "${TRIGGER_LABELS[trigger]}" is not imported by this connection (${how})`
  if (trigger === 'received' && routed && !imported.routed) return 'routed requests are not imported by this connection (include routed requests is off)'
  return null
}
