import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { ChildMessage, DemoCredentials, HubAnswers, HubRequest, ParentMessage } from '../../simulators/hubChannel.js'

/**
 * The demo simulators in a child process of the hub — `simulators/main.ts`, what
 * `npm run simulators` runs — so that their memory and start-up work are not the hub's. The hub
 * asks their "staff" for what the demo needs over the IPC channel; the child ends with the hub
 * (its channel closes when the hub exits, however it exits).
 */
export interface SimulatorProcess {
  /** Base URL of each simulator (ECW: the demo practice's FHIR base). */
  urls: Record<string, string>
  /** What the simulators accept (client ids, secrets, API keys, listings, payers), for the demo connections. */
  credentials: DemoCredentials
  ask<K extends HubRequest['kind']>(request: Extract<HubRequest, { kind: K }>): Promise<HubAnswers[K]>
  close(): Promise<void>
}

/** How long the child may take to bring the five simulators up (ECW seeds its practice) on a loaded machine. */
const START_TIMEOUT_MS = 120_000

/**
 * The simulators' entry point beside this module: compiled (`npm start` runs `.build/`, see
 * src/compile.ts), or the sources, whose child inherits the hub's TypeScript loader (`node --import tsx`).
 */
export const SIMULATORS_ENTRY = fileURLToPath(new URL(import.meta.url.endsWith('.js') ? '../../simulators/main.js' : '../../simulators/main.ts', import.meta.url))

export async function startSimulatorProcess(entry: string = SIMULATORS_ENTRY, log?: { warn(obj: object, msg: string): void }): Promise<SimulatorProcess> {
  // No port variables pass on: `npm run simulators`' SIM_*_PORT would pin the demo's ports.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('SIM_')))
  const child = fork(entry, [], { env, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
  const pending = new Map<number, { resolve(value: unknown): void; reject(err: Error): void }>()
  let nextId = 1
  let exited = false
  let stopping = false
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()))

  const { urls, credentials } = await new Promise<{ urls: Record<string, string>; credentials: DemoCredentials }>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`the demo simulators did not start in ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS)
    const fail = (err: Error) => {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(err)
    }
    const onError = (err: Error) => fail(new Error('the demo simulators could not be started', { cause: err }))
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => fail(new Error(`the demo simulators exited while starting (${signal ?? `code ${code}`})`))
    const onStart = (message: ChildMessage) => {
      if (message.type === 'failed') fail(new Error(`the demo simulators failed to start: ${message.message}`))
      if (message.type !== 'ready') return
      clearTimeout(timer)
      child.off('message', onStart).off('exit', onExit).off('error', onError)
      resolve(message)
    }
    child.once('error', onError).once('exit', onExit).on('message', onStart)
  })

  child.on('message', (message: ChildMessage) => {
    if (message.type !== 'answer') return
    const waiting = pending.get(message.id)
    pending.delete(message.id)
    if (!waiting) return
    if (message.ok) waiting.resolve(message.value)
    else waiting.reject(new Error(`demo simulators: ${message.message}`))
  })
  child.once('exit', (code, signal) => {
    exited = true
    for (const waiting of pending.values()) waiting.reject(new Error(`the demo simulators exited (${signal ?? `code ${code}`})`))
    pending.clear()
    if (!stopping) log?.warn({ code, signal }, 'demo: the simulators process exited; the demo connections have nothing to talk to until the hub restarts')
  })

  return {
    urls,
    credentials,
    ask(request) {
      if (exited) return Promise.reject(new Error('the demo simulators are not running'))
      const id = nextId++
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject })
        child.send({ type: 'request', id, request } satisfies ParentMessage)
      })
    },
    async close() {
      stopping = true
      if (exited) return
      // Closing the channel is the child's signal to stop (the same as when the hub dies).
      child.disconnect()
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exit
      clearTimeout(timer)
    },
  }
}
