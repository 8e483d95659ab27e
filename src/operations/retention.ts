import type { Pool } from 'pg'

// Retention in small batches, each its own short statement, so no lock is held for long and
// postbacks keep flowing. Rows are walked in id order (the primary key) from the oldest, and
// a walk stops at the first row that is too young: ids grow with time, so that bounds the
// scan to the old rows. A row a few seconds out of order waits for the next run.

export type RetentionSettings = {
  /** Delete postback_log rows older than this many days. */
  postbackLogDays?: number
  /** Anonymize stored IP addresses older than this many days (postback_log and conversions). */
  anonymizeIpDays?: number
  batchSize?: number
  now?: Date
  onProgress?: (text: string) => void
}

export type RetentionResult = {
  deletedLogRows: number
  anonymizedLogRows: number
  anonymizedConversions: number
}

const DAY_MS = 86_400_000
// IPv4 addresses inside stored query strings and bodies (a network's ip= parameter).
const IPV4_IN_TEXT = String.raw`\m(\d{1,3}\.\d{1,3}\.\d{1,3})\.\d{1,3}\M`

type Table = { name: 'postback_log' | 'conversions'; time: 'received_at' | 'created_at' }
const LOG: Table = { name: 'postback_log', time: 'received_at' }
const CONVERSIONS: Table = { name: 'conversions', time: 'created_at' }

export async function applyRetention(
  pool: Pool,
  settings: RetentionSettings,
): Promise<RetentionResult> {
  const now = settings.now ?? new Date()
  const batch = settings.batchSize ?? 1000
  const result: RetentionResult = {
    deletedLogRows: 0,
    anonymizedLogRows: 0,
    anonymizedConversions: 0,
  }
  const progress = settings.onProgress ?? (() => {})
  if (settings.postbackLogDays !== undefined) {
    const cutoff = new Date(now.getTime() - settings.postbackLogDays * DAY_MS)
    await walkOldRows(pool, LOG, cutoff, batch, '0', async (after, through) => {
      const { rowCount } = await pool.query(
        'DELETE FROM postback_log WHERE id > $1 AND id <= $2 AND received_at < $3',
        [after, through, cutoff],
      )
      result.deletedLogRows += rowCount ?? 0
      progress(`postback log: ${result.deletedLogRows} rows deleted`)
    })
  }
  if (settings.anonymizeIpDays !== undefined) {
    const cutoff = new Date(now.getTime() - settings.anonymizeIpDays * DAY_MS)
    result.anonymizedLogRows = await anonymize(
      pool,
      LOG,
      cutoff,
      batch,
      (after, through) =>
        pool.query(
          `UPDATE postback_log SET source_ip = anonymize_ip(source_ip),
           headers = headers - 'x-forwarded-for',
           query = regexp_replace(query, $4, '\\1.0', 'g'),
           body = regexp_replace(body, $4, '\\1.0', 'g')
         WHERE id > $1 AND id <= $2 AND received_at < $3`,
          [after, through, cutoff, IPV4_IN_TEXT],
        ),
      progress,
    )
    result.anonymizedConversions = await anonymize(
      pool,
      CONVERSIONS,
      cutoff,
      batch,
      (after, through) =>
        pool.query(
          `UPDATE conversions SET ip = anonymize_ip(ip)
         WHERE id > $1 AND id <= $2 AND created_at < $3 AND ip IS NOT NULL`,
          [after, through, cutoff],
        ),
      progress,
    )
  }
  return result
}

/**
 * Calls `apply(after, through)` for consecutive id ranges of rows older than `cutoff`, starting
 * after id `from`, until the first younger row. Returns the last id handled.
 */
async function walkOldRows(
  pool: Pool,
  table: Table,
  cutoff: Date,
  batchSize: number,
  from: string,
  apply: (after: string, through: string) => Promise<void>,
): Promise<string> {
  let after = from
  for (;;) {
    const { rows } = await pool.query<{ through: string | null; young: boolean; full: boolean }>(
      `WITH batch AS (
         SELECT id, ${table.time} < $2 AS old FROM ${table.name}
         WHERE id > $1 ORDER BY id LIMIT $3
       ), first_young AS (SELECT min(id) AS id FROM batch WHERE NOT old)
       SELECT (SELECT max(batch.id) FROM batch, first_young f WHERE f.id IS NULL OR batch.id < f.id)::text AS through,
              (SELECT id IS NOT NULL FROM first_young) AS young,
              (SELECT count(*) FROM batch) = $3 AS full`,
      [after, cutoff, batchSize],
    )
    const row = rows[0]
    if (row?.through) {
      await apply(after, row.through)
      after = row.through
    }
    if (!row || row.young || !row.full) return after
  }
}

/** Anonymizes from where the last run stopped (a watermark in settings) up to `cutoff`. */
async function anonymize(
  pool: Pool,
  table: Table,
  cutoff: Date,
  batchSize: number,
  update: (after: string, through: string) => Promise<{ rowCount: number | null }>,
  progress: (text: string) => void,
): Promise<number> {
  const key = `retention.ip_anonymized_through.${table.name}`
  const { rows } = await pool.query<{ value: string }>(
    'SELECT value FROM settings WHERE key = $1',
    [key],
  )
  let changed = 0
  await walkOldRows(
    pool,
    table,
    cutoff,
    batchSize,
    rows[0]?.value ?? '0',
    async (after, through) => {
      changed += (await update(after, through)).rowCount ?? 0
      await pool.query(
        `INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE
         SET value = GREATEST(settings.value::bigint, EXCLUDED.value::bigint)::text, updated_at = now()`,
        [key, through],
      )
      progress(`${table.name}: IP addresses anonymized in ${changed} rows`)
    },
  )
  return changed
}
