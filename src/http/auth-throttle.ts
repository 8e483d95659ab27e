import type { Redis } from 'ioredis'
import { HttpError } from './errors.js'

// Wrong tokens (admin API, metrics, dashboard sign-in) per source address: after `max` within
// `windowMs` of the first, that address gets 429 with Retry-After on every token-checked
// request, right token or not (otherwise the answer would tell a guesser when it guessed
// right), until the window ends. Right tokens never count, and clear the address's count.
// With Redis the count is shared by every instance; without it, or while Redis is down, each
// instance counts on its own.

export type ThrottleState = { failures: number; retryAfterMs: number }

export type AuthThrottle = {
  /** Throws 429 when this address is blocked; otherwise what it has used of its window. */
  check(ip: string): Promise<ThrottleState>
  /** A wrong token from this address. */
  fail(ip: string): Promise<void>
  /** A right token: forget this address's failures (only when it had some). */
  succeed(ip: string, state: ThrottleState): Promise<void>
}

export type AuthThrottleSettings = {
  max: number
  windowMs: number
  redis?: Redis
  now?: () => number
}

const PREFIX = 'postback-receiver-auth-failures:'
// INCR and, on the first failure, start the window: one atomic step shared by instances.
const FAIL_SCRIPT = `local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`
// Bounds the memory an address-spraying attacker can make an instance use.
const MAX_TRACKED = 100_000

export function createAuthThrottle(settings: AuthThrottleSettings): AuthThrottle {
  const local = memoryCounts(settings)
  const { redis } = settings
  const blocked = (state: ThrottleState) => {
    if (state.failures < settings.max) return state
    const seconds = Math.max(1, Math.ceil(state.retryAfterMs / 1000))
    throw new HttpError(
      'TOO_MANY_AUTH_FAILURES',
      `too many wrong tokens from this address; try again in ${seconds} s`,
      { headers: { 'retry-after': String(seconds) } },
    )
  }
  return {
    async check(ip) {
      let state = local.read(ip)
      if (redis) {
        try {
          const [count, ttl] = await Promise.all([redis.get(PREFIX + ip), redis.pttl(PREFIX + ip)])
          const shared = { failures: Number(count ?? 0), retryAfterMs: Math.max(0, ttl) }
          if (shared.failures > state.failures) state = shared
        } catch {} // Redis down: this instance's own count still applies
      }
      return blocked(state)
    },
    async fail(ip) {
      local.fail(ip)
      if (!redis) return
      try {
        await redis.eval(FAIL_SCRIPT, 1, PREFIX + ip, String(settings.windowMs))
      } catch {}
    },
    async succeed(ip, state) {
      if (state.failures === 0) return
      local.clear(ip)
      if (!redis) return
      try {
        await redis.del(PREFIX + ip)
      } catch {}
    },
  }
}

function memoryCounts({ windowMs, now = Date.now }: AuthThrottleSettings) {
  const counts = new Map<string, { failures: number; endsAt: number }>()
  const current = (ip: string) => {
    const entry = counts.get(ip)
    if (entry && entry.endsAt <= now()) {
      counts.delete(ip)
      return undefined
    }
    return entry
  }
  return {
    read(ip: string): ThrottleState {
      const entry = current(ip)
      return entry
        ? { failures: entry.failures, retryAfterMs: entry.endsAt - now() }
        : { failures: 0, retryAfterMs: 0 }
    },
    fail(ip: string) {
      const entry = current(ip)
      if (entry) {
        entry.failures += 1
        return
      }
      if (counts.size >= MAX_TRACKED) {
        for (const [key, value] of counts) if (value.endsAt <= now()) counts.delete(key)
        // Still full: drop the oldest window (Map keeps insertion order).
        if (counts.size >= MAX_TRACKED) counts.delete(counts.keys().next().value as string)
      }
      counts.set(ip, { failures: 1, endsAt: now() + windowMs })
    },
    clear(ip: string) {
      counts.delete(ip)
    },
  }
}
