import { getHeapStatistics } from 'node:v8'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { API_BODY_LIMIT } from './bodyLimits.js'

/**
 * Heap bytes one request body costs at its peak, per byte of body: the text as received, the
 * parsed object, the JSON written for the database, the row read back and the answer. Measured on
 * a 4.8 MiB patient create alone: ~40 MiB of heap above the hub's idle ~54 MiB (garbage included).
 */
export const HEAP_BYTES_PER_BODY_BYTE = 8

/** The share of the heap that bodies in flight may take; the rest is the hub's own (workers, caches, the answer in progress). */
const HEAP_SHARE_FOR_BODIES = 0.5

/** Bodies this small are always admitted: their cost is noise beside the budget, and sign-ins or patches must not wait behind uploads. */
export const SMALL_BODY_BYTES = 64 * 1024

/** Seconds a caller refused for want of memory is asked to wait: a large create takes about a second. */
export const BUSY_RETRY_AFTER_SECONDS = 2

/**
 * Admission control for request bodies. Each large body costs several times its size in heap
 * while it is parsed, validated, written and answered; on a small heap (a 128 MB container)
 * ten ~5 MiB creates at once ran the process out of memory. Bodies in flight are counted by their
 * declared size (Content-Length, or the route's limit when the body is chunked); one that would
 * take the sum past the budget is refused at once, before it is read, with 503 `busy` and a
 * Retry-After — nothing was done, so a retry is safe. A body alone is always admitted (the body
 * limit bounds it), so a large create is never refused forever.
 */
export class BodyAdmission {
  private inFlightBytes = 0
  private inFlightCount = 0

  constructor(readonly budgetBytes: number = defaultBodyBudget()) {}

  /** Reserves `bytes`; false when they do not fit beside the bodies already in flight. */
  tryAdmit(bytes: number): boolean {
    if (this.inFlightCount > 0 && this.inFlightBytes + bytes > this.budgetBytes) return false
    this.inFlightBytes += bytes
    this.inFlightCount += 1
    return true
  }

  release(bytes: number): void {
    this.inFlightBytes -= bytes
    this.inFlightCount -= 1
  }

  get inFlight(): { bytes: number; count: number } {
    return { bytes: this.inFlightBytes, count: this.inFlightCount }
  }

  /** An onRequest hook: admits the request's body or answers 503 `busy`; the reservation ends when the response does (sent or aborted). */
  hook() {
    return async (request: FastifyRequest, reply: FastifyReply) => {
      const bytes = declaredBodyBytes(request)
      if (bytes < SMALL_BODY_BYTES) return
      if (!this.tryAdmit(bytes)) {
        return reply
          .code(503)
          .header('retry-after', String(BUSY_RETRY_AFTER_SECONDS))
          .send({ error: 'busy', message: 'The hub is handling as many large requests as its memory allows; nothing was changed. Retry shortly.' })
      }
      // 'close' comes once for every response: sent whole, failed, or abandoned by the caller.
      reply.raw.once('close', () => this.release(bytes))
    }
  }
}

/** The budget for bodies in flight on this process's heap (V8's limit, --max-old-space-size included). */
export function defaultBodyBudget(heapLimitBytes: number = getHeapStatistics().heap_size_limit): number {
  return Math.floor((heapLimitBytes * HEAP_SHARE_FOR_BODIES) / HEAP_BYTES_PER_BODY_BYTE)
}

/** The body's size as the request declares it; a chunked body counts as the most the route takes. */
function declaredBodyBytes(request: FastifyRequest): number {
  const length = request.headers['content-length']
  if (length !== undefined) {
    const n = Number(length)
    return Number.isSafeInteger(n) && n >= 0 ? n : 0
  }
  return request.headers['transfer-encoding'] ? (request.routeOptions.bodyLimit ?? API_BODY_LIMIT) : 0
}
