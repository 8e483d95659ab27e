import type { PoolClient } from 'pg'

// Every balance change is an append-only ledger entry written in the same statement as the
// balance update. The unique index ledger_entries_one_per_kind makes a second credit or
// reversal of one conversion a no-op, whatever races. The same statement records the credit
// (or reversal) on the conversion row, the state its row lock protects: callers decide from
// that row, never from a read of ledger_entries that may predate the lock.

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
       RETURNING user_id, conversion_id, points
     ), marked AS (
       UPDATE conversions c SET credit_user = entry.user_id, credit_points = entry.points
       FROM entry WHERE c.id = entry.conversion_id
     )
     INSERT INTO balances AS b (user_id, points)
     SELECT user_id, points FROM entry
     ON CONFLICT (user_id) DO UPDATE SET points = b.points + EXCLUDED.points, updated_at = now()`,
    values: [userId, conversionId, points.toString()],
  })
  return rowCount === 1
}

/**
 * Takes back exactly what the conversion row says was credited, once. Returns the points
 * removed (0n when it was never credited or was already reversed).
 */
export async function reverseConversion(client: PoolClient, conversionId: string): Promise<bigint> {
  const { rows } = await client.query<{ points: string }>({
    name: 'reverse-conversion',
    text: `WITH target AS (
       UPDATE conversions SET reversed = true
       WHERE id = $1 AND credit_points IS NOT NULL AND NOT reversed
       RETURNING id, credit_user, credit_points
     ), entry AS (
       INSERT INTO ledger_entries (user_id, conversion_id, kind, points)
       SELECT credit_user, id, 'reversal', -credit_points FROM target
       ON CONFLICT DO NOTHING
       RETURNING user_id, points
     ), balance AS (
       INSERT INTO balances AS b (user_id, points)
       SELECT user_id, points FROM entry
       ON CONFLICT (user_id) DO UPDATE SET points = b.points + EXCLUDED.points, updated_at = now()
     )
     SELECT points::text FROM entry`,
    values: [conversionId],
  })
  return rows[0] ? -BigInt(rows[0].points) : 0n
}
