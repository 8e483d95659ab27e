import type { PoolClient } from 'pg'
import type { DeliveryRules } from './rules.js'

/**
 * Queues the deliveries this event triggers, inside the caller's transaction: they commit with
 * the conversion change or not at all. The conversion is snapshotted as it is now, so a later
 * change (a reversal right after a credit) cannot alter what the credit's delivery says.
 * Costs nothing when no rule matches.
 */
export async function enqueueDeliveries(
  client: PoolClient,
  rules: DeliveryRules | undefined,
  conversion: { id: string; network: string },
  event: string,
): Promise<number> {
  const matched = rules?.matching(conversion.network, event) ?? []
  if (matched.length === 0) return 0
  await client.query(
    `INSERT INTO deliveries (conversion_id, rule, event, max_attempts, data)
     SELECT c.id, r.rule, $2, r.max_attempts, jsonb_build_object(
       'conversion_id', c.id::text, 'network', c.network, 'tx_id', c.tx_id,
       'offer_id', c.offer_id, 'user_id', c.user_id, 'click_id', c.click_id,
       'payout', c.payout::text, 'currency', c.currency, 'points', c.points::text,
       'status', c.status, 'network_status', c.network_status,
       'sub1', c.sub1, 'sub2', c.sub2, 'sub3', c.sub3, 'sub4', c.sub4, 'sub5', c.sub5,
       'created_at', to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
     FROM conversions c, unnest($3::text[], $4::int[]) AS r(rule, max_attempts)
     WHERE c.id = $1`,
    [
      conversion.id,
      event,
      matched.map((rule) => rule.name),
      matched.map((rule) => rule.maxAttempts),
    ],
  )
  return matched.length
}
