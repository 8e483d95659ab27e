import type { Pool } from 'pg'
import { getLogEntry, listLog } from '../postback-log/queries.js'
import type { LogEntry } from '../postback-log/rows.js'

export type ReplayFilter =
  | { id: string }
  | { since: Date; outcome?: string; network?: string; limit: number }

/** A stored refusal as the postback log read model gives it (a StoredRequest and more). */
export type ReplayCandidate = LogEntry

const PAGE = 100

/**
 * The stored refusals a replay selects, oldest first, a page at a time. One id (a replay row
 * leads to the row it re-ran), or every refusal since a time, optionally by outcome and network;
 * rows that are replays themselves are not selected again.
 */
export async function* selectRefusals(
  pool: Pool,
  filter: ReplayFilter,
): AsyncGenerator<ReplayCandidate> {
  if ('id' in filter) {
    const entry = await getLogEntry(pool, filter.id)
    const original = entry?.replayOf ? await getLogEntry(pool, entry.replayOf) : entry
    if (original) yield original
    return
  }
  let after = '0'
  let left = filter.limit
  while (left > 0) {
    const size = Math.min(PAGE, left)
    const entries = await listLog(
      pool,
      {
        after,
        since: filter.since,
        result: 'refused',
        originalsOnly: true,
        outcome: filter.outcome,
        network: filter.network,
      },
      size,
      'oldest-first',
    )
    yield* entries
    if (entries.length < size) return
    left -= entries.length
    after = entries.at(-1)?.id ?? after
  }
}
