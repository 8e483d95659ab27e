import type { Pool, PoolClient } from 'pg'
import type { Actor } from '../audit/actor.js'
import { recordAudit } from '../audit/record.js'
import { withTransaction } from '../db/transaction.js'
import { type CsvRecord, columnIndex, readCsv } from './csv.js'

// Expected payouts for many offers from a CSV, all or nothing: one transaction, upserted in
// batches as the file streams; any bad row rolls everything back and is reported by line.
// One audit row says who imported how many (not a row per offer: a file may hold 100,000).

export type OfferColumns = { offer: string; payout: string; network: string }
export type OfferImport = {
  input: AsyncIterable<string | Buffer>
  columns: OfferColumns
  /** For rows without a network column (or an empty one). */
  defaultNetwork: string
  /** Network names that exist; a row naming another one is refused. */
  knownNetworks: readonly string[]
  onProgress?: (rows: number) => void
  actor: Actor
}
export type OfferImportResult = {
  created: number
  updated: number
  /** Bad rows (at most 20 shown); when any, nothing was imported. */
  problems: string[]
  problemCount: number
}

const PAYOUT = /^\d{1,14}(\.\d{1,6})?$/
const BATCH = 1000
const SHOWN_PROBLEMS = 20

class RolledBack extends Error {}

export async function importOffers(pool: Pool, job: OfferImport): Promise<OfferImportResult> {
  const result: OfferImportResult = { created: 0, updated: 0, problems: [], problemCount: 0 }
  const problem = (text: string) => {
    result.problemCount += 1
    if (result.problems.length < SHOWN_PROBLEMS) result.problems.push(text)
  }
  try {
    await withTransaction(pool, async (client) => {
      let indexes: { offer: number; payout: number; network: number } | undefined
      let rows = 0
      // The last row for an offer wins, within a batch and (through the upsert) across them.
      let batch = new Map<string, [string, string, string]>()
      for await (const records of readCsv(job.input)) {
        for (const record of records) {
          if (!indexes) {
            indexes = headerIndexes(record.fields, job.columns)
            continue
          }
          rows += 1
          const offer = parseRow(record, indexes, job, problem)
          if (offer) batch.set(`${offer[0]}\u0000${offer[1]}`, offer)
        }
        if (batch.size >= BATCH) {
          if (result.problemCount === 0) await upsert(client, [...batch.values()], result)
          batch = new Map()
        }
        job.onProgress?.(rows)
      }
      if (!indexes) throw new Error('the file is empty: expected a header row')
      if (result.problemCount === 0) await upsert(client, [...batch.values()], result)
      if (result.problemCount > 0) throw new RolledBack()
      await recordAudit(client, {
        actor: job.actor,
        action: 'offers.import',
        subject: { type: 'offers', id: job.defaultNetwork },
        after: { rows, created: result.created, updated: result.updated },
      })
    })
  } catch (error) {
    if (!(error instanceof RolledBack)) throw error
    result.created = 0
    result.updated = 0
  }
  return result
}

function headerIndexes(header: string[], columns: OfferColumns) {
  const offer = columnIndex(header, columns.offer)
  const payout = columnIndex(header, columns.payout)
  const missing = [offer === -1 && columns.offer, payout === -1 && columns.payout].filter(Boolean)
  if (missing.length > 0) {
    throw new Error(
      `the header has no column ${missing.join(' or ')} (columns: ${header.join(', ')}); name them with --offer-col/--payout-col`,
    )
  }
  return { offer, payout, network: columnIndex(header, columns.network) }
}

function parseRow(
  record: CsvRecord,
  indexes: { offer: number; payout: number; network: number },
  job: OfferImport,
  problem: (text: string) => void,
): [string, string, string] | null {
  const offer = record.fields[indexes.offer]?.trim() ?? ''
  const payout = record.fields[indexes.payout]?.trim() ?? ''
  const network =
    (indexes.network === -1 ? '' : record.fields[indexes.network]?.trim()) || job.defaultNetwork
  if (offer === '' || offer.length > 255) {
    problem(`line ${record.line}: the offer id is empty or longer than 255 characters`)
  } else if (!PAYOUT.test(payout)) {
    problem(
      `line ${record.line}: expected payout "${payout.slice(0, 40)}" is not a plain decimal such as 3.50`,
    )
  } else if (!job.knownNetworks.includes(network)) {
    problem(
      `line ${record.line}: unknown network "${network.slice(0, 64)}" (configured: ${job.knownNetworks.join(', ')})`,
    )
  } else return [network, offer, payout]
  return null
}

async function upsert(
  client: PoolClient,
  offers: [string, string, string][],
  result: OfferImportResult,
) {
  if (offers.length === 0) return
  const { rows } = await client.query<{ created: boolean }>(
    `INSERT INTO offers (network, offer_id, expected_payout)
     SELECT * FROM unnest($1::text[], $2::text[], $3::numeric[])
     ON CONFLICT (network, offer_id)
       DO UPDATE SET expected_payout = EXCLUDED.expected_payout, updated_at = now()
     RETURNING (xmax = 0) AS created`,
    [offers.map((o) => o[0]), offers.map((o) => o[1]), offers.map((o) => o[2])],
  )
  for (const row of rows) {
    if (row.created) result.created += 1
    else result.updated += 1
  }
}
