import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** Encrypts connection credentials and tokens at rest with AES-256-GCM. */
export class SecretBox {
  private readonly key: Buffer

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('CAREBRIDGE_SECRET_KEY must be 32 bytes (64 hex characters or 44 base64 characters)')
    this.key = key
  }

  seal(plain: string): string {
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.key, iv)
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
    return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join(':')
  }

  open(sealed: string): string {
    const [version, iv, tag, body] = sealed.split(':')
    if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('Not a sealed secret')
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'))
    decipher.setAuthTag(Buffer.from(tag, 'base64'))
    try {
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8')
    } catch (err) {
      throw new Error('A stored secret cannot be decrypted: CAREBRIDGE_SECRET_KEY is not the key it was sealed with', { cause: err })
    }
  }

  sealJson(value: unknown): string {
    return this.seal(JSON.stringify(value))
  }

  openJson<T>(sealed: string): T {
    return JSON.parse(this.open(sealed)) as T
  }
}

export function parseSecretKey(text: string): Buffer {
  const trimmed = text.trim()
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64')
  if (key.length !== 32) throw new Error('CAREBRIDGE_SECRET_KEY must be 32 bytes (64 hex characters or 44 base64 characters)')
  return key
}

/**
 * The key from CAREBRIDGE_SECRET_KEY; in demo mode only, one generated on first start and kept
 * in the data directory (readable by the owner alone). Outside demo mode a missing key is fatal.
 */
export function resolveSecretKey(options: { secretKey?: string; demo: boolean; dataDir: string }): { key: Buffer; source: string } {
  if (options.secretKey) return { key: parseSecretKey(options.secretKey), source: 'CAREBRIDGE_SECRET_KEY' }
  if (!options.demo) {
    throw new Error('CAREBRIDGE_SECRET_KEY is required outside demo mode (32 bytes as hex or base64, e.g. `openssl rand -hex 32`)')
  }
  const path = join(options.dataDir, 'secret.key')
  if (!existsSync(path)) {
    mkdirSync(options.dataDir, { recursive: true })
    writeFileSync(path, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' })
  }
  return { key: parseSecretKey(readFileSync(path, 'utf8')), source: path }
}
