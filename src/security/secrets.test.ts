import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { SecretBox, resolveSecretKey } from './secrets.js'

describe('SecretBox', () => {
  it('round-trips and never stores the plain text', () => {
    const box = new SecretBox(randomBytes(32))
    const sealed = box.sealJson({ clientSecret: 'shh-very-secret' })
    expect(sealed).not.toContain('shh')
    expect(box.openJson(sealed)).toEqual({ clientSecret: 'shh-very-secret' })
  })

  it('refuses to open with another key, saying why', () => {
    const sealed = new SecretBox(randomBytes(32)).seal('x')
    expect(() => new SecretBox(randomBytes(32)).open(sealed)).toThrow(/not the key it was sealed with/)
  })

  it('detects tampering', () => {
    const box = new SecretBox(randomBytes(32))
    const parts = box.seal('hello').split(':')
    parts[3] = Buffer.from('jello').toString('base64')
    expect(() => box.open(parts.join(':'))).toThrow()
  })
})

describe('resolveSecretKey', () => {
  it('generates a key into the data directory in demo mode and reuses it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cb-key-'))
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
    const first = resolveSecretKey({ demo: true, dataDir: dir })
    const second = resolveSecretKey({ demo: true, dataDir: dir })
    expect(first.key.equals(second.key)).toBe(true)
    expect(readFileSync(join(dir, 'secret.key'), 'utf8')).toMatch(/^[0-9a-f]{64}$/)
  })

  it('requires a key outside demo mode', () => {
    expect(() => resolveSecretKey({ demo: false, dataDir: '/nonexistent' })).toThrow(/CAREBRIDGE_SECRET_KEY is required/)
  })
})
