import { randomBytes } from 'node:crypto'
import { Webhook } from 'standardwebhooks'

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com, the scheme Svix uses), with the
 * maintained `standardwebhooks` package so that receivers verify with the same library:
 * `webhook-signature` is `v1,` + base64 HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{body}`
 * under the secret's base64-decoded bytes.
 */
export const SECRET_PREFIX = 'whsec_'

/** A new signing secret: `whsec_` + 32 random bytes in base64 (what Standard Webhooks libraries accept). */
export function generateSigningSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`
}

/** The three headers of one delivery attempt: the event id stays the same across retries, the timestamp is the attempt's. */
export function webhookHeaders(secret: string, eventId: string, at: Date, body: string): Record<string, string> {
  return {
    'webhook-id': eventId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(eventId, at, body),
  }
}
