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
 *
 * LISTEN/NOTIFY: every client shares PGlite's one session, so PostgreSQL delivers a notification
 * to that session — its bytes come out in the answer of the batch that committed the NOTIFY, i.e.
 * to the notifying client, never to the one that listens. The server takes notifications out of
 * every answer and sends each to the clients that asked to LISTEN on its channel (by a simple
 * query, as `pg` sends it), so a LISTEN client here behaves as it does on PostgreSQL.
 */
export class PgliteServer {
  private server: Server | null = null
  private readonly queue: Batch[] = []
  private running = false
  private transactionOwner: number | null = null
  private nextClientId = 1
  private readonly sockets = new Set<Socket>()
  /** Who listens on which channel (the session itself listens once anyone asked). */
  private readonly listeners = new Map<string, Set<Socket>>()

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
    // A message larger than a chunk (a 5 MiB Bind) is joined once, when all of it is here: joining
    // at every chunk copied it ~80 times over (a quarter of a gigabyte for one insert).
    let incomplete: { chunks: Buffer[]; bytes: number; needed: number } | null = null
    let started = false
    let pending: Uint8Array[] = []
    let unlistens = false
    socket.on('data', (data) => {
      if (incomplete) {
        incomplete.chunks.push(data)
        incomplete.bytes += data.length
        if (incomplete.bytes < incomplete.needed) return
        buffer = Buffer.concat(incomplete.chunks)
        incomplete = null
      } else {
        buffer = buffer.length ? Buffer.concat([buffer, data]) : data
      }
      const waitFor = (needed: number) => (incomplete = { chunks: [buffer], bytes: buffer.length, needed })
      for (;;) {
        if (!started) {
          if (buffer.length < 8) return
          const length = buffer.readInt32BE(0)
          if (buffer.length < length) return void waitFor(length)
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
          this.enqueue({ clientId, socket, messages: [new Uint8Array(message)], unlistens: false })
          continue
        }
        if (buffer.length < 5) return
        const type = String.fromCharCode(buffer[0]!)
        const length = buffer.readInt32BE(1) + 1
        if (buffer.length < length) return void waitFor(length)
        const message = new Uint8Array(buffer.subarray(0, length))
        buffer = buffer.subarray(length)
        if (type === 'X') {
          socket.end()
          return
        }
        pending.push(message)
        if (type === 'Q' && this.noteListen(socket, message) === 'unlisten') unlistens = true
        if (BATCH_ENDS.has(type)) {
          this.enqueue({ clientId, socket, messages: pending, unlistens })
          pending = []
          unlistens = false
        }
      }
    })
    const gone = () => {
      this.sockets.delete(socket)
      for (const sockets of this.listeners.values()) sockets.delete(socket)
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
        const answer = new NotificationFilter((channel, message) => {
          for (const socket of this.listeners.get(channel) ?? []) if (!socket.destroyed) socket.write(message)
        })
        // The whole batch in one call, its answer in one write. PGlite's main loop reads every
        // message of its input (after an error it skips to the Sync, as a server does); a call per
        // message cost each its own flush of the answer, and a socket write per flushed chunk —
        // on loopback the writer pays the receiver's side of TCP too: ~15% of the embedded hub's
        // CPU under the intake bench went to those writes.
        const input = batch.messages.length === 1 ? batch.messages[0]! : Buffer.concat(batch.messages)
        batch.socket.cork()
        try {
          await this.db.runExclusive(async () => {
            await this.db.execProtocolRawStream(input, {
              onRawData: (chunk: Uint8Array) => {
                for (const part of answer.filter(chunk)) if (!batch.socket.destroyed) batch.socket.write(part)
              },
            })
            // An UNLISTEN ends the shared session's LISTEN for everyone: listen again for whoever still does.
            if (batch.unlistens) for (const [channel, sockets] of this.listeners) if (sockets.size > 0) await this.db.exec(`LISTEN ${quoteIdent(channel)}`)
          })
        } catch {
          // PGlite reports SQL errors in-protocol; a throw means the exchange itself broke: drop that client.
          batch.socket.destroy()
        } finally {
          batch.socket.uncork()
        }
        this.transactionOwner = this.db.isInTransaction() ? batch.clientId : null
      }
    } finally {
      this.running = false
    }
  }

  /** Notes a simple query's LISTEN / UNLISTEN, so that the server knows where a channel's notifications go. */
  private noteListen(socket: Socket, message: Uint8Array): 'listen' | 'unlisten' | null {
    const text = Buffer.from(message.subarray(5, message.length - 1)).toString('utf8')
    const listen = /^\s*LISTEN\s+("(?:[^"]|"")+"|[A-Za-z_][\w$]*)\s*;?\s*$/i.exec(text)
    if (listen) {
      const channel = unquoteIdent(listen[1]!)
      let sockets = this.listeners.get(channel)
      if (!sockets) this.listeners.set(channel, (sockets = new Set()))
      sockets.add(socket)
      return 'listen'
    }
    const unlisten = /^\s*UNLISTEN\s+("(?:[^"]|"")+"|[A-Za-z_][\w$]*|\*)\s*;?\s*$/i.exec(text)
    if (!unlisten) return null
    if (unlisten[1] === '*') for (const sockets of this.listeners.values()) sockets.delete(socket)
    else this.listeners.get(unquoteIdent(unlisten[1]!))?.delete(socket)
    return 'unlisten'
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
  /** The batch holds an UNLISTEN: the session listens again afterwards for the channels others still hear. */
  unlistens: boolean
}

const NOTIFICATION = 0x41 // 'A', NotificationResponse

/**
 * Takes NotificationResponse messages out of one batch's answer, which arrives in chunks that
 * need not end on a message boundary. Everything else passes through as slices of one copy of
 * each chunk, so a large answer costs a copy and a look at each message's 5-byte header.
 *
 * Why the copy: PGlite hands each chunk as a view of its WebAssembly memory, which it writes the
 * next chunk (and the next batch's answer) into. A socket that cannot take an answer at once — a
 * 4.8 MiB row returned to a `pg` client in this same process, which reads nothing while PGlite
 * runs — queues the view, not its bytes; the bytes sent later were another answer's, the client's
 * framing broke, and it waited forever for a message that never came, its transaction holding
 * the database for every other client.
 */
export class NotificationFilter {
  /** Bytes of the current message (not a notification) still to pass through. */
  private passing = 0
  /** The first bytes of a message whose header (type and length) is not complete yet. */
  private head: Buffer = Buffer.alloc(0)
  /** A notification being collected: its bytes so far and how many are still to come. */
  private note: { parts: Buffer[]; missing: number } | null = null

  constructor(private readonly deliver: (channel: string, message: Buffer) => void) {}

  filter(chunk: Uint8Array): Uint8Array[] {
    const data = Buffer.from(chunk)
    const out: Uint8Array[] = []
    let from = 0 // start of the slice of `data` that passes through
    let at = 0
    while (at < data.length) {
      if (this.passing > 0) {
        const n = Math.min(this.passing, data.length - at)
        this.passing -= n
        at += n
        continue
      }
      if (this.note) {
        const n = Math.min(this.note.missing, data.length - at)
        this.note.parts.push(data.subarray(at, at + n))
        this.note.missing -= n
        at += n
        if (this.note.missing === 0) {
          this.emit(Buffer.concat(this.note.parts))
          this.note = null
          from = at
        }
        continue
      }
      // A header: it may have begun in the previous chunk (held in `head`).
      const start = at
      const take = Math.min(5 - this.head.length, data.length - at)
      const head = this.head.length ? Buffer.concat([this.head, data.subarray(at, at + take)]) : data.subarray(at, at + take)
      at += take
      if (head.length < 5) {
        if (start > from) out.push(data.subarray(from, start))
        this.head = Buffer.from(head)
        from = at
        continue
      }
      const held = this.head
      this.head = Buffer.alloc(0)
      const body = head.readInt32BE(1) - 4
      if (head[0] === NOTIFICATION) {
        if (start > from) out.push(data.subarray(from, start))
        this.note = { parts: [Buffer.from(head)], missing: body }
        if (body === 0) {
          this.emit(Buffer.concat(this.note.parts))
          this.note = null
        }
        from = at
        continue
      }
      // Not a notification: a header begun in the previous chunk goes out before the rest.
      if (held.length) out.push(held)
      this.passing = body
    }
    if (!this.note && data.length > from) out.push(data.subarray(from))
    return out
  }

  private emit(message: Buffer): void {
    // NotificationResponse: type, length, the sender's pid (int32), channel\0, payload\0.
    const end = message.indexOf(0, 9)
    this.deliver(message.subarray(9, end < 0 ? message.length : end).toString('utf8'), message)
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}

function unquoteIdent(token: string): string {
  // Unquoted identifiers fold to lower case, as PostgreSQL does.
  return token.startsWith('"') ? token.slice(1, -1).replace(/""/g, '"') : token.toLowerCase()
}

const SSL_REQUEST = 80877103
const GSS_REQUEST = 80877104
const CANCEL_REQUEST = 80877102
/** Sync, simple Query, Flush: the points where a client waits for answers. */
const BATCH_ENDS = new Set(['S', 'Q', 'H'])
