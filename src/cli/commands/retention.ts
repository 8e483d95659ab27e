import { applyRetention } from '../../operations/retention.js'
import { integerFlag, parseFlags, positionals, UsageError } from '../args.js'
import { type Command, print } from '../command.js'
import { confirm } from '../confirm.js'
import { withContext } from '../context.js'
import { count, createProgress } from '../progress.js'

export const retentionCommand: Command = {
  summary: '--postback-log-days N --anonymize-ip-days M  delete old log rows, anonymize IPs',
  usage: `usage: postback-receiver retention [--postback-log-days N] [--anonymize-ip-days M] [--batch-size B]
                                  [--dry-run] [--yes]

  --postback-log-days N   delete postback_log rows (the raw requests) older than N days
  --anonymize-ip-days M   anonymize IP addresses older than M days: source IPs and
                          conversions' ip (IPv4 -> x.y.z.0, IPv6 -> its /48), X-Forwarded-For
                          removed, IPv4 addresses in stored query strings and bodies cut to /24
  --batch-size B          rows per statement (default 1000)
  --dry-run               count what would be deleted and anonymized; change nothing
  --yes                   do it without asking (cron, scripts): on a terminal the command
                          asks first; without one it refuses unless given --yes

At least one of the first two. Works in short batches (no long locks; safe while the service
runs) and can be re-run at any time. Conversions and the ledger are never deleted.
The service can do the same on a timer: RETENTION_POSTBACK_LOG_DAYS, RETENTION_ANONYMIZE_IP_DAYS.`,
  async run(args) {
    const { values, positionals: given } = parseFlags(args, {
      'postback-log-days': { type: 'string' },
      'anonymize-ip-days': { type: 'string' },
      'batch-size': { type: 'string' },
      'dry-run': { type: 'boolean' },
      yes: { type: 'boolean' },
    })
    positionals(given, [])
    const postbackLogDays = integerFlag('postback-log-days', values['postback-log-days'], 1, 36_500)
    const anonymizeIpDays = integerFlag('anonymize-ip-days', values['anonymize-ip-days'], 0, 36_500)
    const batchSize = integerFlag('batch-size', values['batch-size'], 1, 100_000)
    if (postbackLogDays === undefined && anonymizeIpDays === undefined)
      throw new UsageError('give --postback-log-days, --anonymize-ip-days or both')
    const dryRun = values['dry-run'] ?? false
    if (!dryRun && !values.yes) {
      const what = [
        postbackLogDays === undefined
          ? ''
          : `delete postback log rows older than ${postbackLogDays} days`,
        anonymizeIpDays === undefined
          ? ''
          : `anonymize IP addresses older than ${anonymizeIpDays} days`,
      ]
        .filter(Boolean)
        .join(' and ')
      const yes = await confirm(
        `This will ${what}, for good (--dry-run counts them first). Go ahead?`,
        `this would ${what}, for good: confirm with --yes (nobody can answer a question here: stdin is not a terminal), or count them first with --dry-run`,
      )
      if (!yes) {
        print('nothing changed')
        return 1
      }
    }
    const progress = createProgress()
    const result = await withContext((context) =>
      applyRetention(context.db.pool, {
        postbackLogDays,
        anonymizeIpDays,
        batchSize,
        dryRun,
        onProgress: (text) => progress.update(text),
      }),
    )
    progress.done()
    const [deleted, anonymized] = dryRun
      ? ['would delete', 'would anonymize']
      : ['deleted', 'anonymized']
    if (postbackLogDays !== undefined)
      print(
        `${deleted} ${count(result.deletedLogRows)} postback log rows older than ${postbackLogDays} days`,
      )
    if (anonymizeIpDays !== undefined)
      print(
        `${anonymized} IP addresses older than ${anonymizeIpDays} days in ${count(result.anonymizedLogRows)} postback log rows and ${count(result.anonymizedConversions)} conversions`,
      )
    if (dryRun) print('nothing changed (--dry-run)')
    return 0
  },
}
