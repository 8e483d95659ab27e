import { type Actor, actorText } from '../audit/actor.js'
import { type ReplayDeps, replayOne, unverifiedMessage } from './replay.js'
import { type ReplayFilter, selectRefusals } from './replay-selection.js'

// `replay` as one run over the selected refusals, reported a line per row: the CLI prints the
// lines, and the admin API streams them to a CLI run beside an embedded service (which holds
// the database), so both show the same report.

export type ReplayRunOptions = { actor: Actor; includeUnauthorized: boolean; dryRun: boolean }
export type ReplayTally = { selected: number; accepted: number; refused: number; skipped: number }
/** POST /admin/postbacks/replay's answer, a JSON object per line: the lines, then the tally. */
export type ReplayStreamLine = { line: string } | { tally: ReplayTally } | { error: string }

/** Replays each selected refusal in turn (its own transaction), yielding a line about each. */
export async function* replayRun(
  deps: ReplayDeps,
  filter: ReplayFilter,
  options: ReplayRunOptions,
  tally: ReplayTally,
): AsyncGenerator<string> {
  const { actor, includeUnauthorized, dryRun } = options
  const by = actorText(actor)
  if (!dryRun)
    yield includeUnauthorized
      ? `replaying as ${by}, including requests whose caller was never verified: those are trusted as your input`
      : `replaying as ${by}: only requests whose caller was verified when they arrived`
  for await (const stored of selectRefusals(deps.pool, filter)) {
    tally.selected += 1
    const head = `#${stored.id} ${stored.receivedAt.toISOString()} ${stored.network ?? '-'} tx ${stored.txId ?? '-'} ${stored.outcome}`
    if (stored.acceptedReplay) {
      tally.accepted += 1
      yield `${head} -> already replayed as #${stored.acceptedReplay.id} (${stored.acceptedReplay.outcome})`
      continue
    }
    if (dryRun) {
      yield stored.callerVerified || includeUnauthorized
        ? `${head} -> would replay${stored.callerVerified ? '' : ' (caller not verified)'}`
        : `${head} -> would skip unless re-verified: ${unverifiedMessage(stored.outcome)}`
      continue
    }
    const result = await replayOne(deps, stored, { actor, includeUnauthorized })
    if (result.kind === 'skipped') {
      tally.skipped += 1
      yield `${head} -> skipped: ${result.message}`
    } else if (result.statusCode === 200) {
      tally.accepted += 1
      const points =
        result.points === 0n ? '' : `, ${result.points > 0n ? '+' : ''}${result.points} points`
      const queued = result.deliveries === 0 ? '' : `, ${result.deliveries} delivery(ies) queued`
      yield `${head} -> ${result.outcome} (conversion ${result.conversionId ?? '-'}${points}${queued}) [log #${result.replayLogId}]`
    } else {
      tally.refused += 1
      yield `${head} -> still refused: ${result.statusCode} ${result.outcome} ${result.message} [log #${result.replayLogId}]`
    }
  }
}
