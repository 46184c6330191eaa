import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Db } from '../db/database.js'
import { findActor, hashKey, type Actor } from '../security/apiKeys.js'
import { auditInstallation } from '../security/audit.js'
import { FAILURE_LIMIT, SignInLimiter } from '../security/signInLimiter.js'
import { ActorCache } from '../security/actorCache.js'

/**
 * Every check of an API key the API makes (a Bearer header, a sign-in) goes through here: an
 * address that guessed too often is answered 429 before its key is looked at (a key that
 * authenticated before still works), and each unknown key is audited — up to the limit per
 * address and minute, the last as `auth.blocked`, so a flood cannot turn into a flood of writes.
 * The key itself is never audited or logged. A key the database confirmed is trusted for a few
 * seconds without asking it again (ActorCache): revoke keys through `forget`.
 */
export class SignInGuard {
  private readonly limiter = new SignInLimiter()
  private readonly actors: ActorCache

  constructor(private readonly db: Db, options: { trustMs?: number } = {}) {
    this.actors = new ActorCache(options.trustMs)
  }

  /** The key `keyId` was revoked (call after the revocation committed): refused from the next request on. */
  forget(keyId: string): void {
    this.actors.forget(keyId)
  }

  /**
   * The actor of `key`; or null after answering (401 for an unknown key, 429 while the address is
   * blocked). `via` names the door in the audit trail.
   */
  async check(request: FastifyRequest, reply: FastifyReply, key: string, via: 'api_key' | 'sign_in'): Promise<Actor | null> {
    const hash = hashKey(key)
    if (!this.limiter.isKnownGood(hash)) {
      const wait = this.limiter.blockedFor(request.ip)
      if (wait !== null) {
        await reply
          .code(429)
          .header('retry-after', String(wait))
          .send({ error: 'too_many_failures', message: `Too many unknown API keys from this address: try again in ${wait} s (keys that signed in before still work)` })
        return null
      }
    }
    const trusted = this.actors.get(hash)
    if (trusted) return trusted
    const generation = this.actors.begin()
    const actor = await findActor(this.db, key)
    if (actor) {
      this.limiter.succeeded(hash)
      this.actors.remember(hash, actor, generation)
      return actor
    }
    const failures = this.limiter.fail(request.ip)
    if (failures <= FAILURE_LIMIT) {
      const blocked = failures === FAILURE_LIMIT
      await auditInstallation(this.db, `unknown key from ${request.ip}`, blocked ? 'auth.blocked' : 'auth.failed', { type: 'address', id: request.ip }, { via, failuresInLastMinute: failures })
      if (blocked) request.log.warn({ address: request.ip, failures }, 'unknown API keys from this address are refused for a minute')
    }
    await reply.code(401).send({ error: 'unauthorized', message: via === 'sign_in' ? 'This API key is unknown or revoked' : 'The API key is unknown or revoked' })
    return null
  }
}
