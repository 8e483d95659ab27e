// Unique approvals against the real service on a fresh database, then a check that every 200
// was credited exactly once. Prints throughput and latency.
//   npm run bench:load                      # real PostgreSQL at DATABASE_URL (or local default)
//   npm run bench:load -- --embedded        # embedded PGlite
//   options: --seconds 10 --connections 32 --users 1000 --rate 1000 (offered load; default: flat out)
//            --node-arg=--max-semi-space-size=8 (a Node option for the service; repeatable)
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import pg from 'pg'
import { cleanUpAll, readRss, SECRET, startService } from './service.js'

const { values: args } = parseArgs({
  options: {
    embedded: { type: 'boolean', default: false },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
    users: { type: 'string', default: '1000' },
    /** Offered load (requests/s over all connections) instead of as fast as possible. */
    rate: { type: 'string' },
    /** A Node option for the service process, e.g. --node-arg=--max-semi-space-size=8 (repeatable). */
    'node-arg': { type: 'string', multiple: true, default: [] },
  },
})

async function main() {
  const service = await startService({ embedded: args.embedded, nodeArgs: args['node-arg'] })
  let rss = 0
  let verified = 'skipped (embedded: its data directory belongs to the server process)'
  let result: autocannon.Result
  try {
    const users = Number(args.users)
    let sequence = 0
    process.stderr.write(
      `load: ${args.seconds} s, ${args.connections} connections, ${args.embedded ? 'embedded PGlite' : 'PostgreSQL'}\n`,
    )
    result = await autocannon({
      url: service.base,
      connections: Number(args.connections),
      duration: Number(args.seconds),
      ...(args.rate ? { overallRate: Number(args.rate) } : {}),
      requests: [
        {
          setupRequest(request) {
            sequence += 1
            const user = `user-${sequence % users}`
            request.path = `/api/postback?tx_id=bench-${sequence}&offer_id=7&payout=3.50&user_id=${user}&secret=${SECRET}`
            return request
          },
        },
      ],
    })

    // Verify before stopping: every 200 is a credited conversion; balances equal the ledger.
    if (service.databaseUrl) {
      const client = new pg.Client({ connectionString: service.databaseUrl })
      await client.connect()
      const { rows } = await client.query(`SELECT
        (SELECT count(*) FROM conversions)::int AS conversions,
        (SELECT count(*) FROM ledger_entries WHERE kind = 'credit')::int AS credits,
        (SELECT COALESCE(sum(points), 0) FROM balances)::bigint::text AS balances,
        (SELECT COALESCE(sum(points), 0) FROM ledger_entries)::bigint::text AS ledger`)
      await client.end()
      const row = rows[0]
      const ok2xx = result['2xx']
      const consistent =
        row.balances === row.ledger && row.credits === row.conversions && row.credits >= ok2xx
      verified = `${consistent ? 'OK' : 'FAILED'}: ${ok2xx} answered 200, ${row.conversions} conversions, ${row.credits} credits, balances ${row.balances} = ledger ${row.ledger}`
      if (!consistent) process.exitCode = 1
    }
    rss = readRss(service.pid)
  } finally {
    await service.stop()
  }

  console.log(`
| metric | value |
| --- | --- |
| database | ${args.embedded ? 'embedded PGlite' : 'PostgreSQL'} |
| connections | ${args.connections}${args.rate ? `, ${args.rate}/s offered` : ''} |
| postbacks answered 200 per second | ${Math.round(result['2xx'] / result.duration)} |
| latency p50 / p99 / max (ms) | ${result.latency.p50} / ${result.latency.p99} / ${result.latency.max} |
| non-2xx / errors / timeouts | ${result.non2xx} / ${result.errors} / ${result.timeouts} |
| service RSS at end (MiB) | ${rss} |
| verification | ${verified} |
`)
}

try {
  await main()
} finally {
  await cleanUpAll()
}
