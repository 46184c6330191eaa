import { describe, expect, it } from 'vitest'
import { pagesAhead } from './pullAhead.js'

/** A connector's stream: logs what it does, moves its checkpoint as it produces each page. */
function source(count: number, log: string[], state: { checkpoint: number }, failAt?: number) {
  return (async function* () {
    try {
      for (let i = 1; i <= count; i++) {
        await new Promise((resolve) => setTimeout(resolve, 1))
        if (i === failAt) throw new Error(`page ${i} could not be read`)
        state.checkpoint = i
        log.push(`read ${i}`)
        yield i
      }
    } finally {
      log.push('closed')
    }
  })()
}

describe('pages read one ahead', () => {
  it('reads the next page while the current one is stored, each with the checkpoint of its own moment', async () => {
    const log: string[] = []
    const state = { checkpoint: 0 }
    const seen: { page: number; snapshot: number }[] = []
    for await (const { page, snapshot } of pagesAhead(source(3, log, state), () => state.checkpoint)) {
      await new Promise((resolve) => setTimeout(resolve, 20))
      log.push(`stored ${page}`)
      seen.push({ page, snapshot })
    }
    expect(seen).toEqual([{ page: 1, snapshot: 1 }, { page: 2, snapshot: 2 }, { page: 3, snapshot: 3 }])
    // Page 2 was read before page 1 was stored, and never more than one page ahead.
    expect(log).toEqual(['read 1', 'read 2', 'stored 1', 'read 3', 'stored 2', 'closed', 'stored 3'])
  })

  it('hands over the page before a failure reading the next one, then throws it', async () => {
    const log: string[] = []
    const stored: number[] = []
    const state = { checkpoint: 0 }
    await expect(
      (async () => {
        for await (const { page } of pagesAhead(source(5, log, state, 3), () => state.checkpoint)) stored.push(page)
      })(),
    ).rejects.toThrow('page 3 could not be read')
    expect(stored).toEqual([1, 2])
    expect(log.at(-1)).toBe('closed')
  })

  it('closes the stream when the reader stops early, after the page being read', async () => {
    const log: string[] = []
    const state = { checkpoint: 0 }
    for await (const { page } of pagesAhead(source(10, log, state), () => state.checkpoint)) if (page === 2) break
    expect(log).toEqual(['read 1', 'read 2', 'read 3', 'closed'])
  })
})
