/**
 * A pull's pages, one ahead: while the engine stores a page, the connector already reads and
 * parses the next (the export file's next lines, the next page's request), so the network and the
 * parsing overlap the database's work instead of waiting for it. At most one page waits unstored,
 * so memory stays bounded by two pages.
 *
 * `snapshot` is read the moment a page is produced, before the connector goes on: what it returns
 * (the connector's checkpoint) belongs to that page, and is saved with it, even though the
 * connector has moved on to the next by the time the page is stored. A failure reading the next
 * page surfaces after the current page is stored and its cursor saved, so nothing read is lost.
 */
export async function* pagesAhead<T, S>(pages: AsyncIterable<T>, snapshot: () => S): AsyncGenerator<{ page: T; snapshot: S }> {
  const iterator = pages[Symbol.asyncIterator]()
  const read = () => {
    const next = iterator.next().then((result) => ({ result, snapshot: snapshot() }))
    // Awaited later; until then a rejection must not count as unhandled.
    next.catch(() => undefined)
    return next
  }
  let pending = read()
  let finished = false
  try {
    for (;;) {
      const { result, snapshot: taken } = await pending
      if (result.done) {
        finished = true
        return
      }
      pending = read()
      yield { page: result.value, snapshot: taken }
    }
  } catch (err) {
    finished = true
    throw err
  } finally {
    // The reader stopped early: wait for the page being read, then let the connector close its stream.
    if (!finished) {
      await pending.catch(() => undefined)
      await iterator.return?.(undefined)
    }
  }
}
