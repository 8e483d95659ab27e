import type { Pool } from 'pg'
import { type Conversion, lockConversion, searchConversions } from '../conversions/rows.js'
import { withTransaction } from '../db/transaction.js'
import { enqueueDeliveries } from '../delivery/outbox.js'
import type { DeliveryRules } from '../delivery/rules.js'
import { HttpError } from '../http/errors.js'
import { normalizeDecimal } from '../ledger/decimal.js'
import { creditConversion } from '../ledger/ledger.js'
import { balanceOf, ledgerOfUser } from '../ledger/rows.js'
import type { StoredPostbackLogRow } from '../postbacks/log.js'

export type Page = { limit: number; before?: string }

/** A conversion as the admin API answers it (see conversion in src/openapi/answers.ts). */
function conversionAnswer(c: Conversion) {
  return {
    id: c.id,
    network: c.network,
    txId: c.txId,
    offerId: c.offerId,
    userId: c.userId,
    clickId: c.clickId,
    payout: c.payout,
    currency: c.currency,
    points: Number(c.points),
    status: c.status,
    networkStatus: c.networkStatus,
    holdReason: c.holdReason,
    subs: c.subs,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  }
}

export async function getUser(pool: Pool, userId: string, page: Page) {
  const balance = await balanceOf(pool, userId)
  const entries = await ledgerOfUser(pool, userId, page.before, page.limit)
  if (balance === null && entries.length === 0) {
    throw new HttpError(
      404,
      'USER_NOT_FOUND',
      `user ${userId} has no balance and no ledger entries`,
    )
  }
  return {
    userId,
    balance: Number(balance ?? 0),
    entries: entries.map((entry) => ({
      id: entry.id,
      conversionId: entry.conversionId,
      kind: entry.kind,
      points: Number(entry.points),
      createdAt: entry.createdAt.toISOString(),
    })),
    nextBefore: entries.length === page.limit ? entries[entries.length - 1]?.id : undefined,
  }
}

export type ConversionFilter = { network?: string; txId?: string; userId?: string; status?: string }

export async function listConversions(pool: Pool, filter: ConversionFilter, page: Page) {
  const items = await searchConversions(
    pool,
    {
      network: filter.network,
      txId: filter.txId,
      userId: filter.userId,
      status: filter.status,
      before: page.before,
    },
    page.limit,
  )
  return {
    items: items.map(conversionAnswer),
    nextBefore: items.length === page.limit ? items[items.length - 1]?.id : undefined,
  }
}

export type PostbackFilter = { outcome?: string; network?: string }

export async function listPostbacks(pool: Pool, filter: PostbackFilter, page: Page) {
  const { rows } = await pool.query<Omit<StoredPostbackLogRow, 'replay_of' | 'replayed_by'>>(
    `SELECT id, received_at, network, method, path, query, body, headers, source_ip, status_code, outcome,
            message, tx_id, conversion_id, caller_verified, warnings
     FROM postback_log
     WHERE ($1::text IS NULL OR outcome = $1) AND ($2::text IS NULL OR network = $2)
       AND ($3::bigint IS NULL OR id < $3::bigint)
     ORDER BY id DESC LIMIT $4`,
    [filter.outcome ?? null, filter.network ?? null, page.before ?? null, page.limit],
  )
  return {
    items: rows.map((row) => ({
      id: row.id,
      receivedAt: row.received_at.toISOString(),
      network: row.network,
      method: row.method,
      path: row.path,
      query: row.query,
      body: row.body,
      headers: row.headers,
      sourceIp: row.source_ip,
      statusCode: row.status_code,
      outcome: row.outcome,
      message: row.message,
      txId: row.tx_id,
      conversionId: row.conversion_id,
      callerVerified: row.caller_verified,
      warnings: row.warnings ?? [],
    })),
    nextBefore: rows.length === page.limit ? rows[rows.length - 1]?.id : undefined,
  }
}

export async function upsertOffer(
  pool: Pool,
  network: string,
  offerId: string,
  expectedPayout: string,
) {
  const { rows } = await pool.query<{ expected_payout: string; updated_at: Date }>(
    `INSERT INTO offers (network, offer_id, expected_payout) VALUES ($1, $2, $3::numeric)
     ON CONFLICT (network, offer_id) DO UPDATE SET expected_payout = EXCLUDED.expected_payout, updated_at = now()
     RETURNING expected_payout::text, updated_at`,
    [network, offerId, expectedPayout],
  )
  const row = rows[0]
  return {
    network,
    offerId,
    expectedPayout: normalizeDecimal(row?.expected_payout ?? expectedPayout),
    updatedAt: row?.updated_at.toISOString(),
  }
}

/** Approves (credits) or rejects a conversion held for review; anything else is a 409. */
export async function reviewConversion(
  pool: Pool,
  id: string,
  verdict: 'approve' | 'reject',
  deliveries?: DeliveryRules,
) {
  return withTransaction(pool, async (client) => {
    const conversion = await lockConversion(client, id)
    if (!conversion) throw new HttpError(404, 'CONVERSION_NOT_FOUND', `no conversion with id ${id}`)
    if (conversion.status !== 'held') {
      throw new HttpError(
        409,
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
    await enqueueDeliveries(client, deliveries, { id, network: conversion.network }, outcome)
    return {
      outcome,
      points,
      conversion: conversionAnswer({ ...conversion, status, updatedAt: new Date() }),
    }
  })
}
