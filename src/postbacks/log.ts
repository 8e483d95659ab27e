import type { Pool, PoolClient } from 'pg'

/** One row of the raw postback log. Values must already be redacted. */
export type PostbackLogEntry = {
  network: string | null
  method: string
  path: string
  query: string | null
  body: string | null
  headers: Record<string, string>
  sourceIp: string
  statusCode: number
  outcome: string
  message: string | null
  txId: string | null
  conversionId: string | null
  /**
   * The caller passed verification (HTTPS when required, allowed source address, secret or
   * signature) before this row was written. Replay trusts only these rows by default.
   */
  callerVerified: boolean
  /** A replay (operator re-run of a refused postback): the refused row it re-ran, and who ran it. */
  replayOf?: string | null
  replayedBy?: string | null
  /** Values kept as sent that look wrong (an unreplaced macro in sub2 ...). */
  warnings?: readonly LogWarning[] | null
  /** A repeat not applied because its payout differs from the recorded one: the payout it sent. */
  mismatchedPayout?: string | null
}

/** A value stored as sent but flagged: same shape as a refusal's field problem. */
export type LogWarning = { field: string; code: string; message: string }

// Read back through src/postback-log (one row schema and mapper for every reader).

// Postgres text cannot hold NUL, and a hostile request should not grow a row without bound.
const MAX_TEXT = 4096

function clean(text: string | null, max = MAX_TEXT): string | null {
  if (text === null) return null
  // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what we strip
  const safe = text.replace(/\u0000/g, '\uFFFD')
  return safe.length > max ? `${safe.slice(0, max)}…` : safe
}

/**
 * The log's columns, each with its SQL type and the value an entry gives it: the one spec from
 * which the single insert and a group commit's unnest write are both generated.
 */
export const LOG_COLUMNS: readonly {
  name: string
  type: string
  value(entry: PostbackLogEntry): unknown
}[] = [
  { name: 'network', type: 'text', value: (e) => clean(e.network, 64) },
  { name: 'method', type: 'text', value: (e) => e.method },
  { name: 'path', type: 'text', value: (e) => clean(e.path, 512) },
  { name: 'query', type: 'text', value: (e) => clean(e.query) },
  { name: 'body', type: 'text', value: (e) => clean(e.body) },
  {
    name: 'headers',
    type: 'jsonb',
    value: (e) =>
      JSON.stringify(
        Object.fromEntries(
          Object.entries(e.headers).map(([name, value]) => [name, clean(value, 512)]),
        ),
      ),
  },
  { name: 'source_ip', type: 'text', value: (e) => clean(e.sourceIp, 64) },
  { name: 'status_code', type: 'int', value: (e) => e.statusCode },
  { name: 'outcome', type: 'text', value: (e) => e.outcome },
  { name: 'message', type: 'text', value: (e) => clean(e.message, 1024) },
  { name: 'tx_id', type: 'text', value: (e) => clean(e.txId, 255) },
  { name: 'conversion_id', type: 'bigint', value: (e) => e.conversionId },
  { name: 'replay_of', type: 'bigint', value: (e) => e.replayOf ?? null },
  { name: 'replayed_by', type: 'text', value: (e) => clean(e.replayedBy ?? null, 255) },
  { name: 'caller_verified', type: 'bool', value: (e) => e.callerVerified },
  {
    name: 'warnings',
    type: 'jsonb',
    value: (e) =>
      e.warnings && e.warnings.length > 0
        ? JSON.stringify(
            e.warnings.map((w) => ({ ...w, message: clean(w.message, 512) })).slice(0, 20),
          )
        : null,
  },
  { name: 'mismatched_payout', type: 'numeric', value: (e) => e.mismatchedPayout ?? null },
]

const INSERT_LOG = `INSERT INTO postback_log (${LOG_COLUMNS.map((c) => c.name).join(', ')})
  VALUES (${LOG_COLUMNS.map((c, i) => `$${i + 1}::${c.type}`).join(', ')})
  RETURNING id`

export async function insertPostbackLog(
  db: Pool | PoolClient,
  entry: PostbackLogEntry,
): Promise<string> {
  const { rows } = await db.query<{ id: string }>({
    name: 'insert-postback-log',
    text: INSERT_LOG,
    values: LOG_COLUMNS.map((column) => column.value(entry)),
  })
  return rows[0]?.id ?? ''
}
