// After a run: the database must show exactly-once crediting whatever the races were.
import type { Query } from './footprint.js'

export type Verification = { ok: boolean; summary: string; failures: string[] }

/** After the realistic mix (bench/mix.ts): credits, reversals and balances agree. */
export async function verifyDatabase(query: Query, approvals200: number): Promise<Verification> {
  const rows = await query<{
    conversions: number
    reversed: number
    credits: number
    reversals: number
    double_credits: number
    bad_reversals: number
    bad_balances: number
    balances: string
    ledger: string
  }>(`SELECT
    (SELECT count(*) FROM conversions)::int AS conversions,
    (SELECT count(*) FROM conversions WHERE status = 'reversed')::int AS reversed,
    (SELECT count(*) FROM ledger_entries WHERE kind = 'credit')::int AS credits,
    (SELECT count(*) FROM ledger_entries WHERE kind = 'reversal')::int AS reversals,
    (SELECT count(*) FROM (
       SELECT conversion_id FROM ledger_entries WHERE kind = 'credit'
       GROUP BY conversion_id HAVING count(*) > 1) d)::int AS double_credits,
    (SELECT count(*) FROM conversions c
       LEFT JOIN ledger_entries cr ON cr.conversion_id = c.id AND cr.kind = 'credit'
       LEFT JOIN ledger_entries rv ON rv.conversion_id = c.id AND rv.kind = 'reversal'
       WHERE (c.status = 'reversed' AND (cr.id IS NULL OR rv.id IS NULL OR cr.points <> -rv.points))
          OR (c.status <> 'reversed' AND rv.id IS NOT NULL))::int AS bad_reversals,
    (SELECT count(*) FROM balances b
       FULL JOIN (SELECT user_id, sum(points) AS points FROM ledger_entries GROUP BY user_id) l
         USING (user_id)
       WHERE b.points IS DISTINCT FROM l.points)::int AS bad_balances,
    (SELECT COALESCE(sum(points), 0) FROM balances)::bigint::text AS balances,
    (SELECT COALESCE(sum(points), 0) FROM ledger_entries)::bigint::text AS ledger`)
  const r = rows[0]
  if (!r) throw new Error('the verification query returned no row')
  const failures: string[] = []
  if (r.double_credits > 0) failures.push(`${r.double_credits} conversions credited twice`)
  if (r.bad_reversals > 0)
    failures.push(`${r.bad_reversals} conversions whose reversal does not equal their credit`)
  if (r.bad_balances > 0)
    failures.push(`${r.bad_balances} users whose balance differs from their ledger sum`)
  if (approvals200 > r.conversions)
    failures.push(`${approvals200} approvals answered 200 but only ${r.conversions} conversions`)
  const summary = `${approvals200} approvals answered 200, ${r.conversions} conversions, ${r.credits} credits, ${r.reversals} reversals, ${r.reversed} reversed conversions, balances ${r.balances}, ledger ${r.ledger}`
  return { ok: failures.length === 0, summary, failures }
}

/**
 * After unique approvals (bench/approvals.ts): every tx id answered 2xx has a conversion credited
 * exactly once, no conversion is credited twice or left uncredited, and every balance equals
 * its user's ledger sum.
 */
export async function verifyApprovals(query: Query, accepted: string[]): Promise<Verification> {
  const rows = await query<{
    answered: number
    uncredited: number
    conversions: number
    credits: number
    other_entries: number
    double_credits: number
    bad_balances: number
    balances: string
    ledger: string
  }>(
    // The ids travel as one comma-separated text: the same on pg and PGlite, whatever the count.
    `WITH answered AS (SELECT DISTINCT unnest(string_to_array($1::text, ',')) AS tx_id)
    SELECT
      (SELECT count(*) FROM answered)::int AS answered,
      (SELECT count(*) FROM answered a WHERE NOT EXISTS (
         SELECT 1 FROM conversions c
         JOIN ledger_entries l ON l.conversion_id = c.id AND l.kind = 'credit'
         WHERE c.tx_id = a.tx_id))::int AS uncredited,
      (SELECT count(*) FROM conversions)::int AS conversions,
      (SELECT count(*) FROM ledger_entries WHERE kind = 'credit')::int AS credits,
      (SELECT count(*) FROM ledger_entries WHERE kind <> 'credit')::int AS other_entries,
      (SELECT count(*) FROM (
         SELECT conversion_id FROM ledger_entries WHERE kind = 'credit'
         GROUP BY conversion_id HAVING count(*) > 1) d)::int AS double_credits,
      (SELECT count(*) FROM balances b
         FULL JOIN (SELECT user_id, sum(points) AS points FROM ledger_entries GROUP BY user_id) l
           USING (user_id)
         WHERE b.points IS DISTINCT FROM l.points)::int AS bad_balances,
      (SELECT COALESCE(sum(points), 0) FROM balances)::bigint::text AS balances,
      (SELECT COALESCE(sum(points), 0) FROM ledger_entries)::bigint::text AS ledger`,
    [accepted.join(',')],
  )
  const r = rows[0]
  if (!r) throw new Error('the verification query returned no row')
  const failures: string[] = []
  if (r.answered !== accepted.length)
    failures.push(`${accepted.length - r.answered} tx ids answered 2xx more than once`)
  if (r.uncredited > 0) failures.push(`${r.uncredited} postbacks answered 2xx but not credited`)
  if (r.double_credits > 0) failures.push(`${r.double_credits} conversions credited twice`)
  if (r.credits !== r.conversions)
    failures.push(`${r.conversions} conversions but ${r.credits} credits`)
  if (r.other_entries > 0) failures.push(`${r.other_entries} ledger entries that are not credits`)
  if (r.bad_balances > 0)
    failures.push(`${r.bad_balances} users whose balance differs from their ledger sum`)
  const summary = `${accepted.length} answered 2xx (warm-up included), ${r.uncredited} of them uncredited; ${r.conversions} conversions, ${r.credits} credits, ${r.double_credits} credited twice; balances ${r.balances}, ledger ${r.ledger}`
  return { ok: failures.length === 0, summary, failures }
}
