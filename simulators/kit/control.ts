import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { FaultPlan, type FaultRule } from './faults.js'

/** What a simulator exposes to its control surface. */
export interface SimulatorStore {
  /** Everything the simulator holds, as JSON. */
  records(): unknown
  /** Forget everything (back to the seeded state, if any). */
  reset(): void | Promise<void>
}

export interface RequestLogEntry {
  at: string
  method: string
  path: string
  status: number | null
  fault?: string
  /** The JSON body of a write (POST, PUT, PATCH) as received: which record a call carried. */
  body?: unknown
}

const HANG_LIMIT_MS = 5 * 60_000

/**
 * Installs the `/_sim` control surface (records, faults, reset, request log) and applies the
 * fault plan to every other route. Call before registering the simulator's own routes.
 */
export function installSimControl(
  app: FastifyInstance,
  store: SimulatorStore,
  options: { faultBody?: (status: number, message: string | undefined) => unknown } = {},
): { faults: FaultPlan; requests: RequestLogEntry[] } {
  const bodyOf = options.faultBody ?? faultBody
  const faults = new FaultPlan()
  const requests: RequestLogEntry[] = []
  const hung = new Set<FastifyRequest['raw']['socket']>()

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0] ?? request.url
    if (path.startsWith('/_sim')) return
    const entry: RequestLogEntry = { at: new Date().toISOString(), method: request.method, path, status: null }
    requests.push(entry)
    ;(request as FastifyRequest & { simLog?: RequestLogEntry }).simLog = entry
    const decision = faults.decide(request.method, path)
    if (decision.kind === 'hang') {
      entry.fault = 'timeout'
      reply.hijack()
      const socket = request.raw.socket
      hung.add(socket)
      setTimeout(() => {
        hung.delete(socket)
        socket.destroy()
      }, HANG_LIMIT_MS).unref()
      return reply
    }
    if (decision.latencyMs > 0) await new Promise((r) => setTimeout(r, decision.latencyMs))
    if (decision.kind === 'error') {
      entry.fault = `status ${decision.status}`
      if (decision.retryAfter !== undefined) void reply.header('retry-after', String(decision.retryAfter))
      return reply.code(decision.status).send(bodyOf(decision.status, decision.message))
    }
    if (decision.kind === 'drop') {
      entry.fault = 'response dropped'
      ;(request as FastifyRequest & { simDrop?: boolean }).simDrop = true
    }
    if (decision.kind === 'pass' && decision.answerDelayMs) {
      entry.fault = `answer delayed ${decision.answerDelayMs} ms`
      ;(request as FastifyRequest & { simAnswerDelayMs?: number }).simAnswerDelayMs = decision.answerDelayMs
    }
  })

  // After parsing, before the simulator's own handler may change it: what the caller sent.
  app.addHook('preHandler', async (request) => {
    const entry = (request as FastifyRequest & { simLog?: RequestLogEntry }).simLog
    if (entry && request.method !== 'GET' && isPlainJson(request.body)) entry.body = structuredClone(request.body)
  })

  app.addHook('onSend', async (request, reply, payload) => {
    const entry = (request as FastifyRequest & { simLog?: RequestLogEntry }).simLog
    if (entry) entry.status = reply.statusCode
    const answerDelayMs = (request as FastifyRequest & { simAnswerDelayMs?: number }).simAnswerDelayMs
    if (answerDelayMs) await new Promise((r) => setTimeout(r, answerDelayMs))
    if ((request as FastifyRequest & { simDrop?: boolean }).simDrop) request.raw.socket.destroy()
    return payload
  })

  app.addHook('onClose', async () => {
    for (const socket of hung) socket.destroy()
    hung.clear()
  })

  app.get('/_sim/records', async () => store.records())
  app.get('/_sim/requests', async () => ({ items: requests }))
  app.get('/_sim/faults', async () => ({ items: faults.list() }))
  app.post('/_sim/faults', async (request, reply) => {
    const body = request.body
    const rules = Array.isArray(body) ? body : body && typeof body === 'object' ? [body] : null
    if (!rules || !rules.every(isFaultRule)) {
      return reply.code(400).send({
        error: 'invalid_fault',
        message:
          'Send a fault rule or an array of them: {latencyMs?, answerDelayMs?, errorRate?, status?, message?, retryAfter?, timeoutRate?, dropResponseRate?, match?, count?}',
      })
    }
    faults.set(rules as FaultRule[])
    return { items: faults.list() }
  })
  app.delete('/_sim/faults', async () => {
    faults.clear()
    return { items: [] }
  })
  app.post('/_sim/reset', async () => {
    faults.clear()
    requests.length = 0
    await store.reset()
    return { status: 'reset' }
  })
  return { faults, requests }
}

/** The default body of an injected error; each simulator may answer in its system's own shape instead. */
function faultBody(status: number, message?: string): Record<string, string> {
  if (status === 429) return { error: 'rate_limit_exceeded', error_description: message ?? 'Too Many Requests' }
  return { error: status >= 500 ? 'server_error' : 'bad_request', message: message ?? `Injected fault (${status})` }
}

const NUMBER_KEYS = ['latencyMs', 'answerDelayMs', 'errorRate', 'status', 'retryAfter', 'timeoutRate', 'dropResponseRate', 'count']

function isFaultRule(value: unknown): boolean {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false
  for (const [key, v] of Object.entries(value)) {
    if (NUMBER_KEYS.includes(key)) {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) return false
    } else if (key === 'message' || key === 'match') {
      if (typeof v !== 'string') return false
      if (key === 'match') {
        try {
          new RegExp(v)
        } catch {
          return false
        }
      }
    } else return false
  }
  return true
}

/** A JSON object or array as a body parser leaves it (not a form's URLSearchParams or a Buffer). */
function isPlainJson(body: unknown): boolean {
  if (Array.isArray(body)) return true
  if (body === null || typeof body !== 'object') return false
  const proto = Object.getPrototypeOf(body)
  return proto === Object.prototype || proto === null
}
