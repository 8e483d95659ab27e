import type { Pool } from 'pg'

// The ledger's invariants, checked in SQL over the whole database. Each check counts every
// violation and returns a few examples, so memory stays small whatever the size.

export type LedgerCheck = {
  name: string
  /** What holds when there is no violation. */
  holds: string
  violations: number
  examples: string[]
}

type Check = { name: string; holds: string; sql: string }

const CHECKS: Check[] = [
  {
    name: 'balances',
    holds: 'every balance equals the sum of its ledger entries',
    sql: `SELECT format('user %s: balance %s, ledger sum %s', COALESCE(b.user_id, l.user_id),
                        COALESCE(b.points, 0), COALESCE(l.total, 0)) AS example
          FROM balances b
          FULL JOIN (SELECT user_id, sum(points) AS total FROM ledger_entries GROUP BY user_id) l
            ON l.user_id = b.user_id
          WHERE COALESCE(b.points, 0) <> COALESCE(l.total, 0)`,
  },
  {
    name: 'credited once',
    holds: 'no conversion was credited or reversed more than once',
    sql: `SELECT format('conversion %s: %s %s times (entries %s)', conversion_id, kind, count(*),
                        string_agg(id::text, ', ' ORDER BY id)) AS example
          FROM ledger_entries
          WHERE kind IN ('credit', 'reversal')
          GROUP BY conversion_id, kind HAVING count(*) > 1`,
  },
  {
    name: 'reversals',
    holds: 'every reversal takes back exactly its credit, from the same user',
    sql: `SELECT format('conversion %s: reversal %s of %s points for user %s, credit %s', r.conversion_id,
                        r.id, r.points, r.user_id,
                        COALESCE(c.points || ' points for user ' || c.user_id, 'missing')) AS example
          FROM ledger_entries r
          LEFT JOIN ledger_entries c ON c.conversion_id = r.conversion_id AND c.kind = 'credit'
          WHERE r.kind = 'reversal'
            AND (c.id IS NULL OR c.points <> -r.points OR c.user_id <> r.user_id)`,
  },
  {
    name: 'entries',
    holds: 'credits and reversals name a conversion; adjustments name none and have a reason',
    sql: `SELECT format('entry %s: %s %s', id, kind,
                        CASE WHEN kind = 'adjustment' THEN 'with a conversion or without a reason'
                             ELSE 'without a conversion' END) AS example
          FROM ledger_entries
          WHERE (kind IN ('credit', 'reversal') AND conversion_id IS NULL)
             OR (kind = 'adjustment' AND (conversion_id IS NOT NULL OR reason IS NULL))`,
  },
  {
    name: 'statuses',
    holds: 'no held, rejected or reversed conversion keeps a credit that was not reversed',
    sql: `SELECT format('conversion %s is %s but its credit of %s points stands', c.id, c.status,
                        l.points) AS example
          FROM conversions c
          JOIN ledger_entries l ON l.conversion_id = c.id AND l.kind = 'credit'
          WHERE c.status IN ('held', 'rejected', 'reversed')
            AND NOT EXISTS (SELECT 1 FROM ledger_entries r
                            WHERE r.conversion_id = c.id AND r.kind = 'reversal')`,
  },
  {
    name: 'credit state',
    holds: "every conversion's own record of its credit and reversal matches its ledger entries",
    sql: `SELECT format('conversion %s: row says credit %s to %s, reversed %s; ledger has credit %s to %s, %s',
                        c.id, COALESCE(c.credit_points::text, 'none'), COALESCE(c.credit_user, 'nobody'),
                        c.reversed, COALESCE(cr.points::text, 'none'), COALESCE(cr.user_id, 'nobody'),
                        CASE WHEN rv.id IS NULL THEN 'no reversal' ELSE 'a reversal' END) AS example
          FROM conversions c
          LEFT JOIN ledger_entries cr ON cr.conversion_id = c.id AND cr.kind = 'credit'
          LEFT JOIN ledger_entries rv ON rv.conversion_id = c.id AND rv.kind = 'reversal'
          WHERE c.credit_points IS DISTINCT FROM cr.points
             OR c.credit_user IS DISTINCT FROM cr.user_id
             OR c.reversed <> (rv.id IS NOT NULL)`,
  },
]

export async function verifyLedger(
  pool: Pool,
  options: {
    examples?: number
    onCheck?: (name: string) => void
    /** Instead of the pool's per-query timeout: the checks scan whole tables. */
    queryTimeoutMs?: number
  } = {},
): Promise<LedgerCheck[]> {
  const results: LedgerCheck[] = []
  for (const check of CHECKS) {
    options.onCheck?.(check.holds)
    const { rows } = await pool.query<{ example: string; total: string }>({
      text: `SELECT example, count(*) OVER ()::text AS total FROM (${check.sql}) violations LIMIT $1`,
      values: [options.examples ?? 10],
      ...(options.queryTimeoutMs ? { query_timeout: options.queryTimeoutMs } : {}),
    })
    results.push({
      name: check.name,
      holds: check.holds,
      violations: Number(rows[0]?.total ?? 0),
      examples: rows.map((row) => row.example),
    })
  }
  return results
}
