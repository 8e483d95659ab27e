import { createReadStream } from 'node:fs'
import { DEFAULT_NETWORK } from '../../networks/profile.js'
import { importOffers } from '../../operations/import-offers.js'
import { parseFlags, positionals, UsageError } from '../args.js'
import { type Command, print } from '../command.js'
import { cliActor, withContext } from '../context.js'
import { count, createProgress } from '../progress.js'

export const offersCommand: Command = {
  summary: "import <file.csv>  bulk-set offers' expected payouts (payout review)",
  usage: `usage: postback-receiver offers import <file.csv> [--network <name>]
         [--offer-col offer_id] [--payout-col expected_payout] [--network-col network]

Sets the expected payout of every offer in the file (a header row, then one offer per row),
as PUT /admin/offers/:offerId does for one. An approval paying more than its offer's expected
payout by over PAYOUT_TOLERANCE is held for review.

  --network <name>      the network of rows without a network column (default: default)
  --offer-col <name>    the column of offer ids (default: offer_id)
  --payout-col <name>   the column of expected payouts, plain decimals (default: expected_payout)
  --network-col <name>  the column of network names, if any (default: network)

All or nothing: if any row is bad, nothing is imported and every bad line is listed (exit 1).
The last row for an offer wins.`,
  async run(args) {
    const { values, positionals: given } = parseFlags(args, {
      network: { type: 'string' },
      'offer-col': { type: 'string' },
      'payout-col': { type: 'string' },
      'network-col': { type: 'string' },
    })
    const [action, file = ''] = positionals(given, ['action', 'file'])
    if (action !== 'import') throw new UsageError(`unknown action "${action}": expected import`)
    const progress = createProgress()
    const result = await withContext(async (context) => {
      const networks = await context.networks()
      const defaultNetwork = values.network ?? DEFAULT_NETWORK
      if (!networks.get(defaultNetwork))
        throw new UsageError(
          `unknown network "${defaultNetwork}"; configured: ${networks.names().join(', ')}`,
        )
      return importOffers(context.db.pool, {
        input: createReadStream(file, { encoding: 'utf8' }),
        columns: {
          offer: values['offer-col'] ?? 'offer_id',
          payout: values['payout-col'] ?? 'expected_payout',
          network: values['network-col'] ?? 'network',
        },
        defaultNetwork,
        knownNetworks: networks.names(),
        actor: cliActor(undefined),
        onProgress: (rows) => progress.update(`reading ${file}: ${count(rows)} rows`),
      })
    })
    progress.done()
    if (result.problemCount > 0) {
      print(`nothing imported: ${count(result.problemCount)} bad row(s)`)
      for (const problem of result.problems) print(`  ${problem}`)
      if (result.problemCount > result.problems.length)
        print(`  … and ${count(result.problemCount - result.problems.length)} more`)
      return 1
    }
    print(
      `imported ${count(result.created + result.updated)} offers: ${count(result.created)} new, ${count(result.updated)} updated`,
    )
    return 0
  },
}
