/**
 * How large a request body may be. The API's own bodies (a patient, an account, a mapping) are
 * kilobytes; 5 MiB leaves room for the largest mapping or a batch without letting one caller
 * hold megabytes of memory per request. The inbound door takes more: an external system's event may
 * carry documents (a referral's files, up to 10 MiB each — src/referrals/attachments.ts — travel as
 * base64, a third larger: two of the largest and the event fit).
 */
export const API_BODY_LIMIT = 5 * 1024 * 1024
export const INBOUND_BODY_LIMIT = 32 * 1024 * 1024

/** A byte count as the 413 answer states it. */
export function describeBytes(bytes: number): string {
  return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MiB`
}
