import { randomBytes } from 'node:crypto'
import type { Pool, PoolClient } from 'pg'
import { z } from 'zod'
import { UNIQUE_VIOLATION } from '../db/errors.js'
import { parseRow } from '../db/row-schema.js'
import { HttpError } from '../http/errors.js'

// The bulk_runs table (migration 0018): one row per bulk replay or bulk retry, its one read
// model and the state changes a run goes through. The partial unique index on running runs
// decides a race between two starts; an owner token decides which process may move a run.

export const BULK_KINDS = ['replay', 'retry'] as const
export const BULK_STATES = ['running', 'done', 'interrupted', 'failed'] as const
export type BulkKind = (typeof BULK_KINDS)[number]

/** A running run whose heartbeat is older than this has lost its process: it can be resumed. */
export const STALE_SECONDS = 120

const bigintId = z.string().regex(/^\d+$/, 'must be a numeric id')

export const bulkRunRowSchema = z.object({
  id: bigintId,
  kind: z.enum(BULK_KINDS),
  filter: z.record(z.string(), z.union([z.string(), z.null()])),
  state: z.enum(BULK_STATES),
  started_by: z.string(),
  started_at: z.date(),
  heartbeat_at: z.date(),
  finished_at: z.date().nullable(),
  up_to_id: bigintId,
  cursor_id: bigintId,
  cap: z.number().int(),
  planned: z.number().int(),
  counts: z.record(z.string(), z.number().int()),
  error: z.string().nullable(),
  stale: z.boolean(),
})

const COLUMNS = `id, kind, filter, state, started_by, started_at, heartbeat_at, finished_at,
  up_to_id, cursor_id, cap, planned, counts, error,
  (state = 'running' AND heartbeat_at < now() - interval '${STALE_SECONDS} seconds') AS stale`

export type BulkFilter = Record<string, string | null>

export type BulkRun = {
  id: string
  kind: BulkKind
  filter: BulkFilter
  state: (typeof BULK_STATES)[number]
  startedBy: string
  startedAt: Date
  heartbeatAt: Date
  finishedAt: Date | null
  upToId: string
  cursorId: string
  cap: number
  /** Rows that matched when the run started (at most `cap`). */
  planned: number
  counts: Record<string, number>
  error: string | null
  /** Running, but its process has not moved it for STALE_SECONDS: it died; resume it. */
  stale: boolean
}

export function toBulkRun(raw: unknown): BulkRun {
  const row = parseRow('bulk_runs', bulkRunRowSchema, raw)
  return {
    id: row.id,
    kind: row.kind,
    filter: row.filter,
    state: row.state,
    startedBy: row.started_by,
    startedAt: row.started_at,
    heartbeatAt: row.heartbeat_at,
    finishedAt: row.finished_at,
    upToId: row.up_to_id,
    cursorId: row.cursor_id,
    cap: row.cap,
    planned: row.planned,
    counts: row.counts,
    error: row.error,
    stale: row.stale,
  }
}

export function newOwner(): string {
  return randomBytes(12).toString('base64url')
}

export async function getBulkRun(pool: Pool, id: string): Promise<BulkRun | null> {
  const { rows } = await pool.query(`SELECT ${COLUMNS} FROM bulk_runs WHERE id = $1`, [id])
  return rows[0] ? toBulkRun(rows[0]) : null
}

/** The run of this kind a process is working on now, if any. */
export async function runningRun(pool: Pool, kind: BulkKind): Promise<BulkRun | null> {
  const { rows } = await pool.query(
    `SELECT ${COLUMNS} FROM bulk_runs WHERE kind = $1 AND state = 'running'`,
    [kind],
  )
  return rows[0] ? toBulkRun(rows[0]) : null
}

/** The latest runs, newest first (the dashboard lists them). */
export async function recentRuns(pool: Pool, limit: number): Promise<BulkRun[]> {
  const { rows } = await pool.query(`SELECT ${COLUMNS} FROM bulk_runs ORDER BY id DESC LIMIT $1`, [
    limit,
  ])
  return rows.map(toBulkRun)
}

/** A running run whose process stopped moving it becomes interrupted (resumable). */
export async function interruptStale(pool: Pool, kind: BulkKind): Promise<void> {
  await pool.query(
    `UPDATE bulk_runs SET state = 'interrupted', owner = NULL
     WHERE kind = $1 AND state = 'running'
       AND heartbeat_at < now() - interval '${STALE_SECONDS} seconds'`,
    [kind],
  )
}

export type NewRun = {
  kind: BulkKind
  filter: BulkFilter
  by: string
  upToId: string
  cap: number
  planned: number
  counts: Record<string, number>
}

/** Inserts a running run owned by `owner`; BULK_RUN_ACTIVE when one of its kind is running. */
export async function insertRun(pool: Pool, run: NewRun, owner: string): Promise<BulkRun> {
  try {
    const { rows } = await pool.query(
      `INSERT INTO bulk_runs (kind, filter, started_by, owner, up_to_id, cap, planned, counts)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       RETURNING ${COLUMNS}`,
      [run.kind, run.filter, run.by, owner, run.upToId, run.cap, run.planned, run.counts],
    )
    return toBulkRun(rows[0])
  } catch (error) {
    if ((error as { code?: string }).code === UNIQUE_VIOLATION)
      throw await activeError(pool, run.kind)
    throw error
  }
}

/** An interrupted or failed run runs again, owned by `owner`, from its cursor. */
export async function reclaimRun(pool: Pool, id: string, owner: string): Promise<BulkRun> {
  const found = await getBulkRun(pool, id)
  if (!found) throw new HttpError('BULK_RUN_NOT_FOUND', `no bulk run #${id}`)
  await interruptStale(pool, found.kind)
  try {
    const { rows } = await pool.query(
      `UPDATE bulk_runs SET state = 'running', owner = $2, heartbeat_at = now(),
         finished_at = NULL, error = NULL
       WHERE id = $1 AND state IN ('interrupted', 'failed')
       RETURNING ${COLUMNS}`,
      [id, owner],
    )
    if (rows[0]) return toBulkRun(rows[0])
  } catch (error) {
    if ((error as { code?: string }).code === UNIQUE_VIOLATION)
      throw await activeError(pool, found.kind)
    throw error
  }
  const now = await getBulkRun(pool, id)
  if (now?.state === 'running') throw await activeError(pool, found.kind)
  throw new HttpError(
    'BULK_RUN_FINISHED',
    `bulk run #${id} is done: nothing is left to resume; start a new run to handle what matches now`,
  )
}

async function activeError(pool: Pool, kind: BulkKind): Promise<HttpError> {
  const running = await runningRun(pool, kind)
  const which = running
    ? `run #${running.id}, started by ${running.startedBy} at ${running.startedAt.toISOString()}`
    : 'it has just ended: start again'
  return new HttpError(
    'BULK_RUN_ACTIVE',
    `a bulk ${kind} is already running (${which}); follow it, or start again when it is done`,
  )
}

/**
 * Moves the run on: its cursor, counts and heartbeat. False when the run is no longer this
 * process's (resumed elsewhere after it looked dead): the caller stops.
 */
export async function advanceRun(
  db: Pool | PoolClient,
  run: { id: string; owner: string },
  cursorId: string,
  counts: Record<string, number>,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE bulk_runs SET cursor_id = $3, counts = $4, heartbeat_at = now()
     WHERE id = $1 AND owner = $2 AND state = 'running'`,
    [run.id, run.owner, cursorId, counts],
  )
  return rowCount === 1
}

/** The run ends: done (nothing left, or the cap reached), interrupted, or failed. */
export async function endRun(
  pool: Pool,
  run: { id: string; owner: string },
  state: 'done' | 'interrupted' | 'failed',
  error: string | null = null,
): Promise<void> {
  await pool.query(
    `UPDATE bulk_runs SET state = $3, owner = NULL, error = $4, heartbeat_at = now(),
       finished_at = CASE WHEN $3 = 'interrupted' THEN NULL ELSE now() END
     WHERE id = $1 AND owner = $2 AND state = 'running'`,
    [run.id, run.owner, state, error],
  )
}
