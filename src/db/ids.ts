import { randomFillSync } from 'node:crypto'

/**
 * A new row id: a UUID version 7 (RFC 9562 §5.7), a 48-bit Unix time in milliseconds then random
 * bits, so ids made later sort later. Every table's primary key and the indexes on ids (links by
 * patient, coverage by patient) are B-trees: with random (version 4) ids each insert lands on a
 * random leaf page, and once those indexes outgrow the server's shared_buffers nearly every
 * insert reads a page from outside them and dirties it; time-ordered ids append to the rightmost
 * pages, which stay cached. The SQL side makes the same ids with `carebridge_uuidv7()` (migration
 * 20261201_0300_uuidv7), since PostgreSQL 15 has no `uuidv7()`.
 *
 * Within one process the ids are strictly increasing (RFC 9562 §6.2, method 1): the 12 bits after
 * the time count ids made in the same millisecond (started at a random value below 2,048, so a
 * millisecond has room for at least 2,048 more), and a millisecond that runs out, or a clock that
 * steps back, carries on from the last time used. The 62 bits after the variant stay random.
 */
export function newId(): string {
  let now = Date.now()
  if (now > lastMs) {
    lastMs = now
    counter = takeRandom(2) & 0x7ff
  } else {
    counter += 1
    if (counter > 0xfff) {
      lastMs += 1
      counter = takeRandom(2) & 0x7ff
    }
    now = lastMs
  }
  const hex = now.toString(16).padStart(12, '0')
  const b = pool
  const at = take(8)
  // variant 0b10 in the top two bits of byte 8
  const tail = HEX[(b[at]! & 0x3f) | 0x80]! + HEX[b[at + 1]!]! + '-' + HEX[b[at + 2]!] + HEX[b[at + 3]!] + HEX[b[at + 4]!] + HEX[b[at + 5]!] + HEX[b[at + 6]!] + HEX[b[at + 7]!]
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${counter.toString(16).padStart(3, '0')}-${tail}`
}

let lastMs = -1
let counter = 0

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

// Random bytes drawn in blocks, as node's randomUUID does: one system call per 512 ids, not per id.
const pool = Buffer.alloc(8 * 512)
let poolAt = pool.length

function take(bytes: number): number {
  if (poolAt + bytes > pool.length) {
    randomFillSync(pool)
    poolAt = 0
  }
  const at = poolAt
  poolAt += bytes
  return at
}

function takeRandom(bytes: 2): number {
  const at = take(bytes)
  return (pool[at]! << 8) | pool[at + 1]!
}

