import { CompiledQuery, type Compilable, type Kysely, type QueryResult } from 'kysely'
import type { DbOrTx } from './database.js'
import type { Database } from './schema.js'

/** Where an argument goes in the statement built once: Kysely binds it as a value like any other. */
class Slot {
  constructor(readonly name: string) {}
}

/**
 * A statement whose shape never changes (the same columns, the same conditions; only the values
 * differ), built by Kysely once and then run with each call's values bound to it. Kysely builds,
 * freezes and compiles a tree of nodes for every statement it runs: for a push job's few fixed
 * statements that was a tenth of a worker process's busy time.
 *
 * `build` runs once, at the first call, with each argument (the keys of that call's `args`)
 * standing for a bound value: it must only hand arguments to Kysely as values (`where`, `set`,
 * `values`), never branch on them or put them in the statement's text. Every call must give the
 * same keys, none undefined (null for SQL NULL): Kysely leaves an undefined column out, which is
 * another statement's shape; such a call throws instead.
 */
export function fixedQuery<Args extends Record<string, unknown>, Row>(build: (db: Kysely<Database>, args: Args) => Compilable<Row>) {
  let compiled: { sql: string; parameters: readonly unknown[]; names: readonly string[] } | undefined
  const check = (args: Args, names: readonly string[]) => {
    let given = 0
    for (const name in args) given += 1
    if (given !== names.length || names.some((name) => args[name] === undefined)) {
      throw new Error(`fixedQuery: expected the arguments ${names.join(', ')}, none undefined; got ${Object.keys(args).filter((k) => args[k] !== undefined).join(', ')}`)
    }
  }
  /** The statement as it runs with these values (for the tests to hold it to Kysely's own). */
  const bind = (db: DbOrTx, args: Args): CompiledQuery<Row> => {
    if (!compiled) {
      const names = Object.keys(args)
      check(args, names)
      const query = build(db, Object.fromEntries(names.map((name) => [name, new Slot(name)])) as Args).compile()
      compiled = { sql: query.sql, parameters: query.parameters, names }
    } else check(args, compiled.names)
    return CompiledQuery.raw(
      compiled.sql,
      compiled.parameters.map((p) => (p instanceof Slot ? args[p.name] : p)),
    ) as CompiledQuery<Row>
  }
  return Object.assign((db: DbOrTx, args: Args): Promise<QueryResult<Row>> => db.executeQuery(bind(db, args)), { bind })
}
