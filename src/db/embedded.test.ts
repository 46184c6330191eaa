import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { takeDataDirLock } from './embedded.js'

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
