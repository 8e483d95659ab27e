import type { PoolClient } from 'pg'

// Every balance change is an append-only ledger entry written in the same statement as the
// balance update. The unique index ledger_entries_one_per_kind makes a second credit or
// reversal of one conversion a no-op, whatever races.

/** Credits a conversion's points once. Returns false if it was credited before. */
export async function creditConversion(
  client: PoolClient,
  conversionId: string,
  userId: string,
  points: bigint,
): Promise<boolean> {
  const { rowCount } = await client.query({
    name: 'credit-conversion',
    text: `WITH entry AS (
       INSERT INTO ledger_entries (user_id, conversion_id, kind, points)
       VALUES ($1, $2, 'credit', $3::bigint)
       ON CONFLICT DO NOTHING
       RETURNING user_id, points
     )
     INSERT INTO balances AS b (user_id, points)
     SELECT user_id, points FROM entry
     ON CONFLICT (user_id) DO UPDATE SET points = b.points + EXCLUDED.points, updated_at = now()`,
    values: [userId, conversionId, points.toString()],
  })
  return rowCount === 1
}

/**
 * Takes back exactly what a conversion was credited, once. Returns the points removed
 * (0n when it was never credited or was already reversed).
 */
export async function reverseConversion(client: PoolClient, conversionId: string): Promise<bigint> {
  const { rows } = await client.query<{ points: string }>(
    `WITH entry AS (
       INSERT INTO ledger_entries (user_id, conversion_id, kind, points)
       SELECT user_id, conversion_id, 'reversal', -points
       FROM ledger_entries
       WHERE conversion_id = $1 AND kind = 'credit'
       ON CONFLICT DO NOTHING
       RETURNING user_id, points
     ), balance AS (
       INSERT INTO balances AS b (user_id, points)
       SELECT user_id, points FROM entry
       ON CONFLICT (user_id) DO UPDATE SET points = b.points + EXCLUDED.points, updated_at = now()
     )
     SELECT points::text FROM entry`,
    [conversionId],
  )
  return rows[0] ? -BigInt(rows[0].points) : 0n
}
