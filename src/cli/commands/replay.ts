import { DeliveryRules, loadDeliveryRules } from '../../delivery/rules.js'
import { type ReplayStreamLine, type ReplayTally, replayRun } from '../../operations/replay-run.js'
import type { ReplayFilter } from '../../operations/replay-selection.js'
import { integerFlag, parseFlags, positionals, UsageError } from '../args.js'
import { type Command, print } from '../command.js'
import { cliActor } from '../context.js'
import { jsonLines } from '../json-lines.js'
import { count, createProgress } from '../progress.js'
import { withDatabaseOrService } from '../service.js'

export const replayCommand: Command = {
  summary: '<log-id> | --since <time>  re-run refused postbacks after a configuration fix',
  usage: `usage: postback-receiver replay <postback-log-id> [--include-unauthorized] [--by <name>]
       postback-receiver replay --since <time> [--outcome CODE] [--network NAME] [--limit N]
                                [--include-unauthorized] [--dry-run] [--by <name>]

Re-runs refused postbacks stored in the postback log (GET /admin/postbacks shows their ids)
through the same parsing and recording as a live postback, with today's configuration: after
you add a missing alias, a network, or fix its statuses. Idempotent: a conversion is still
credited at most once, and a row whose replay was accepted is not replayed again. The original
log row stays; each replay adds a row with replay_of = the original and replayed_by = you.

Trust: each log row records whether its caller was verified (secret or signature, source
address) before it was refused. Those rows (a missing field, an invalid status ...) replay by
default. Rows refused before verification (415, 413, UNKNOWN_NETWORK, INVALID_BODY, BAD_SECRET,
BAD_SIGNATURE, IP_NOT_ALLOWED, HTTPS_REQUIRED ...) are skipped: their secrets were redacted
when stored, so nothing shows the network sent them (unless today's profile needs no secret
and allows the stored source address). --include-unauthorized replays them on your word; use
it only when you know they were genuine.

Deliveries: a replay queues the DELIVERY_RULES_FILE deliveries its outcome matches, as a live
postback does; the service's (or npm run worker's) delivery worker sends them on its next poll.

  --since <time>      refusals received at or after this time (2026-11-25, 2026-11-25T08:00; UTC
                      unless the time has an offset)
  --outcome CODE      only this refusal code, e.g. MISSING_FIELD or UNKNOWN_NETWORK
  --network NAME      only postbacks that named this network
  --limit N           at most N rows (default 10000)
  --include-unauthorized  also replay rows whose caller was never verified (see Trust)
  --dry-run           list what would be replayed, change nothing
  --by <name>         who is replaying (default: your user@host)

Exit code: 0 when every selected postback is now accepted, 1 otherwise.
Also: POST /admin/postbacks/replay (streams this report).`,
  async run(args) {
    const { values, positionals: given } = parseFlags(args, {
      since: { type: 'string' },
      outcome: { type: 'string' },
      network: { type: 'string' },
      limit: { type: 'string' },
      'include-unauthorized': { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      by: { type: 'string' },
    })
    const [id] = positionals(given, ['postback-log-id'], 0)
    const filter = replayFilter(id, values)
    const actor = cliActor(values.by)
    const progress = createProgress()
    const tally: ReplayTally = { accepted: 0, refused: 0, skipped: 0, selected: 0 }
    const options = {
      actor,
      includeUnauthorized: values['include-unauthorized'] ?? false,
      dryRun: values['dry-run'] ?? false,
    }
    const report = (line: string, selected: number) => {
      print(line)
      progress.update(`replayed ${count(selected)} postbacks`)
    }
    await withDatabaseOrService(
      async (context) => {
        // This process has no worker to wake: the service's worker picks them up on its poll.
        const deps = {
          pool: context.db.pool,
          config: context.config,
          networks: await context.networks(),
          deliveries: {
            rules: new DeliveryRules(await loadDeliveryRules(context.config)),
            wake() {},
          },
        }
        for await (const line of replayRun(deps, filter, options, tally))
          report(line, tally.selected)
      },
      async (service) => {
        const body =
          'id' in filter ? { id: filter.id } : { ...filter, since: filter.since.toISOString() }
        const response = await service.request('POST', '/admin/postbacks/replay', {
          ...body,
          includeUnauthorized: options.includeUnauthorized,
          dryRun: options.dryRun,
          by: actor.name,
        })
        let finished = false
        let lines = 0
        for await (const answer of jsonLines<ReplayStreamLine>(response.body)) {
          // The service counts; its tally comes last. Meanwhile, a line is about a row.
          if ('line' in answer) {
            lines += 1
            report(answer.line, lines)
          } else if ('tally' in answer) {
            Object.assign(tally, answer.tally)
            finished = true
          } else throw new Error(answer.error)
        }
        if (!finished)
          throw new Error(
            `the running service's answer ended before the replay did (pid ${service.pid} stopped?): the rows shown are done; run the command again for the rest`,
          )
      },
    )
    progress.done()
    if ('id' in filter && tally.selected === 0) throw new Error(`no postback log row ${filter.id}`)
    if (values['dry-run']) {
      print(`${count(tally.selected)} postback(s) selected; nothing changed (--dry-run)`)
      return 0
    }
    print(
      tally.selected === 0
        ? 'nothing to replay'
        : `${count(tally.selected)} selected: ${count(tally.accepted)} accepted, ${count(tally.refused)} still refused, ${count(tally.skipped)} skipped`,
    )
    return tally.refused + tally.skipped === 0 ? 0 : 1
  },
}

function replayFilter(
  id: string | undefined,
  values: { since?: string; outcome?: string; network?: string; limit?: string },
): ReplayFilter {
  if (id !== undefined) {
    if (!/^\d{1,18}$/.test(id))
      throw new UsageError(`postback-log-id must be a number, got "${id}"`)
    if (values.since || values.outcome || values.network)
      throw new UsageError('give either a postback-log-id or --since (with --outcome/--network)')
    return { id }
  }
  if (!values.since) throw new UsageError('give a postback-log-id, or --since for many')
  // A time without an offset is UTC (JavaScript would read it as local time).
  const zoned = /T\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(values.since) ? `${values.since}Z` : values.since
  const since = new Date(zoned)
  if (!/^\d{4}-\d{2}-\d{2}/.test(values.since) || Number.isNaN(since.getTime()))
    throw new UsageError(
      `--since expects a date or ISO time such as 2026-11-25 or 2026-11-25T08:00Z`,
    )
  return {
    since,
    outcome: values.outcome,
    network: values.network,
    limit: integerFlag('limit', values.limit, 1, 10_000_000) ?? 10_000,
  }
}
