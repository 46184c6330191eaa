/**
 * How large a request body may be. The API's own bodies (a patient, an account, a mapping) are
 * kilobytes; 5 MiB leaves room for the largest mapping or a batch without letting one caller
 * hold megabytes of memory per request. The inbound door takes more: an external system's event may
 * carry a document (e.g. a referral with a 10 MiB attachment, 13.4 MiB as base64, plus the event).
 */
export const API_BODY_LIMIT = 5 * 1024 * 1024
export const INBOUND_BODY_LIMIT = 20 * 1024 * 1024

/** A byte count as the 413 answer states it. */
export function describeBytes(bytes: number): string {
  return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MiB`
}
