import { type Kysely, sql } from 'kysely'

/**
 * `carebridge_uuidv7()`: a UUID version 7 (RFC 9562 §5.7) made in SQL, the same shape as the
 * hub's `newId()` (src/db/ids.ts) for the rows a statement makes ids for itself (a create's push
 * links and jobs). PostgreSQL 15 and PGlite have no `uuidv7()` (PostgreSQL 18 adds one, hence
 * the prefix). A random version 4 UUID keeps its random bits and its variant; its first 48 bits
 * become the Unix time in milliseconds and its version nibble 0100 becomes 0111 (bits 52 and 53
 * of the bytes, counting from the least significant bit of the first byte). Ids made in the same
 * millisecond are not ordered among themselves, which the B-trees do not need: they land on the
 * same rightmost pages either way.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create or replace function carebridge_uuidv7() returns uuid
    language sql volatile parallel safe as $$
      select encode(
        set_bit(set_bit(
          overlay(uuid_send(gen_random_uuid())
            placing substring(int8send(floor(extract(epoch from clock_timestamp()) * 1000)::bigint) from 3)
            from 1 for 6),
          52, 1), 53, 1),
        'hex')::uuid
    $$`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop function if exists carebridge_uuidv7()`.execute(db)
}
