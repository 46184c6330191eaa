import type { Config } from './config.js'
import type { Db } from './db/database.js'
import type { DatabaseAvailability } from './db/availability.js'
import type { Engine } from './engine/engine.js'
import type { SecretBox } from './security/secrets.js'

/** What the API routes are given: the running hub's parts. */
export interface Hub {
  config: Config
  db: Db
  engine: Engine
  box: SecretBox
  /** Whether the database answers; while it does not, `/api` answers 503 at once. */
  availability: DatabaseAvailability
  /** True once migrations ran and (in this process's role) workers are running. */
  ready(): boolean
}
