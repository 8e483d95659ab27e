import type { Pool } from 'pg'
import { z } from 'zod'
import { parseRow } from '../db/row-schema.js'

// audit_log as the admin API, the audit page and the timelines read it: one column list, one
// row schema, one mapper.

const AUDIT_COLUMNS = `id, at, actor, via, action, subject_type, subject_id, conversion_id,
  user_id, before, after`

const auditRowSchema = z.object({
  id: z.string().regex(/^\d+$/),
  at: z.date(),
  actor: z.string(),
  via: z.string(),
  action: z.string(),
  subject_type: z.string(),
  subject_id: z.string(),
  conversion_id: z.string().regex(/^\d+$/).nullable(),
  user_id: z.string().nullable(),
  before: z.unknown(),
  after: z.unknown(),
})

export type AuditRow = {
  id: string
  at: Date
  actor: string
  via: string
  action: string
  subject: { type: string; id: string }
  conversionId: string | null
  userId: string | null
  before: unknown
  after: unknown
}

function toAuditRow(raw: unknown): AuditRow {
  const row = parseRow('audit_log', auditRowSchema, raw)
  return {
    id: row.id,
    at: row.at,
    actor: row.actor,
    via: row.via,
    action: row.action,
    subject: { type: row.subject_type, id: row.subject_id },
    conversionId: row.conversion_id,
    userId: row.user_id,
    before: row.before ?? null,
    after: row.after ?? null,
  }
}

export type AuditFilter = {
  actor?: string
  /** An exact action (conversion.approve) or a noun's prefix (conversion.). */
  action?: string
  conversionId?: string
  userId?: string
  /** Keyset: rows older than this id. */
  before?: string
}

/** Newest first, a page at a time. */
export async function listAudit(pool: Pool, filter: AuditFilter, limit: number) {
  const action = filter.action ?? null
  const { rows } = await pool.query(
    `SELECT ${AUDIT_COLUMNS} FROM audit_log
     WHERE ($1::text IS NULL OR actor = $1)
       AND ($2::text IS NULL OR action = $2 OR (right($2, 1) = '.' AND starts_with(action, $2)))
       AND ($3::bigint IS NULL OR conversion_id = $3::bigint)
       AND ($4::text IS NULL OR user_id = $4)
       AND ($5::bigint IS NULL OR id < $5::bigint)
     ORDER BY id DESC LIMIT $6`,
    [
      filter.actor ?? null,
      action,
      filter.conversionId ?? null,
      filter.userId ?? null,
      filter.before ?? null,
      limit,
    ],
  )
  return rows.map(toAuditRow)
}
