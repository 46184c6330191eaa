import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * A directory on a filesystem of its own whose size the test sets: a tmpfs mounted for the test
 * (the machine's disk is never filled). Shrinking it to what is already used is a disk that has
 * run out of space; growing it again is space coming back — without touching the files on it.
 */
export interface SmallDisk {
  dir: string
  /** Bytes in use on it. */
  used(): number
  /** Sets its size (rounded up to whole pages by the kernel); files on it stay. */
  resize(bytes: number): void
  /** Unmounts and removes the directory. */
  remove(): void
}

/** Why this machine cannot mount a small filesystem for a test (mount needs root or CAP_SYS_ADMIN), or null when it can. */
export function smallDiskUnavailableReason(): string | null {
  if (process.platform !== 'linux') return `tmpfs mounts are Linux's; this is ${process.platform}`
  let disk: SmallDisk | undefined
  try {
    disk = mountSmallDisk(1024 * 1024)
    return null
  } catch (err) {
    return `cannot mount a tmpfs here (${(err as Error).message.split('\n')[0]})`
  } finally {
    disk?.remove()
  }
}

export function mountSmallDisk(bytes: number): SmallDisk {
  const dir = mkdtempSync(join(tmpdir(), 'carebridge-disk-'))
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0755`, 'tmpfs', dir], { stdio: 'pipe' })
  } catch (err) {
    rmSync(dir, { recursive: true, force: true })
    throw new Error(`mount -t tmpfs failed: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`, { cause: err })
  }
  let mounted = true
  return {
    dir,
    used() {
      const out = execFileSync('df', ['-B1', '--output=used', dir]).toString().trim().split('\n')
      return Number(out[out.length - 1])
    },
    resize(size) {
      execFileSync('mount', ['-o', `remount,size=${size}`, dir], { stdio: 'pipe' })
    },
    remove() {
      if (mounted) {
        // A process that still has a file open there (a hub that failed to stop) keeps it busy: detach it lazily.
        execFileSync('umount', ['-l', dir], { stdio: 'pipe' })
        mounted = false
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
