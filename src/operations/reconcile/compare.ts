import type { PoolClient } from 'pg'

// The comparison runs in PostgreSQL (hash or merge joins that spill to disk, not to our heap)
// and comes back through a cursor a few thousand differences at a time.

export type Period = { from: Date | null; to: Date | null }

export type Difference = {
  kind: string
  line: string | null
  txId: string
  reportPayout: string | null
  dbPayout: string | null
  reportStatus: string | null
  dbStatus: string | null
  reportDate: Date | null
  dbCreatedAt: Date | null
  conversionId: string | null
  detail: string
}

// How the network sees our statuses: held and rejected are our review, the network approved.
const NETWORK_VIEW = `CASE c.status WHEN 'held' THEN 'approved' WHEN 'rejected' THEN 'approved' ELSE c.status END`
const IN_PERIOD = `c.network = $1 AND ($2::timestamptz IS NULL OR c.created_at >= $2)
  AND ($3::timestamptz IS NULL OR c.created_at < $3)`

const DIFFERENCES = `
  SELECT 'missing_here' AS kind, r.line, r.tx_id, r.payout::text AS report_payout, NULL::text AS db_payout,
         r.raw_status AS report_status, NULL::text AS db_status, r.occurred_at AS report_date,
         NULL::timestamptz AS db_created_at, NULL::bigint AS conversion_id,
         'in the report, not in the database' AS detail
  FROM reconcile_report r
  WHERE NOT EXISTS (SELECT 1 FROM conversions c WHERE c.network = $1 AND c.tx_id = r.tx_id)
  UNION ALL
  SELECT CASE WHEN payout_differs AND status_differs THEN 'payout_and_status_mismatch'
              WHEN payout_differs THEN 'payout_mismatch' ELSE 'status_mismatch' END,
         line, tx_id, report_payout, db_payout, report_status, db_status, report_date, db_created_at,
         conversion_id, 'recorded differently'
  FROM (
    SELECT r.line, r.tx_id, r.payout::text AS report_payout, c.payout::text AS db_payout,
           r.raw_status AS report_status, c.status AS db_status, r.occurred_at AS report_date,
           c.created_at AS db_created_at, c.id AS conversion_id,
           (r.payout IS NOT NULL AND c.payout IS NOT NULL AND r.payout <> c.payout) AS payout_differs,
           (r.status IS NOT NULL AND r.status <> ${NETWORK_VIEW}) AS status_differs
    FROM reconcile_report r JOIN conversions c ON c.network = $1 AND c.tx_id = r.tx_id
  ) matched
  WHERE payout_differs OR status_differs
  UNION ALL
  SELECT 'missing_there', NULL, c.tx_id, NULL, c.payout::text, NULL, c.status, NULL, c.created_at, c.id,
         'in the database for the period, not in the report'
  FROM conversions c
  WHERE ${IN_PERIOD} AND NOT EXISTS (SELECT 1 FROM reconcile_report r WHERE r.tx_id = c.tx_id)
  UNION ALL
  SELECT kind, line, COALESCE(tx_id, ''), NULL, NULL, NULL, NULL, NULL, NULL, NULL, detail
  FROM reconcile_problems`

const FETCH = 5000

/** Every difference, grouped by kind, `FETCH` rows at a time. */
export async function* differences(
  client: PoolClient,
  network: string,
  period: Period,
): AsyncGenerator<Difference[]> {
  await client.query('BEGIN')
  let committed = false
  try {
    await client.query(`DECLARE reconcile_differences NO SCROLL CURSOR FOR ${DIFFERENCES}`, [
      network,
      period.from,
      period.to,
    ])
    for (;;) {
      const { rows } = await client.query<{
        kind: string
        line: string | null
        tx_id: string
        report_payout: string | null
        db_payout: string | null
        report_status: string | null
        db_status: string | null
        report_date: Date | null
        db_created_at: Date | null
        conversion_id: string | null
        detail: string
      }>(`FETCH ${FETCH} FROM reconcile_differences`)
      if (rows.length === 0) break
      yield rows.map((row) => ({
        kind: row.kind,
        line: row.line,
        txId: row.tx_id,
        reportPayout: row.report_payout,
        dbPayout: row.db_payout,
        reportStatus: row.report_status,
        dbStatus: row.db_status,
        reportDate: row.report_date,
        dbCreatedAt: row.db_created_at,
        conversionId: row.conversion_id,
        detail: row.detail,
      }))
    }
    await client.query('COMMIT')
    committed = true
  } finally {
    // An error, or a consumer that stopped reading (an HTTP client gone: the generator is
    // returned at its yield): the cursor's transaction must not stay open on the connection.
    if (!committed) await client.query('ROLLBACK').catch(() => {})
  }
}

export type Totals = {
  reportRows: number
  dbRows: number
  matched: number
  /** Approved payout per side (a report without statuses: every row), exact decimals. */
  reportApprovedPayout: string
  dbApprovedPayout: string
  /** |report − database| / report × 100, 2 places; null when the report's total is 0. */
  payoutDiscrepancyPercent: string | null
}

export async function totals(client: PoolClient, network: string, period: Period): Promise<Totals> {
  const { rows } = await client.query<{
    report_rows: string
    db_rows: string
    matched: string
    report_approved: string
    db_approved: string
    discrepancy: string | null
  }>(
    `WITH sums AS (
       SELECT (SELECT count(*) FROM reconcile_report) AS report_rows,
              (SELECT count(*) FROM conversions c WHERE ${IN_PERIOD}) AS db_rows,
              (SELECT count(*) FROM reconcile_report r
                 JOIN conversions c ON c.network = $1 AND c.tx_id = r.tx_id) AS matched,
              (SELECT COALESCE(sum(payout), 0) FROM reconcile_report
                 WHERE status IS NULL OR status = 'approved') AS report_approved,
              (SELECT COALESCE(sum(payout), 0) FROM conversions c
                 WHERE ${IN_PERIOD} AND c.status IN ('approved', 'held', 'rejected')) AS db_approved
     )
     SELECT report_rows::text, db_rows::text, matched::text, report_approved::text, db_approved::text,
            round(abs(report_approved - db_approved) * 100 / NULLIF(report_approved, 0), 2)::text
              AS discrepancy
     FROM sums`,
    [network, period.from, period.to],
  )
  const row = rows[0]
  if (!row) throw new Error('the totals query returned nothing')
  return {
    reportRows: Number(row.report_rows),
    dbRows: Number(row.db_rows),
    matched: Number(row.matched),
    reportApprovedPayout: row.report_approved,
    dbApprovedPayout: row.db_approved,
    payoutDiscrepancyPercent: row.discrepancy,
  }
}
