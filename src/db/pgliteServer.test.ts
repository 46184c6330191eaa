import { describe, expect, it } from 'vitest'
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
})
