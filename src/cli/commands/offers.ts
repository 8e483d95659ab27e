import { createReadStream } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { DEFAULT_NETWORK } from '../../networks/profile.js'
import {
  importOffers,
  type OfferColumns,
  type OfferImportResult,
} from '../../operations/import-offers.js'
import { parseFlags, positionals, UsageError } from '../args.js'
import { type Command, print } from '../command.js'
import { cliActor } from '../context.js'
import { count, createProgress } from '../progress.js'
import { type RunningService, ServiceAnswerError, withDatabaseOrService } from '../service.js'

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
The last row for an offer wins. Also: POST /admin/offers/import.`,
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
    const defaultNetwork = values.network ?? DEFAULT_NETWORK
    const columns = {
      offer: values['offer-col'] ?? 'offer_id',
      payout: values['payout-col'] ?? 'expected_payout',
      network: values['network-col'] ?? 'network',
    }
    const result = await withDatabaseOrService(
      async (context) => {
        const networks = await context.networks()
        if (!networks.get(defaultNetwork))
          throw new UsageError(
            `unknown network "${defaultNetwork}"; configured: ${networks.names().join(', ')}`,
          )
        return importOffers(context.db.pool, {
          input: createReadStream(file, { encoding: 'utf8' }),
          columns,
          defaultNetwork,
          knownNetworks: networks.names(),
          actor: cliActor(undefined),
          onProgress: (rows) => progress.update(`reading ${file}: ${count(rows)} rows`),
        })
      },
      (service) =>
        importThroughService(service, file, defaultNetwork, columns, cliActor(undefined).name),
    )
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

// JSON admin bodies are at most 1 MiB; escaping may grow the text a little.
const MAX_SENT_CSV = 1_000_000

/** POST /admin/offers/import: the same result, the running service doing the import. */
async function importThroughService(
  service: RunningService,
  file: string,
  network: string,
  columns: OfferColumns,
  by: string,
): Promise<OfferImportResult> {
  if ((await stat(file)).size > MAX_SENT_CSV)
    throw new Error(
      `${file} is larger than the running service's admin API takes (1 MB): stop the service for the import, or import it in parts`,
    )
  const csv = await readFile(file, 'utf8')
  const body = {
    csv,
    network,
    offerCol: columns.offer,
    payoutCol: columns.payout,
    networkCol: columns.network,
    by,
  }
  try {
    const imported = await service.json<{ created: number; updated: number }>(
      'POST',
      '/admin/offers/import',
      body,
    )
    return { ...imported, problems: [], problemCount: 0 }
  } catch (error) {
    if (!(error instanceof ServiceAnswerError)) throw error
    if (error.code === 'UNKNOWN_NETWORK') throw new UsageError(error.message)
    if (error.code !== 'OFFERS_NOT_IMPORTED') throw error
    const refused = error.body as { problems: string[]; problemCount: number }
    return {
      created: 0,
      updated: 0,
      problems: refused.problems,
      problemCount: refused.problemCount,
    }
  }
}
