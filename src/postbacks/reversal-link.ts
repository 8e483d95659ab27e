import type { Pool } from 'pg'
import type { Postback } from './postback.js'

// Some networks reverse a conversion under a new transaction id: Wannads' rejection carries the
// original's click id (uuid), Kiwiwall's chargeback its user, offer and (negative) amount. The
// original is looked up among the user's conversions of that network (the user index keeps it
// short): the postback's own transaction if it exists, else the earliest one with the same link
// value and reward, else the earliest with the link value. The choice does not depend on what is
// already reversed, so a retried reversal finds the same conversion and is a duplicate; two
// reversals of equal conversions both land on the first (nothing is ever taken back twice).

export type ReversalLink = 'click_id' | 'offer_id'

// Column names from this fixed map only, never from input.
const COLUMNS: Record<ReversalLink, string> = { click_id: 'click_id', offer_id: 'offer_id' }

/** The postback aimed at the conversion it reverses, or unchanged if there is none. */
export async function linkReversal(
  pool: Pool,
  postback: Postback,
  link: ReversalLink,
): Promise<Postback> {
  const value = link === 'click_id' ? postback.clickId : postback.offerId
  if (postback.status !== 'reversed' || !value || !postback.userId) return postback
  const column = COLUMNS[link]
  const { rows } = await pool.query<{ tx_id: string }>(
    `SELECT tx_id FROM conversions
      WHERE user_id = $1 AND network = $2 AND (tx_id = $4 OR ${column} = $3)
      ORDER BY (tx_id = $4) DESC, (reward IS DISTINCT FROM $5), id
      LIMIT 1`,
    [postback.userId, postback.network, value, postback.txId, postback.reward],
  )
  const original = rows[0]?.tx_id
  return original === undefined ? postback : { ...postback, txId: original }
}
