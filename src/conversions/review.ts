import type { Pool } from 'pg'
import type { Actor } from '../audit/actor.js'
import { recordAudit } from '../audit/record.js'
import { withTransaction } from '../db/transaction.js'
import { deliveryRowsFor, enqueueDeliveryRows } from '../delivery/outbox.js'
import type { DeliveryRules } from '../delivery/rules.js'
import { HttpError } from '../http/errors.js'
import { creditConversion } from '../ledger/ledger.js'
import { type Conversion, lockConversion } from './rows.js'

// An operator's verdict on a conversion held for review (the admin API and the dashboard):
// approve credits it as the postback would have, reject closes it; either queues the deliveries
// its outcome matches, and its audit row, in the same transaction. Wake the delivery worker after it returns.

export type ReviewVerdict = 'approve' | 'reject'

export type ReviewResult = {
  outcome: 'credited' | 'recorded' | 'rejected'
  /** Points credited now (0 when rejected, or when the user was credited before). */
  points: number
  /** The conversion as it is after the verdict. */
  conversion: Conversion
}

/** Approves (credits) or rejects a conversion held for review; anything else is a 409. */
export async function reviewConversion(
  pool: Pool,
  id: string,
  verdict: ReviewVerdict,
  deliveries: DeliveryRules | undefined,
  actor: Actor,
): Promise<ReviewResult> {
  return withTransaction(pool, async (client) => {
    const conversion = await lockConversion(client, id)
    if (!conversion) throw new HttpError('CONVERSION_NOT_FOUND', `no conversion with id ${id}`)
    if (conversion.status !== 'held') {
      throw new HttpError(
        'NOT_HELD',
        `conversion ${id} is ${conversion.status}, not held for review`,
      )
    }
    const status = verdict === 'approve' ? 'approved' : 'rejected'
    await client.query('UPDATE conversions SET status = $2, updated_at = now() WHERE id = $1', [
      id,
      status,
    ])
    let points = 0
    if (verdict === 'approve' && conversion.userId !== null) {
      if (await creditConversion(client, id, conversion.userId, BigInt(conversion.points)))
        points = Number(conversion.points)
    }
    const outcome =
      verdict === 'reject' ? 'rejected' : points > 0 || conversion.userId ? 'credited' : 'recorded'
    await recordAudit(client, {
      actor,
      action: `conversion.${verdict}`,
      subject: { type: 'conversion', id },
      conversionId: id,
      userId: conversion.userId,
      before: { status: conversion.status, holdReason: conversion.holdReason },
      after: { status, outcome, pointsCredited: points },
    })
    await enqueueDeliveryRows(
      client,
      deliveryRowsFor(deliveries, { id, network: conversion.network, status }, outcome),
    )
    return { outcome, points, conversion: { ...conversion, status, updatedAt: new Date() } }
  })
}
