/**
 * @medplum/core 5 references a global `WebSocket` when it is imported; Node 20 has none (without
 * --experimental-websocket). Import this module BEFORE anything that imports @medplum/core.
 * The simulator never opens a WebSocket, so the stand-in only refuses to be constructed.
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
