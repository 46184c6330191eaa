import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod'
import { isConnectorError } from '../connectors/errors.js'
import { ConflictError, InputError, NotFoundError, UnsupportedError } from '../errors.js'
import { databaseShortOf, isDatabaseBusy, type DatabaseAvailability } from '../db/availability.js'
import { API_BODY_LIMIT, describeBytes } from './bodyLimits.js'

/** Seconds a caller is asked to wait while the database is away (the probe runs every second). */
export const DATABASE_RETRY_AFTER_SECONDS = 5

/**
 * One place that turns errors into answers: `{error, message}`, 4xx for what the caller can fix
 * (naming the field), 503 while the database is unreachable (logged once, by `availability`, not
 * per request) or cannot take a write (its disk full: `database_full`), 500 only for our own
 * faults — logged, with nothing internal in the body.
 */
export function createErrorHandler(availability: DatabaseAvailability) {
  return (error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => {
    if (availability.noteFailure(error)) return databaseUnavailable(reply)
    const shortOf = databaseShortOf(error)
    if (shortOf === 'disk') {
      request.log.warn({ cause: error.message }, 'a write was refused: the database has no room left on its disk')
      return retryShortly(reply, { error: 'database_full', message: 'The database has no room left to write this; nothing was changed. Retry once space has been freed.' })
    }
    if (shortOf === 'resources') {
      request.log.warn({ cause: error.message }, 'a request was refused: the database is short of resources')
      return retryShortly(reply, { error: 'database_busy', message: 'The database is short of resources (memory or connections) to take this request now; nothing was changed. Retry shortly.' })
    }
    if (isDatabaseBusy(error)) {
      return retryShortly(reply, { error: 'database_busy', message: 'The database is too busy to take this request now; nothing was changed. Retry shortly.' })
    }
    return answerError(error, request, reply)
  }
}

/** The answer while the database is unreachable: nothing was done, try again shortly. */
export function databaseUnavailable(reply: FastifyReply) {
  return retryShortly(reply, { error: 'database_unavailable', message: 'The database is unreachable right now; nothing was changed. Retry shortly.' })
}

/** 503 with the Retry-After every database answer (API errors and readiness) shares. */
export function retryShortly(reply: FastifyReply, body: object) {
  return reply.code(503).header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS)).send(body)
}

function answerError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
  if (hasZodFastifySchemaValidationErrors(error)) {
    const issue = error.validation[0]!
    const where = (error as { validationContext?: string }).validationContext ?? 'body'
    const path = issue.instancePath.replace(/^\//, '').replaceAll('/', '.')
    const field = path || where
    return reply.code(400).send({ error: 'invalid_input', field, message: `${field}: ${describeIssue(issue, where)}` })
  }
  if (error instanceof InputError) return reply.code(400).send({ error: error.code, field: error.field, message: error.message })
  if (error instanceof NotFoundError) return reply.code(404).send({ error: error.code, message: error.message })
  if (error instanceof ConflictError) return reply.code(409).send({ error: error.code, message: error.message })
  if (error instanceof UnsupportedError) return reply.code(422).send({ error: error.code, message: error.message })
  if (isConnectorError(error)) {
    // A connector's own verdict (e.g. a value with no mapping, settings to fix): its message says what to do.
    if (!error.retryable) return reply.code(422).send({ error: error.code, message: error.message })
    if (error.retryAfterMs !== undefined) reply.header('retry-after', String(Math.ceil(error.retryAfterMs / 1000)))
    return reply.code(503).send({ error: error.code, message: error.message })
  }
  const status = (error as FastifyError).statusCode
  if (status && status >= 400 && status < 500) {
    const code = (error as FastifyError).code
    const message =
      code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
        ? 'Send the body as application/json'
        : code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
          ? 'The body is empty: send a JSON object'
          : code === 'FST_ERR_CTP_BODY_TOO_LARGE'
            ? `The body is larger than this route takes (${describeBytes(request.routeOptions.bodyLimit ?? API_BODY_LIMIT)})`
            : error.message
    return reply.code(status).send({ error: 'bad_request', message })
  }
  request.log.error({ err: error }, 'request failed')
  return reply.code(500).send({ error: 'internal', message: 'Internal error; it has been logged' })
}

function describeIssue(issue: { message?: string; params?: Record<string, unknown> }, where: string): string {
  const message = issue.message ?? 'is invalid'
  // A query parameter given twice arrives as an array; a number parameter that is not one, as NaN.
  if (where === 'querystring' && /received array$/.test(message)) return 'is given more than once: send it once'
  if (/expected number, received NaN$/.test(message)) return 'must be a number'
  if (/^Unrecognized key/i.test(message)) return message.replace(/^Unrecognized keys?:/i, 'unknown field(s):')
  return message
}
