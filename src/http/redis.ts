import { Redis } from 'ioredis'

/**
 * The Redis connection that shares rate limits between instances. It fails fast instead of
 * queueing, so with Redis down the limiter lets postbacks through (skipOnError) rather than
 * making networks wait.
 */
export function connectRedis(url: string): Redis {
  return new Redis(url, {
    connectTimeout: 1000,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    lazyConnect: false,
  })
}
