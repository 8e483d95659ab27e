import type { Pool } from 'pg'
import { withTransaction } from '../db/transaction.js'
import { enqueueDeliveries } from '../delivery/outbox.js'
import type { DeliveryRules } from '../delivery/rules.js'
import { HttpError } from '../http/errors.js'
import { normalizeDecimal } from '../ledger/decimal.js'
import { creditConversion } from '../ledger/ledger.js'
import type { StoredPostbackLogRow } from '../postbacks/log.js'

export type Page = { limit: number; before?: string }

type ConversionRow = {
  id: string
  network: string
  tx_id: string
  offer_id: string
  user_id: string | null
  click_id: string | null
  payout: string
  currency: string | null
  points: string
  status: string
  network_status: string | null
  hold_reason: string | null
  sub1: string | null
  sub2: string | null
  sub3: string | null
  sub4: string | null
  sub5: string | null
  created_at: Date
  updated_at: Date
}

const CONVERSION_COLUMNS = `id, network, tx_id, offer_id, user_id, click_id, payout::text, currency, points::text,
  status, network_status, hold_reason, sub1, sub2, sub3, sub4, sub5, created_at, updated_at`

function toConversion(row: ConversionRow) {
  return {
    id: row.id,
    network: row.network,
    txId: row.tx_id,
    offerId: row.offer_id,
    userId: row.user_id,
    clickId: row.click_id,
    payout: normalizeDecimal(row.payout),
    currency: row.currency,
    points: Number(row.points),
    status: row.status,
    networkStatus: row.network_status,
    holdReason: row.hold_reason,
    subs: [row.sub1, row.sub2, row.sub3, row.sub4, row.sub5],
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  }
}

export async function getUser(pool: Pool, userId: string, page: Page) {
  const balance = await pool.query<{ points: string }>(
    'SELECT points::text FROM balances WHERE user_id = $1',
    [userId],
  )
  const { rows } = await pool.query<{
    id: string
    conversion_id: string | null
    kind: string
    points: string
    created_at: Date
  }>(
    `SELECT id, conversion_id, kind, points::text, created_at FROM ledger_entries
     WHERE user_id = $1 AND ($2::bigint IS NULL OR id < $2::bigint)
     ORDER BY id DESC LIMIT $3`,
    [userId, page.before ?? null, page.limit],
  )
  if (!balance.rows[0] && rows.length === 0) {
    throw new HttpError(
      404,
      'USER_NOT_FOUND',
      `user ${userId} has no balance and no ledger entries`,
    )
  }
  return {
    userId,
    balance: Number(balance.rows[0]?.points ?? 0),
    entries: rows.map((row) => ({
      id: row.id,
      conversionId: row.conversion_id,
      kind: row.kind,
      points: Number(row.points),
      createdAt: row.created_at.toISOString(),
    })),
    nextBefore: rows.length === page.limit ? rows[rows.length - 1]?.id : undefined,
  }
}

export type ConversionFilter = { network?: string; txId?: string; userId?: string; status?: string }

export async function listConversions(pool: Pool, filter: ConversionFilter, page: Page) {
  const { rows } = await pool.query<ConversionRow>(
    `SELECT ${CONVERSION_COLUMNS} FROM conversions
     WHERE ($1::text IS NULL OR network = $1) AND ($2::text IS NULL OR tx_id = $2)
       AND ($3::text IS NULL OR user_id = $3) AND ($4::text IS NULL OR status = $4)
       AND ($5::bigint IS NULL OR id < $5::bigint)
     ORDER BY id DESC LIMIT $6`,
    [
      filter.network ?? null,
      filter.txId ?? null,
      filter.userId ?? null,
      filter.status ?? null,
      page.before ?? null,
      page.limit,
    ],
  )
  return {
    items: rows.map(toConversion),
    nextBefore: rows.length === page.limit ? rows[rows.length - 1]?.id : undefined,
  }
}

export type PostbackFilter = { outcome?: string; network?: string }

export async function listPostbacks(pool: Pool, filter: PostbackFilter, page: Page) {
  const { rows } = await pool.query<Omit<StoredPostbackLogRow, 'replay_of' | 'replayed_by'>>(
    `SELECT id, received_at, network, method, path, query, body, headers, source_ip, status_code, outcome,
            message, tx_id, conversion_id
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
    const { rows } = await client.query<ConversionRow>(
      `SELECT ${CONVERSION_COLUMNS} FROM conversions WHERE id = $1 FOR UPDATE`,
      [id],
    )
    const row = rows[0]
    if (!row) throw new HttpError(404, 'CONVERSION_NOT_FOUND', `no conversion with id ${id}`)
    if (row.status !== 'held') {
      throw new HttpError(409, 'NOT_HELD', `conversion ${id} is ${row.status}, not held for review`)
    }
    const status = verdict === 'approve' ? 'approved' : 'rejected'
    await client.query('UPDATE conversions SET status = $2, updated_at = now() WHERE id = $1', [
      id,
      status,
    ])
    let points = 0
    if (verdict === 'approve' && row.user_id !== null) {
      if (await creditConversion(client, id, row.user_id, BigInt(row.points)))
        points = Number(row.points)
    }
    const outcome =
      verdict === 'reject' ? 'rejected' : points > 0 || row.user_id ? 'credited' : 'recorded'
    await enqueueDeliveries(client, deliveries, { id, network: row.network }, outcome)
    return { outcome, points, conversion: toConversion({ ...row, status, updated_at: new Date() }) }
  })
}
