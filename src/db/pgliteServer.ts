import { createServer, type Server, type Socket } from 'node:net'
import type { PGlite } from '@electric-sql/pglite'

/**
 * Serves one PGlite database to many PostgreSQL wire-protocol clients on a loopback port.
 *
 * Why not @electric-sql/pglite-socket's server: it interleaves clients message by message, so an
 * extended-protocol query (Parse, Bind, Execute, Sync) of one client can land between another's
 * Parse and Bind; both then share PGlite's single unnamed statement and portal, and fail with
 * "unnamed prepared statement does not exist" under concurrency (seen with pg-boss beside the
 * API). Here a client's messages run as one batch up to Sync (or a simple Query), and while a
 * client holds an open transaction only that client's batches run.
 */
export class PgliteServer {
  private server: Server | null = null
  private readonly queue: Batch[] = []
  private running = false
  private transactionOwner: number | null = null
  private nextClientId = 1
  private readonly sockets = new Set<Socket>()

  constructor(private readonly db: PGlite) {}

  async listen(host = '127.0.0.1', port = 0): Promise<number> {
    this.server = createServer((socket) => this.accept(socket))
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject)
      this.server!.listen(port, host, () => resolve())
    })
    const address = this.server.address()
    if (!address || typeof address !== 'object') throw new Error('The embedded database server has no address')
    return address.port
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy()
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
  }

  private accept(socket: Socket): void {
    const clientId = this.nextClientId++
    this.sockets.add(socket)
    socket.setNoDelay(true)
    let buffer = Buffer.alloc(0)
    let started = false
    let pending: Uint8Array[] = []
    socket.on('data', (data) => {
      buffer = Buffer.concat([buffer, data])
      for (;;) {
        if (!started) {
          if (buffer.length < 8) return
          const length = buffer.readInt32BE(0)
          if (buffer.length < length) return
          const code = buffer.readInt32BE(4)
          const message = buffer.subarray(0, length)
          buffer = buffer.subarray(length)
          if (code === SSL_REQUEST || code === GSS_REQUEST) {
            socket.write('N')
            continue
          }
          if (code === CANCEL_REQUEST) {
            socket.end()
            return
          }
          started = true
          this.enqueue({ clientId, socket, messages: [new Uint8Array(message)] })
          continue
        }
        if (buffer.length < 5) return
        const type = String.fromCharCode(buffer[0]!)
        const length = buffer.readInt32BE(1) + 1
        if (buffer.length < length) return
        const message = new Uint8Array(buffer.subarray(0, length))
        buffer = buffer.subarray(length)
        if (type === 'X') {
          socket.end()
          return
        }
        pending.push(message)
        if (BATCH_ENDS.has(type)) {
          this.enqueue({ clientId, socket, messages: pending })
          pending = []
        }
      }
    })
    const gone = () => {
      this.sockets.delete(socket)
      void this.release(clientId)
    }
    socket.on('close', gone)
    socket.on('error', () => socket.destroy())
  }

  private enqueue(batch: Batch): void {
    this.queue.push(batch)
    void this.drain()
  }

  private async drain(): Promise<void> {
    if (this.running) return
    this.running = true
    try {
      for (;;) {
        const index = this.transactionOwner === null ? 0 : this.queue.findIndex((b) => b.clientId === this.transactionOwner)
        if (index < 0 || this.queue.length === 0) return
        const [batch] = this.queue.splice(index, 1)
        if (!batch) return
        if (batch.socket.destroyed) continue
        try {
          await this.db.runExclusive(async () => {
            for (const message of batch.messages) {
              await this.db.execProtocolRawStream(message, {
                onRawData: (chunk: Uint8Array) => {
                  if (!batch.socket.destroyed) batch.socket.write(chunk)
                },
              })
            }
          })
        } catch {
          // PGlite reports SQL errors in-protocol; a throw means the exchange itself broke: drop that client.
          batch.socket.destroy()
        }
        this.transactionOwner = this.db.isInTransaction() ? batch.clientId : null
      }
    } finally {
      this.running = false
    }
  }

  /** A client that leaves inside a transaction must not leave it open for everyone else. */
  private async release(clientId: number): Promise<void> {
    for (let i = this.queue.length - 1; i >= 0; i--) if (this.queue[i]!.clientId === clientId) this.queue.splice(i, 1)
    if (this.transactionOwner === clientId) {
      while (this.running) await new Promise((r) => setTimeout(r, 5))
      if (this.transactionOwner === clientId && this.db.isInTransaction()) await this.db.exec('ROLLBACK')
      this.transactionOwner = null
      void this.drain()
    }
  }
}

interface Batch {
  clientId: number
  socket: Socket
  messages: Uint8Array[]
}

const SSL_REQUEST = 80877103
const GSS_REQUEST = 80877104
const CANCEL_REQUEST = 80877102
/** Sync, simple Query, Flush: the points where a client waits for answers. */
const BATCH_ENDS = new Set(['S', 'Q', 'H'])
