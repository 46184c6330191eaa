import { describe, expect, it, onTestFinished } from 'vitest'
import pg from 'pg'
import { embeddedServerForTest } from '../../test/embeddedServer.js'
import { NotificationFilter } from './pgliteServer.js'

/** Backend messages as PostgreSQL frames them: a type byte, then the length (itself included) and the body. */
function message(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5)
  header.write(type, 0, 'ascii')
  header.writeInt32BE(body.length + 4, 1)
  return Buffer.concat([header, body])
}

const notification = (channel: string, payload: string) => message('A', Buffer.concat([Buffer.from([0, 0, 0, 7]), Buffer.from(`${channel}\0${payload}\0`)]))
const dataRow = (text: string) => message('D', Buffer.from(text))

describe('NotificationFilter', () => {
  // A commit's answer: rows, a notification in the middle, the end of the command.
  const notice = notification('carebridge_jobs', 'carebridge.sync')
  const answer = Buffer.concat([dataRow('first row'), notice, dataRow('x'.repeat(40)), message('C', Buffer.from('COMMIT\0')), message('Z', Buffer.from('I'))])
  const expected = Buffer.concat([dataRow('first row'), dataRow('x'.repeat(40)), message('C', Buffer.from('COMMIT\0')), message('Z', Buffer.from('I'))])

  it('takes the notification out of the answer and hands it over whole, wherever the chunks split', () => {
    // Every way of cutting the answer in three: through headers, bodies and the notification itself.
    for (let a = 0; a <= answer.length; a += 3) {
      for (let b = a; b <= answer.length; b += 5) {
        const delivered: { channel: string; message: Buffer }[] = []
        const filter = new NotificationFilter((channel, m) => delivered.push({ channel, message: m }))
        const passed = [answer.subarray(0, a), answer.subarray(a, b), answer.subarray(b)].flatMap((chunk) => filter.filter(chunk))
        expect(Buffer.concat(passed)).toEqual(expected)
        expect(delivered).toEqual([{ channel: 'carebridge_jobs', message: notice }])
      }
    }
  })

  it('passes an answer without notifications through untouched, as the chunks it came in', () => {
    const filter = new NotificationFilter(() => {
      throw new Error('no notification here')
    })
    const chunk = Buffer.concat([dataRow('a'), dataRow('b')])
    expect(filter.filter(chunk)).toEqual([chunk])
  })

  it('keeps what it passed on after the chunk it came in is written over (PGlite reuses that memory)', () => {
    const filter = new NotificationFilter(() => undefined)
    const rows = Buffer.concat([dataRow('a'), dataRow('b')])
    const chunk = Buffer.from(rows)
    const passed = filter.filter(chunk)
    chunk.fill(0)
    expect(Buffer.concat(passed)).toEqual(rows)
  })

  it('delivers a notification split across chunks whole, though the first chunk was written over', () => {
    const delivered: Buffer[] = []
    const filter = new NotificationFilter((_channel, m) => delivered.push(m))
    const cut = dataRow('first row').length + 14 // inside the notification's channel name
    const first = Buffer.from(answer.subarray(0, cut))
    filter.filter(first)
    first.fill(0)
    filter.filter(Buffer.from(answer.subarray(cut)))
    expect(delivered).toEqual([notice])
  })
})

describe('the embedded server under answers larger than a socket takes at once', () => {
  it('gives every client its own answer, whole, while others send and read 5 MB values', async () => {
    const { server } = await embeddedServerForTest('cb-pgserver-')
    // One process, as in the hub: the clients read nothing while PGlite runs a batch, so a large
    // answer waits in the socket's queue while the next batch's answer is made.
    const pool = new pg.Pool({ connectionString: server.connectionString, max: 4 })
    onTestFinished(() => pool.end())
    const size = 5 * 1024 * 1024
    // Large answers (even) and large questions (odd: a 5 MB parameter arrives in many chunks).
    const asked = Array.from({ length: 8 }, (_, i) =>
      i % 2 === 0
        ? pool.query<{ big: string }>(`select repeat(chr(98 + $1::int), $2::int) as big`, [i, size]).then((r) => ({ i, length: r.rows[0]!.big.length, char: r.rows[0]!.big[size - 1] }))
        : pool.query<{ n: number }>(`select length($1::text) - $2::int as n`, [`${i}`.padEnd(size + i, 'q'), size]).then((r) => ({ i, n: r.rows[0]!.n })),
    )
    const answers = await Promise.race([Promise.all(asked), new Promise<never>((_, reject) => setTimeout(() => reject(new Error('a client was never answered')), 60_000))])
    for (const a of answers) {
      if ('n' in a) expect(a.n).toBe(a.i)
      else expect(a).toEqual({ i: a.i, length: size, char: String.fromCharCode(98 + a.i) })
    }
  }, 240_000)
})

describe('the embedded server runs a batch (up to Sync) in one turn of PGlite', () => {
  it('answers an error inside a batch as a server does: the rest of the batch is skipped to its Sync, and the client goes on', async () => {
    const { server } = await embeddedServerForTest('cb-pgserver-')
    const client = new pg.Client({ connectionString: server.connectionString })
    await client.connect()
    onTestFinished(() => client.end())
    // Parse, Bind (refused: not an integer), Describe, Execute, Sync: one batch, one error, one ReadyForQuery.
    await expect(client.query('select $1::int as n', ['not a number'])).rejects.toMatchObject({ code: '22P02' })
    expect((await client.query('select $1::int as n', [7])).rows).toEqual([{ n: 7 }])
    // In a transaction: the error aborts it, the rollback ends it, and other statements see nothing of it.
    await client.query('begin')
    await client.query('create temporary table t (n int)')
    await expect(client.query('insert into t values ($1)', ['x'])).rejects.toMatchObject({ code: '22P02' })
    await expect(client.query('select 1')).rejects.toMatchObject({ code: '25P02' })
    await client.query('rollback')
    // Many rows, answered in one batch: all of them, in order.
    const { rows } = await client.query<{ n: number }>('select generate_series(1, $1::int) as n', [5000])
    expect(rows.map((r) => r.n)).toEqual(Array.from({ length: 5000 }, (_, i) => i + 1))
  }, 60_000)
})
