import type { Pool } from 'pg'
import type { z } from 'zod'
import type { Actor } from '../audit/actor.js'
import { recordAudit } from '../audit/record.js'
import type { ReviewResult } from '../conversions/review.js'
import { type Conversion, searchConversions } from '../conversions/rows.js'
import { withTransaction } from '../db/transaction.js'
import { HttpError } from '../http/errors.js'
import { normalizeDecimal } from '../ledger/decimal.js'
import { balanceOf, ledgerOfUser } from '../ledger/rows.js'
import { listLog } from '../postback-log/queries.js'
import type { LogEntry } from '../postback-log/rows.js'
import type { conversionAnswer, offerAnswer, offersAnswer, reviewAnswer } from './answers.js'

export type Page = { limit: number; before?: string }

/** A conversion as the admin API answers it (conversionAnswer in answers.ts). */
function conversionOf(c: Conversion): z.output<typeof conversionAnswer> {
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
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  }
}

export async function getUser(pool: Pool, userId: string, page: Page) {
  const balance = await balanceOf(pool, userId)
  const entries = await ledgerOfUser(pool, userId, page.before, page.limit)
  if (balance === null && entries.length === 0) {
    throw new HttpError('USER_NOT_FOUND', `user ${userId} has no balance and no ledger entries`)
  }
  return {
    userId,
    balance: Number(balance ?? 0),
    entries: entries.map((entry) => ({
      id: entry.id,
      conversionId: entry.conversionId,
      kind: entry.kind,
      points: Number(entry.points),
      createdAt: entry.createdAt,
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
    items: items.map(conversionOf),
    nextBefore: items.length === page.limit ? items[items.length - 1]?.id : undefined,
  }
}

export type PostbackFilter = { outcome?: string; network?: string; payoutMismatch?: boolean }

export async function listPostbacks(pool: Pool, filter: PostbackFilter, page: Page) {
  const entries = await listLog(
    pool,
    {
      outcome: filter.outcome,
      network: filter.network,
      payoutMismatch: filter.payoutMismatch,
      before: page.before,
    },
    page.limit,
  )
  return {
    items: entries.map(logEntryAnswer),
    nextBefore: entries.length === page.limit ? entries.at(-1)?.id : undefined,
  }
}

/** A postback log row as the admin API answers it (postbackLogAnswer in answers.ts). */
function logEntryAnswer(entry: LogEntry) {
  return {
    id: entry.id,
    receivedAt: entry.receivedAt,
    network: entry.network,
    method: entry.method,
    path: entry.path,
    query: entry.query,
    body: entry.body,
    headers: entry.headers,
    sourceIp: entry.sourceIp,
    statusCode: entry.statusCode,
    outcome: entry.outcome,
    message: entry.message,
    txId: entry.txId,
    conversionId: entry.conversionId,
    callerVerified: entry.callerVerified,
    warnings: entry.warnings,
    mismatchedPayout: entry.mismatchedPayout,
    conversion: entry.conversion,
  }
}

/** Sets an offer's expected payout; its audit row (old and new payout) commits with it. */
export async function upsertOffer(
  pool: Pool,
  network: string,
  offerId: string,
  expectedPayout: string,
  actor: Actor,
): Promise<z.output<typeof offerAnswer>> {
  return withTransaction(pool, async (client) => {
    // The old payout, locked so that a concurrent change cannot slip between it and ours.
    const { rows: old } = await client.query<{ expected_payout: string | null }>(
      'SELECT expected_payout::text FROM offers WHERE network = $1 AND offer_id = $2 FOR UPDATE',
      [network, offerId],
    )
    const { rows } = await client.query<{ expected_payout: string; updated_at: Date }>(
      `INSERT INTO offers (network, offer_id, expected_payout) VALUES ($1, $2, $3::numeric)
       ON CONFLICT (network, offer_id) DO UPDATE SET expected_payout = EXCLUDED.expected_payout, updated_at = now()
       RETURNING expected_payout::text, updated_at`,
      [network, offerId, expectedPayout],
    )
    const [row] = rows
    if (!row) throw new Error('INSERT ... ON CONFLICT DO UPDATE returned no row')
    const before = old[0]?.expected_payout
    const answer = {
      network,
      offerId,
      expectedPayout: normalizeDecimal(row.expected_payout),
      updatedAt: row.updated_at,
    }
    await recordAudit(client, {
      actor,
      action: 'offer.set',
      subject: { type: 'offer', id: `${network}/${offerId}` },
      before: before ? { expectedPayout: normalizeDecimal(before) } : null,
      after: { expectedPayout: answer.expectedPayout },
    })
    return answer
  })
}

export type OfferFilter = { network?: string; offerId?: string; limit: number; after?: string }

/**
 * Offers by network and offer id; `after` is the previous page's nextAfter (an opaque cursor:
 * the last network and offer id). Expected payouts are exact decimal strings.
 */
export async function listOffers(
  pool: Pool,
  filter: OfferFilter,
): Promise<z.output<typeof offersAnswer>> {
  const after = filter.after === undefined ? null : decodeCursor(filter.after)
  const { rows } = await pool.query<{
    network: string
    offer_id: string
    expected_payout: string
    updated_at: Date
  }>(
    `SELECT network, offer_id, expected_payout::text, updated_at FROM offers
     WHERE ($1::text IS NULL OR network = $1)
       AND ($2::text IS NULL OR offer_id = $2)
       AND ($3::text IS NULL OR (network, offer_id) > ($3, $4::text))
     ORDER BY network, offer_id
     LIMIT $5`,
    [
      filter.network ?? null,
      filter.offerId ?? null,
      after?.[0] ?? null,
      after?.[1] ?? null,
      filter.limit,
    ],
  )
  const items = rows.map((row) => ({
    network: row.network,
    offerId: row.offer_id,
    expectedPayout: normalizeDecimal(row.expected_payout),
    updatedAt: row.updated_at,
  }))
  const last = items.at(-1)
  return {
    items,
    nextAfter:
      last && items.length === filter.limit
        ? Buffer.from(JSON.stringify([last.network, last.offerId])).toString('base64url')
        : undefined,
  }
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
    if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'string'))
      return value as [string, string]
  } catch {}
  throw new HttpError('INVALID_FIELD', 'after: must be nextAfter of a previous page', {
    fields: [
      { field: 'after', code: 'INVALID_FIELD', message: 'must be nextAfter of a previous page' },
    ],
  })
}

/** A review's result as the admin API answers it. */
export function reviewAnswerOf(result: ReviewResult): z.output<typeof reviewAnswer> {
  return { ...result, conversion: conversionOf(result.conversion) }
}
