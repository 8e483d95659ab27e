import type { Pool } from 'pg'
import type { Actor } from '../audit/actor.js'
import { type ReplayDeps, replayOne } from '../operations/replay.js'
import { LOG_SELECT, toLogEntry } from '../postback-log/rows.js'

// "Replay all matching this filter": the refused postbacks a bulk replay takes, what a preview
// says of them, and one step of a run. A bulk replay takes only what a network's verified
// caller sent: a row refused before its caller was verified is excluded whatever today's
// profile says (one by one, from its log entry, an operator may still vouch for it). A row
// with an accepted replay is skipped (replaying it again would change nothing), and so is one
// already replayed since the run began (by this run before its process died, or by anyone):
// each refusal is replayed at most once per run.

export type ReplayFilter = {
  network?: string
  /** One refusal code (MISSING_FIELD ...); absent: every refusal. */
  outcome?: string
  txId?: string
  /** Received at or after / before (ISO times). */
  since?: string
  until?: string
}

// The stored query or body was cut to 4096 characters (postbacks/log.ts adds a '…').
const CUT = "length(COALESCE(l.query, '')) > 4096 OR length(COALESCE(l.body, '')) > 4096"
const ACCEPTED = `EXISTS (SELECT 1 FROM postback_log r WHERE r.replay_of = l.id AND r.status_code = 200)`

/** The filter's conditions on `postback_log l`, parameters $1..$5. */
const MATCHES = `l.status_code >= 400 AND l.replay_of IS NULL
  AND ($1::text IS NULL OR l.network = $1) AND ($2::text IS NULL OR l.outcome = $2)
  AND ($3::text IS NULL OR l.tx_id = $3)
  AND ($4::timestamptz IS NULL OR l.received_at >= $4)
  AND ($5::timestamptz IS NULL OR l.received_at < $5)`

const params = (f: ReplayFilter) => [
  f.network ?? null,
  f.outcome ?? null,
  f.txId ?? null,
  f.since ?? null,
  f.until ?? null,
]

export const EXCLUSIONS = {
  'caller-not-verified':
    'refused before its caller was verified (secret or signature, source address): the stored copy cannot prove the network sent it, so a bulk replay never takes it (replay it alone from its log entry if you know it is genuine)',
  'already-accepted': 'replayed before and accepted: replaying again would change nothing',
  'request-cut': 'its stored query or body was cut to 4096 characters: it cannot be replayed',
} as const

export type ReplayPreview = {
  /** Refusals (originals, not replays) matching the filter. */
  matching: number
  /** Of those, how many a run would replay (all of them, up to the cap). */
  replayable: number
  willReplay: number
  cap: number
  byOutcome: { outcome: string; matching: number; replayable: number }[]
  excluded: { reason: keyof typeof EXCLUSIONS; count: number; message: string }[]
}

/** What a bulk replay with this filter would do, counted in one query. */
export async function previewReplay(
  pool: Pool,
  filter: ReplayFilter,
  cap: number,
): Promise<ReplayPreview> {
  const { rows } = await pool.query<{
    outcome: string
    matching: number
    unverified: number
    accepted: number
    cut: number
  }>(
    `SELECT outcome, count(*)::int AS matching,
            count(*) FILTER (WHERE NOT verified)::int AS unverified,
            count(*) FILTER (WHERE verified AND accepted)::int AS accepted,
            count(*) FILTER (WHERE verified AND NOT accepted AND cut)::int AS cut
     FROM (SELECT l.outcome, l.caller_verified AS verified, ${ACCEPTED} AS accepted,
                  (${CUT}) AS cut
           FROM postback_log l WHERE ${MATCHES}) m
     GROUP BY outcome ORDER BY count(*) DESC, outcome`,
    params(filter),
  )
  const byOutcome = rows.map((r) => ({
    outcome: r.outcome,
    matching: r.matching,
    replayable: r.matching - r.unverified - r.accepted - r.cut,
  }))
  const sum = (pick: (r: (typeof rows)[number]) => number) =>
    rows.reduce((total, r) => total + pick(r), 0)
  const replayable = byOutcome.reduce((total, o) => total + o.replayable, 0)
  const excluded = (
    [
      ['caller-not-verified', sum((r) => r.unverified)],
      ['already-accepted', sum((r) => r.accepted)],
      ['request-cut', sum((r) => r.cut)],
    ] as const
  )
    .filter(([, count]) => count > 0)
    .map(([reason, count]) => ({ reason, count, message: EXCLUSIONS[reason] }))
  return {
    matching: sum((r) => r.matching),
    replayable,
    willReplay: Math.min(replayable, cap),
    cap,
    byOutcome,
    excluded,
  }
}

/** The newest log id now: a run covers rows up to it, and its own replay rows come after it. */
export async function logHighWater(pool: Pool): Promise<string> {
  const { rows } = await pool.query<{ id: string }>(
    'SELECT COALESCE(max(id), 0)::text AS id FROM postback_log',
  )
  return rows[0]?.id ?? '0'
}

/**
 * The next refusals a run replays after `cursorId`, oldest first: the preview's replayable
 * rows, minus any replayed since the run began (a replay row's id is above `upToId`).
 */
export async function nextRefusals(
  pool: Pool,
  filter: ReplayFilter,
  run: { upToId: string; cursorId: string },
  limit: number,
) {
  const { rows } = await pool.query(
    `${LOG_SELECT}
     WHERE ${MATCHES} AND l.caller_verified AND NOT (${CUT})
       AND l.id > $6 AND l.id <= $7 AND a.id IS NULL
       AND NOT EXISTS (SELECT 1 FROM postback_log s WHERE s.replay_of = l.id AND s.id > $7)
     ORDER BY l.id LIMIT $8`,
    [...params(filter), run.cursorId, run.upToId, limit],
  )
  return rows.map(toLogEntry)
}

export type ReplayCounts = { processed: number; accepted: number; refused: number; skipped: number }

/** Replays one selected refusal through the one replay path; the counts it adds to. */
export async function replayForRun(
  deps: ReplayDeps,
  stored: Awaited<ReturnType<typeof nextRefusals>>[number],
  counts: ReplayCounts,
  actor: Actor,
): Promise<void> {
  const result = await replayOne(deps, stored, { actor, includeUnauthorized: false })
  counts.processed += 1
  if (result.kind === 'skipped') counts.skipped += 1
  else if (result.statusCode === 200) counts.accepted += 1
  else counts.refused += 1
}
