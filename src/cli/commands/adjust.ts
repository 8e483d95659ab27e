import { type AdjustmentResult, adjustBalance, MAX_ADJUSTMENT } from '../../operations/adjust.js'
import { parseFlags, positionals, UsageError } from '../args.js'
import { type Command, print } from '../command.js'
import { cliActor } from '../context.js'
import { withDatabaseOrService } from '../service.js'

type AdjustmentAnswer = Omit<AdjustmentResult, 'points' | 'balance'> & {
  points: number
  balance: number
}

export const adjustCommand: Command = {
  summary: '<user> <points> --reason ...  a manual ledger adjustment (+ or -)',
  usage: `usage: postback-receiver adjust <user> <points> --reason <text> [--reference <id>] [--by <name>]

Adds (points > 0) or takes away (points < 0) whole points from a user's balance with an
'adjustment' ledger entry, in one transaction. Balances may go negative.

  --reason <text>     required: why (kept with the entry, e.g. "support ticket 4411")
  --reference <id>    makes a re-run apply at most once: the same reference with the same user
                      and points is reported as already applied; with others, refused
  --by <name>         who made it (default: your user@host)

Example: postback-receiver adjust alice -500 --reason "duplicate payout, ticket 4411"
Also: POST /admin/users/:userId/adjustments (what this command uses beside a running service
on the embedded database).`,
  async run(args) {
    const { values, positionals: given } = parseFlags(negativeAsPositional(args), {
      reason: { type: 'string' },
      reference: { type: 'string' },
      by: { type: 'string' },
    })
    const [userId = '', pointsText = ''] = positionals(given, ['user', 'points'])
    if (!/^-?\d{1,16}$/.test(pointsText) || BigInt(pointsText) === 0n) {
      throw new UsageError(`points must be a non-zero whole number such as 500 or -500`)
    }
    const points = BigInt(pointsText)
    if (points > MAX_ADJUSTMENT || points < -MAX_ADJUSTMENT)
      throw new UsageError(`points must be within ±${MAX_ADJUSTMENT}`)
    const reason = values.reason?.trim()
    if (!reason) throw new UsageError('--reason is required: say why, for the ledger')
    if (userId.length > 255 || reason.length > 500)
      throw new UsageError('user is at most 255 characters, --reason at most 500')
    const adjustment = {
      userId,
      points,
      reason,
      reference: values.reference ?? null,
      actor: cliActor(values.by),
    }
    const result = await withDatabaseOrService(
      (context) => adjustBalance(context.db.pool, adjustment),
      async (service): Promise<AdjustmentResult> => {
        const answer = await service.json<AdjustmentAnswer>(
          'POST',
          `/admin/users/${encodeURIComponent(userId)}/adjustments`,
          {
            points: points.toString(),
            reason,
            reference: values.reference,
            by: adjustment.actor.name,
          },
        )
        return { ...answer, points: BigInt(answer.points), balance: BigInt(answer.balance) }
      },
    )
    const sign = result.points > 0n ? '+' : ''
    print(
      result.duplicate
        ? `already applied: entry ${result.entryId} (${sign}${result.points} points to ${result.userId}, reference ${result.reference}); balance ${result.balance}`
        : `adjusted ${result.userId} by ${sign}${result.points} points (ledger entry ${result.entryId}); balance ${result.balance}`,
    )
    return 0
  },
}

/** "-500" is an amount, not a flag: move such arguments after "--" (keeping their order). */
function negativeAsPositional(args: string[]): string[] {
  if (args.includes('--')) return args
  const takesValue = new Set(['--reason', '--reference', '--by'])
  const flags: string[] = []
  const rest: string[] = []
  args.forEach((arg, index) => {
    const isValue = takesValue.has(args[index - 1] ?? '')
    if (!isValue && /^-\d+$/.test(arg)) rest.push(arg)
    else if (!isValue && !arg.startsWith('-') && !takesValue.has(arg)) rest.push(arg)
    else flags.push(arg)
  })
  return [...flags, '--', ...rest]
}
