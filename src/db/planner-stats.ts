import type { Pool } from 'pg'
import type { Logger } from 'pino'

// A prepared statement keeps the plan it made when its tables were small until their
// statistics change: the writer's batch read, planned against an empty conversions table,
// goes on scanning every row (measured on PGlite: 1.4 ms per read when empty, 5 ms at 20k
// conversions, 21 ms at 100k). PostgreSQL's autovacuum refreshes the statistics within its
// naptime (a minute); PGlite has no autovacuum and never does. So the writer refreshes them
// itself, each time the tables it grows have grown by a fifth, and a statistics change makes
// every connection plan its statements anew.

/** The tables every postback writes to: the ones whose plans go stale as they grow. */
export const GROWING_TABLES = ['conversions', 'ledger_entries', 'balances', 'postback_log']

export type PlannerStatsOptions = {
  /** Rows written before the first refresh. */
  minRows?: number
  /** Refresh again once this share of the conversions counted last time has been written. */
  growth?: number
  tables?: readonly string[]
}

export type PlannerStats = {
  /** Analyzes, in the background, the tables never analyzed (a fresh or an embedded database). */
  analyzeUnknown(): void
  /** Counts rows written; past the threshold, refreshes the statistics in the background. */
  noteWrites(rows: number): void
  /** Settles when no refresh is running (for shutdown and tests). */
  idle(): Promise<void>
}

export function createPlannerStats(
  pool: Pool,
  log: Logger,
  { minRows = 1000, growth = 0.2, tables = GROWING_TABLES }: PlannerStatsOptions = {},
): PlannerStats {
  let written = 0
  let threshold = minRows
  let running: Promise<void> | null = null

  async function analyze(names: readonly string[]) {
    if (names.length === 0) return
    // Names come from GROWING_TABLES or pg_class, never from a request.
    await pool.query(`ANALYZE ${names.map((name) => `"${name}"`).join(', ')}`)
    const { rows } = await pool.query<{ rows: string }>(
      `SELECT GREATEST(reltuples, 0)::bigint::text AS rows FROM pg_class
       WHERE oid = 'conversions'::regclass`,
    )
    threshold = Math.max(minRows, Math.ceil(Number(rows[0]?.rows ?? 0) * growth))
  }

  /** Runs in the background: stale statistics cost speed, never correctness, so a failure
   * (the database unreachable at start, say) is a warning and the next threshold tries again. */
  function inBackground(work: () => Promise<void>) {
    const counted = written
    running = work()
      .catch((error: unknown) => {
        log.warn(
          { err: { message: (error as Error).message } },
          'refreshing table statistics failed',
        )
      })
      .finally(() => {
        written -= counted
        running = null
      })
  }

  return {
    analyzeUnknown() {
      if (running !== null) return
      inBackground(async () => {
        const { rows } = await pool.query<{ relname: string }>(
          `SELECT c.relname FROM unnest($1::text[]) AS t(name)
           JOIN pg_class c ON c.oid = to_regclass(t.name)
           WHERE c.reltuples < 0`,
          [tables],
        )
        await analyze(rows.map((row) => row.relname))
      })
    },
    noteWrites(rows) {
      written += rows
      if (running === null && written >= threshold) inBackground(() => analyze(tables))
    },
    async idle() {
      await running
    },
  }
}
