import { join } from 'node:path'
import { npmStartCommand } from './startCommand.js'

/** The directory test/globalSetup.ts compiled this run's hub into; the test workers inherit it. */
export const BUILD_ENV = 'CAREBRIDGE_TEST_BUILD'

/** `node <these>` starts a hub from this run's compiled tree with `npm start`'s node flags, the orphan guard (test/orphanGuard.ts) loaded first. */
export function hubCommand(): string[] {
  const dir = process.env[BUILD_ENV]
  if (!dir) throw new Error(`${BUILD_ENV} is not set: hubs are started from the tree test/globalSetup.ts compiles (run the tests through vitest)`)
  return [...npmStartCommand().nodeFlags, '--import', join(dir, 'test', 'orphanGuard.js'), join(dir, 'src', 'main.js')]
}
