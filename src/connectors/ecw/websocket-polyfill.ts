/**
 * @medplum/core 5 references a global `WebSocket` when it is imported; Node 20 has none (without
 * --experimental-websocket). Import this module BEFORE anything that imports @medplum/core.
 * Copied from simulators/ecw/websocket-polyfill.ts (src must not import simulators). The connector
 * never opens a WebSocket (only validation uses @medplum/core), so the stand-in refuses to be built.
 */
const scope = globalThis as { WebSocket?: unknown }
if (typeof scope.WebSocket === 'undefined') {
  scope.WebSocket = class WebSocketUnavailable {
    constructor() {
      throw new Error('WebSocket is not available in this Node.js runtime')
    }
  }
}
export {}
