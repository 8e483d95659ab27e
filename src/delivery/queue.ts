import { randomUUID } from 'node:crypto'
import type { Pool } from 'pg'
import type { DeliveryJob } from './render.js'

// The worker's two statements on the outbox: claim due jobs, and store one attempt's result.

export type ClaimedJob = DeliveryJob & { rule: string; maxAttempts: number; claim: string }

/** A job whose last attempt was never recorded and that has none left: now dead. */
export type ExhaustedJob = { id: string; rule: string; event: string; attempt: number }

type ClaimRow = {
  kind: 'claimed' | 'exhausted'
  id: string
  rule: string
  event: string
  data: Record<string, string | null>
  attempts: number
  max_attempts: number
}

/**
 * Claims up to `limit` due jobs with FOR UPDATE SKIP LOCKED and a lease (next_attempt_at moved
 * into the future), so workers sharing a database never send one job at the same time. A job
 * is claimed only while it has attempts left: one whose lease ran out after its last attempt
 * (the worker died, or could not store the result) is marked dead in the same statement.
 */
export async function claimDue(
  pool: Pool,
  limit: number,
  leaseMs: number,
): Promise<{ jobs: ClaimedJob[]; exhausted: ExhaustedJob[] }> {
  const token = randomUUID()
  const { rows } = await pool.query<ClaimRow>(
    `WITH exhausted AS (
       UPDATE deliveries d SET
         state = 'dead',
         claim = NULL,
         last_error = 'attempt ' || d.attempts || ' of ' || d.max_attempts
           || ' was never recorded (its worker stopped, or lost the database, before storing the result); no attempts left',
         updated_at = now()
       FROM (SELECT id FROM deliveries
             WHERE state = 'pending' AND next_attempt_at <= now() AND attempts >= max_attempts
             ORDER BY next_attempt_at, id
             LIMIT $1
             FOR UPDATE SKIP LOCKED) lost
       WHERE d.id = lost.id
       RETURNING d.id, d.rule, d.event, d.attempts, d.max_attempts),
     claimed AS (
       UPDATE deliveries d SET
         attempts = d.attempts + 1,
         claim = $3,
         next_attempt_at = now() + $2 * interval '1 millisecond',
         updated_at = now()
       FROM (SELECT id FROM deliveries
             WHERE state = 'pending' AND next_attempt_at <= now() AND attempts < max_attempts
             ORDER BY next_attempt_at, id
             LIMIT $1
             FOR UPDATE SKIP LOCKED) due
       WHERE d.id = due.id
       RETURNING d.id, d.rule, d.event, d.data, d.attempts, d.max_attempts)
     SELECT 'claimed' AS kind, id::text, rule, event, data, attempts, max_attempts FROM claimed
     UNION ALL
     SELECT 'exhausted', id::text, rule, event, NULL, attempts, max_attempts FROM exhausted`,
    [limit, leaseMs, token],
  )
  const jobs: ClaimedJob[] = []
  const exhausted: ExhaustedJob[] = []
  for (const row of rows) {
    if (row.kind === 'exhausted') {
      exhausted.push({ id: row.id, rule: row.rule, event: row.event, attempt: row.attempts })
      continue
    }
    jobs.push({
      id: row.id,
      rule: row.rule,
      event: row.event,
      data: row.data,
      attempt: row.attempts,
      maxAttempts: row.max_attempts,
      claim: token,
    })
  }
  return { jobs, exhausted }
}

export type AttemptRecord = {
  startedAt: Date
  url: string
  statusCode: number | null
  latencyMs: number
  excerpt: string | null
  error: string | null
  state: 'delivered' | 'pending' | 'dead'
  delayMs: number
  /** An attempt cut short by shutdown is given back: the next start makes it again. */
  givenBack: boolean
}

/** Logs the attempt and moves the job on, if this worker's claim still holds. */
export async function recordAttempt(pool: Pool, job: ClaimedJob, record: AttemptRecord) {
  await pool.query(
    `WITH attempt AS (
       INSERT INTO delivery_attempts
         (delivery_id, attempt, started_at, url, status_code, latency_ms, response_excerpt, error)
       VALUES ($1, $3, $4, $5, $6, $7, $8, $9))
     UPDATE deliveries SET
       state = $10,
       attempts = attempts - $12::int,
       next_attempt_at = now() + $11 * interval '1 millisecond',
       last_status = $6,
       last_error = $9,
       delivered_at = CASE WHEN $10 = 'delivered' THEN now() END,
       claim = NULL,
       updated_at = now()
     WHERE id = $1 AND claim = $2`,
    [
      job.id,
      job.claim,
      job.attempt,
      record.startedAt,
      withoutNul(record.url),
      record.statusCode,
      record.latencyMs,
      record.excerpt === null ? null : withoutNul(record.excerpt),
      record.error === null ? null : withoutNul(record.error),
      record.state,
      record.delayMs,
      record.givenBack ? 1 : 0,
    ],
  )
}

// PostgreSQL text cannot hold NUL: a response or an error that carries one must still be stored.
function withoutNul(text: string): string {
  return text.replaceAll(String.fromCharCode(0), '')
}
