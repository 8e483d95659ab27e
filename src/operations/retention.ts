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
  /** Count what would be deleted and anonymized; change nothing (the watermarks included). */
  dryRun?: boolean
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
  const dryRun = settings.dryRun ?? false
  const result: RetentionResult = {
    deletedLogRows: 0,
    anonymizedLogRows: 0,
    anonymizedConversions: 0,
  }
  const progress = settings.onProgress ?? (() => {})
  const daysAgo = (days: number) => new Date(now.getTime() - days * DAY_MS)
  const deleteBefore =
    settings.postbackLogDays === undefined ? null : daysAgo(settings.postbackLogDays)
  if (deleteBefore) {
    await walkOldRows(pool, LOG, deleteBefore, batch, '0', async (after, through) => {
      const rows = 'FROM postback_log WHERE id > $1 AND id <= $2 AND received_at < $3'
      const values = [after, through, deleteBefore]
      result.deletedLogRows += dryRun
        ? await countRows(pool, rows, values)
        : await change(pool, `DELETE ${rows}`, values)
      progress(`postback log: ${result.deletedLogRows} rows ${dryRun ? 'to delete' : 'deleted'}`)
    })
  }
  if (settings.anonymizeIpDays !== undefined) {
    const cutoff = daysAgo(settings.anonymizeIpDays)
    // A dry run has deleted nothing: it leaves out the rows the deletion above would take.
    const kept = dryRun && deleteBefore ? deleteBefore : new Date(0)
    result.anonymizedLogRows = await anonymize(
      pool,
      LOG,
      cutoff,
      batch,
      dryRun,
      progress,
      (after, through) =>
        dryRun
          ? countRows(
              pool,
              'FROM postback_log WHERE id > $1 AND id <= $2 AND received_at < $3 AND received_at >= $4',
              [after, through, cutoff, kept],
            )
          : change(
              pool,
              `UPDATE postback_log SET source_ip = anonymize_ip(source_ip),
               headers = headers - 'x-forwarded-for',
               query = regexp_replace(query, $4, '\\1.0', 'g'),
               body = regexp_replace(body, $4, '\\1.0', 'g')
             WHERE id > $1 AND id <= $2 AND received_at < $3`,
              [after, through, cutoff, IPV4_IN_TEXT],
            ),
    )
    const conversions = 'WHERE id > $1 AND id <= $2 AND created_at < $3 AND ip IS NOT NULL'
    result.anonymizedConversions = await anonymize(
      pool,
      CONVERSIONS,
      cutoff,
      batch,
      dryRun,
      progress,
      (after, through) =>
        dryRun
          ? countRows(pool, `FROM conversions ${conversions}`, [after, through, cutoff])
          : change(pool, `UPDATE conversions SET ip = anonymize_ip(ip) ${conversions}`, [
              after,
              through,
              cutoff,
            ]),
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
  dryRun: boolean,
  progress: (text: string) => void,
  apply: (after: string, through: string) => Promise<number>,
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
      changed += await apply(after, through)
      progress(
        `${table.name}: IP addresses ${dryRun ? 'to anonymize' : 'anonymized'} in ${changed} rows`,
      )
      if (dryRun) return
      await pool.query(
        `INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE
         SET value = GREATEST(settings.value::bigint, EXCLUDED.value::bigint)::text, updated_at = now()`,
        [key, through],
      )
    },
  )
  return changed
}

async function countRows(pool: Pool, from: string, values: unknown[]): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n ${from}`, values)
  return rows[0]?.n ?? 0
}

async function change(pool: Pool, sql: string, values: unknown[]): Promise<number> {
  return (await pool.query(sql, values)).rowCount ?? 0
}
