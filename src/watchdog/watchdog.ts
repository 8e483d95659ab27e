import type { Pool } from 'pg'
import type { Logger } from 'pino'

// For operators without Prometheus: every interval, compare each network's accepted postbacks
// in the last hour with the 23 hours before, warn when an active network goes silent or
// spikes, and POST the alert to a webhook. Time comes from `clock` so tests can move it.

export type VolumeAlert = {
  network: string
  kind: 'silent' | 'spike'
  lastHour: number
  previous23Hours: number
  message: string
}

export type WatchdogSettings = { spikeFactor: number; minSpike: number }
const DEFAULTS: WatchdogSettings = { spikeFactor: 5, minSpike: 20 }

/** The alerts that hold at `now`, from accepted postbacks in postback_log. */
export async function checkVolumes(
  pool: Pool,
  now: Date,
  settings = DEFAULTS,
): Promise<VolumeAlert[]> {
  const { rows } = await pool.query<{ network: string; last_hour: number; before: number }>(
    `SELECT network,
            count(*) FILTER (WHERE received_at >= $1::timestamptz - interval '1 hour')::int AS last_hour,
            count(*) FILTER (WHERE received_at < $1::timestamptz - interval '1 hour')::int AS before
     FROM postback_log
     WHERE status_code = 200 AND network IS NOT NULL
       AND received_at >= $1::timestamptz - interval '24 hours' AND received_at < $1::timestamptz
     GROUP BY network ORDER BY network`,
    [now.toISOString()],
  )
  const alerts: VolumeAlert[] = []
  for (const row of rows) {
    const base = { network: row.network, lastHour: row.last_hour, previous23Hours: row.before }
    if (row.last_hour === 0 && row.before > 0) {
      alerts.push({
        ...base,
        kind: 'silent',
        message: `network ${row.network} sent no accepted postback in the last hour (${row.before} in the 23 hours before): check its dashboard and /admin/postbacks`,
      })
    } else if (
      row.last_hour >= settings.minSpike &&
      row.last_hour > (settings.spikeFactor * row.before) / 23
    ) {
      alerts.push({
        ...base,
        kind: 'spike',
        message: `network ${row.network} sent ${row.last_hour} postbacks in the last hour, over ${settings.spikeFactor}x its hourly average (${(row.before / 23).toFixed(1)})`,
      })
    }
  }
  return alerts
}

export type Watchdog = { check(): Promise<VolumeAlert[]>; stop(): void }

/** Runs checkVolumes every `intervalMs`; logs and posts each alert once, when it starts. */
export function startWatchdog(options: {
  pool: Pool
  log: Logger
  intervalMs: number
  webhookUrl?: string
  clock?: () => Date
  settings?: WatchdogSettings
}): Watchdog {
  const clock = options.clock ?? (() => new Date())
  let active = new Set<string>()
  async function check(): Promise<VolumeAlert[]> {
    const alerts = await checkVolumes(options.pool, clock(), options.settings)
    const now = new Set(alerts.map((a) => `${a.network}:${a.kind}`))
    const fresh = alerts.filter((a) => !active.has(`${a.network}:${a.kind}`))
    active = now
    for (const alert of fresh) {
      options.log.warn(
        { alert: { network: alert.network, kind: alert.kind } },
        `watchdog: ${alert.message}`,
      )
      if (options.webhookUrl) await postAlert(options.webhookUrl, alert, options.log)
    }
    return fresh
  }
  const timer = setInterval(() => {
    check().catch((error) =>
      options.log.warn({ err: { message: (error as Error).message } }, 'watchdog check failed'),
    )
  }, options.intervalMs)
  timer.unref()
  return { check, stop: () => clearInterval(timer) }
}

async function postAlert(url: string, alert: VolumeAlert, log: Logger) {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ source: 'postback-receiver', ...alert }),
      signal: AbortSignal.timeout(5000),
    })
    if (!response.ok) log.warn({ status: response.status }, 'watchdog webhook answered an error')
  } catch (error) {
    log.warn({ err: { message: (error as Error).message } }, 'watchdog webhook failed')
  }
}
