import type { Insertable, QueryCreator } from 'kysely'
import type { DbOrTx } from '../db/database.js'
import type { Database } from '../db/schema.js'

/** An exchange row as the recorder writes it: every column but the pruning mark. */
export type ExchangeRow = Omit<Required<Insertable<Database['exchanges']>>, 'bodies_pruned_at'>

/**
 * The exchanges of a push job's calls, held in memory from the call's answer until the job's next
 * write, which carries them in its own statement (exchangesWrite): a Ritten push then logs its two
 * calls without a statement of their own, where each was a round trip (and, embedded, a turn of
 * the one PGlite backend).
 *
 * At most one exchange is ever held: the one of the job's last call. The recorder writes an
 * earlier one before the next call is sent (`beforeCall`), so a process that dies leaves out of
 * the log at most the call it was working on — as one that dies while its call is in flight always
 * did. A write that fails hands the exchanges back (`carry`); the runner writes whatever is still
 * held before it settles a failure (`flush`), a lost lease included: the call happened.
 */
export class HeldExchanges {
  private rows: ExchangeRow[] = []

  constructor(private readonly db: DbOrTx) {}

  get size(): number {
    return this.rows.length
  }

  /** Keeps a call's exchange for the job's next write. */
  hold(row: ExchangeRow): void {
    this.rows.push(row)
  }

  /** Before a call is sent: the exchange of the one before it goes to the database now. */
  async beforeCall(): Promise<void> {
    if (this.rows.length > 0) await this.flush()
  }

  /** Writes what is held, in a statement of its own. */
  async flush(): Promise<void> {
    const rows = this.take()
    if (rows.length === 0) return
    try {
      await exchangesWrite(this.db, rows).execute()
    } catch (err) {
      this.rows.unshift(...rows)
      throw err
    }
  }

  /**
   * Hands the held exchanges to one statement that writes them whatever else it finds (its
   * exchangesWrite CTE is not fenced by the lease): `written(err)` says whether a write that threw
   * still wrote them (it ran, e.g. the lease fence found nothing), else they are held again.
   */
  async carry<T>(write: (rows: ExchangeRow[]) => Promise<T>, written: (err: unknown) => boolean): Promise<T> {
    const rows = this.take()
    try {
      return await write(rows)
    } catch (err) {
      if (!written(err)) this.rows.unshift(...rows)
      throw err
    }
  }

  private take(): ExchangeRow[] {
    const rows = this.rows
    this.rows = []
    return rows
  }
}

/**
 * The insert of exchange rows, as a statement or (in Kysely's `with`) a data-modifying CTE of
 * another. Plain values: a row as one JSON parameter unpacked by jsonb_populate_recordset made
 * the database parse its bodies twice.
 */
export function exchangesWrite(db: QueryCreator<Database>, rows: readonly ExchangeRow[]) {
  return db.insertInto('exchanges').values([...rows])
}
