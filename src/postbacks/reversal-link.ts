import type { Pool } from 'pg'
import type { Postback } from './record.js'

// Wannads rejects a conversion under a new transaction id carrying the original's click id
// (uuid). The original is found among the user's conversions of that network with that click
// (the user index keeps it short): the earliest one with the same reward, else the earliest.
// The choice does not depend on what is already reversed, so a retried rejection finds the same
// conversion and is a duplicate; two rejections of one click's conversions with equal rewards
// both land on the first (the second is then a duplicate: nothing is ever taken back twice).

/** The postback aimed at the conversion its click id names, or unchanged if there is none. */
export async function linkReversalByClick(pool: Pool, postback: Postback): Promise<Postback> {
  if (postback.status !== 'reversed' || !postback.clickId || !postback.userId) return postback
  const { rows } = await pool.query<{ tx_id: string }>(
    `SELECT tx_id FROM conversions
      WHERE user_id = $1 AND network = $2 AND click_id = $3 AND tx_id <> $4
      ORDER BY (reward IS DISTINCT FROM $5), id
      LIMIT 1`,
    [postback.userId, postback.network, postback.clickId, postback.txId, postback.reward],
  )
  const original = rows[0]?.tx_id
  return original === undefined ? postback : { ...postback, txId: original }
}
