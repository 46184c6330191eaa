import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import pg from 'pg'
import { embeddedServerForTest } from '../../test/embeddedServer.js'
import { EMBEDDED_POSTGRES_SETTINGS, takeDataDirLock } from './embedded.js'

describe('data directory lock', () => {
  it('refuses a second owner while the first is alive, and names the directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-lock-'))
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
    writeFileSync(join(dir, 'carebridge.lock'), String(process.ppid))
    expect(() => takeDataDirLock(dir)).toThrow(/is in use by process/)
  })

  it('takes over a lock left by a dead process and releases it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-lock-'))
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
    writeFileSync(join(dir, 'carebridge.lock'), '999999999')
    const release = takeDataDirLock(dir)
    expect(readFileSync(join(dir, 'carebridge.lock'), 'utf8')).toBe(String(process.pid))
    release()
    const again = takeDataDirLock(dir)
    again()
  })
})

describe('embedded server settings', () => {
  it('runs with its small buffers from the command line and leaves postgresql.conf as it found it', async () => {
    const { dir, server } = await embeddedServerForTest('cb-settings-')
    const conf = readFileSync(join(dir, 'pglite', 'postgresql.conf'), 'utf8')
    const client = new pg.Client({ connectionString: server.connectionString })
    await client.connect()
    try {
      for (const [name, value] of Object.entries(EMBEDDED_POSTGRES_SETTINGS)) {
        const { rows } = await client.query<{ value: string }>(`select current_setting($1) as value`, [name])
        expect(rows[0]!.value, name).toBe(value)
      }
    } finally {
      await client.end()
    }
    expect(conf).not.toMatch(/^shared_buffers = 16MB/m)
    expect(readFileSync(join(dir, 'pglite', 'postgresql.conf'), 'utf8')).toBe(conf)
    // It waits for the run's template database (test/globalSetup.ts) and starts PGlite: minutes on a loaded machine.
  }, 240_000)
})
