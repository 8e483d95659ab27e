import type { Pool } from 'pg'
import type { Logger } from 'pino'
import type { NetworkRegistry } from './registry.js'
import { storedNetworksVersion } from './stored.js'

// Every instance on one database polls the network_profiles version and reloads its networks
// when it changes, so an edit made through any instance applies on all of them within one
// interval, without a restart. (The instance that made the edit reloads at once.)

export type NetworkWatch = {
  /** No further polls; resolves once a poll under way has finished. */
  stop(): Promise<void>
}

export function watchStoredNetworks(options: {
  registry: NetworkRegistry
  pool: Pool
  intervalMs: number
  log: Logger
}): NetworkWatch {
  const { registry, pool, intervalMs, log } = options
  let seen: string | undefined
  let failing = false
  let running: Promise<void> | undefined
  let timer: NodeJS.Timeout | undefined

  async function pollOnce() {
    try {
      const version = await storedNetworksVersion(pool)
      // The first poll loads too: an edit may have landed since the registry was built, or the
      // database could not be read then.
      if (version !== seen) {
        await registry.refresh()
        if (seen !== undefined)
          log.info({ networks: registry.names() }, 'networks reloaded: the database changed')
        seen = version // only once loaded: a failed reload is tried again on the next poll
      }
      if (failing) log.info('network profiles: the database answers again')
      failing = false
    } catch (error) {
      // Logged once per outage, not every interval.
      if (!failing)
        log.error(
          { err: { message: (error as Error).message } },
          'network profiles not reloaded, keeping the running ones',
        )
      failing = true
    }
  }

  const tick = () => {
    running = pollOnce().finally(() => {
      running = undefined
      if (timer) timer = setTimeout(tick, intervalMs).unref()
    })
  }
  timer = setTimeout(tick, 0).unref()
  return {
    async stop() {
      if (timer) clearTimeout(timer)
      timer = undefined
      await running
    },
  }
}
