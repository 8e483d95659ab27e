import { applyRetention } from '../../operations/retention.js'
import { integerFlag, parseFlags, positionals, UsageError } from '../args.js'
import { type Command, print } from '../command.js'
import { withContext } from '../context.js'
import { count, createProgress } from '../progress.js'

export const retentionCommand: Command = {
  summary: '--postback-log-days N --anonymize-ip-days M  delete old log rows, anonymize IPs',
  usage: `usage: postback-receiver retention [--postback-log-days N] [--anonymize-ip-days M] [--batch-size B]

  --postback-log-days N   delete postback_log rows (the raw requests) older than N days
  --anonymize-ip-days M   anonymize IP addresses older than M days: source IPs and
                          conversions' ip (IPv4 -> x.y.z.0, IPv6 -> its /48), X-Forwarded-For
                          removed, IPv4 addresses in stored query strings and bodies cut to /24
  --batch-size B          rows per statement (default 1000)

At least one of the first two. Works in short batches (no long locks; safe while the service
runs) and can be re-run at any time. Conversions and the ledger are never deleted.
The service can do the same on a timer: RETENTION_POSTBACK_LOG_DAYS, RETENTION_ANONYMIZE_IP_DAYS.`,
  async run(args) {
    const { values, positionals: given } = parseFlags(args, {
      'postback-log-days': { type: 'string' },
      'anonymize-ip-days': { type: 'string' },
      'batch-size': { type: 'string' },
    })
    positionals(given, [])
    const postbackLogDays = integerFlag('postback-log-days', values['postback-log-days'], 1, 36_500)
    const anonymizeIpDays = integerFlag('anonymize-ip-days', values['anonymize-ip-days'], 0, 36_500)
    const batchSize = integerFlag('batch-size', values['batch-size'], 1, 100_000)
    if (postbackLogDays === undefined && anonymizeIpDays === undefined)
      throw new UsageError('give --postback-log-days, --anonymize-ip-days or both')
    const progress = createProgress()
    const result = await withContext((context) =>
      applyRetention(context.db.pool, {
        postbackLogDays,
        anonymizeIpDays,
        batchSize,
        onProgress: (text) => progress.update(text),
      }),
    )
    progress.done()
    if (postbackLogDays !== undefined)
      print(
        `deleted ${count(result.deletedLogRows)} postback log rows older than ${postbackLogDays} days`,
      )
    if (anonymizeIpDays !== undefined)
      print(
        `anonymized IP addresses older than ${anonymizeIpDays} days in ${count(result.anonymizedLogRows)} postback log rows and ${count(result.anonymizedConversions)} conversions`,
      )
    return 0
  },
}
