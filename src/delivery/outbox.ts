import type { PoolClient } from 'pg'
import type { DeliveryRules } from './rules.js'

// The macro values a delivery keeps: the conversion row as of the event.
const SNAPSHOT = `jsonb_build_object(
  'conversion_id', c.id::text, 'network', c.network, 'tx_id', c.tx_id,
  'offer_id', c.offer_id, 'user_id', c.user_id, 'click_id', c.click_id,
  'payout', c.payout::text, 'currency', c.currency, 'points', c.points::text,
  'status', c.status, 'network_status', c.network_status,
  'sub1', c.sub1, 'sub2', c.sub2, 'sub3', c.sub3, 'sub4', c.sub4, 'sub5', c.sub5,
  'created_at', to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))`

export type DeliveryRow = {
  conversionId: string
  rule: string
  event: string
  maxAttempts: number
  /** The conversion's status right after this event (a later one in the batch may change it). */
  status: string
}

/**
 * The deliveries an event triggers (a postback's outcome, an operator's review). They are
 * inserted inside the caller's transaction, so they commit with the conversion change or not at
 * all, and the conversion is snapshotted as it is now: a later change (a reversal right after a
 * credit) cannot alter what the credit's delivery says.
 */
export function deliveryRowsFor(
  rules: DeliveryRules | undefined,
  conversion: { id: string; network: string; status: string },
  event: string,
): DeliveryRow[] {
  return (rules?.matching(conversion.network, event) ?? []).map((rule) => ({
    conversionId: conversion.id,
    rule: rule.name,
    event,
    maxAttempts: rule.maxAttempts,
    status: conversion.status,
  }))
}

/** Every delivery of a transaction in one statement; costs nothing when no rule matched. */
export async function enqueueDeliveryRows(client: PoolClient, rows: readonly DeliveryRow[]) {
  if (rows.length === 0) return
  await client.query(
    `INSERT INTO deliveries (conversion_id, rule, event, max_attempts, data)
     SELECT c.id, r.rule, r.event, r.max_attempts, ${SNAPSHOT} || jsonb_build_object('status', r.status)
     FROM unnest($1::bigint[], $2::text[], $3::text[], $4::int[], $5::text[]) WITH ORDINALITY
       AS r(conversion_id, rule, event, max_attempts, status, ord)
     JOIN conversions c ON c.id = r.conversion_id
     ORDER BY r.ord`,
    [
      rows.map((r) => r.conversionId),
      rows.map((r) => r.rule),
      rows.map((r) => r.event),
      rows.map((r) => r.maxAttempts),
      rows.map((r) => r.status),
    ],
  )
}
