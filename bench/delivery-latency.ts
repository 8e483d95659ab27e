// What delivery rules add to a postback's answer: the same load against the service without
// rules and with two rules per credit (a signed JSON POST and a GET with macros) to a local
// receiver, alternating so drift shows as noise. Fixed offered rate for latency, then
// unthrottled for throughput. Real PostgreSQL at DATABASE_URL (or the local default).
//   npm run bench:delivery                 # options: --seconds 8 --rate 300 --rounds 2
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import pg from 'pg'
import { cleanUpAll, SECRET, startService } from './service.js'

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    rate: { type: 'string', default: '300' },
    rounds: { type: 'string', default: '2' },
    connections: { type: 'string', default: '16' },
  },
})

// Queued only (DELIVERY_WORKER=false) isolates what the postback's own transaction pays;
// sending adds the worker's CPU and queries, which share the machine with everything else.
const VARIANTS = ['no rules', '2 rules, queued only', '2 rules, sending'] as const

type Row = { label: string; p50: number; p99: number; rate: number; max: number; extra: string }

async function main() {
  let received = 0
  const receiver = createServer((request, response) => {
    request.resume()
    request.on('end', () => {
      received += 1
      response.end('ok')
    })
  })
  receiver.listen(0, '127.0.0.1')
  await once(receiver, 'listening')
  const address = receiver.address()
  const port = typeof address === 'object' && address ? address.port : 0
  const dir = await mkdtemp(join(tmpdir(), 'pbr-bench-delivery-'))
  const rulesFile = join(dir, 'deliveries.json')
  await writeFile(
    rulesFile,
    JSON.stringify({
      rules: [
        {
          name: 'app',
          on: ['credited'],
          url: `http://127.0.0.1:${port}/app`,
          method: 'POST',
          signingSecret: 'bench-signing-secret-0123',
        },
        {
          name: 'tracker',
          on: ['credited'],
          url: `http://127.0.0.1:${port}/pb?tx={tx_id}&payout={payout}&user={user_id}`,
          payoutShare: '0.7',
        },
      ],
    }),
  )
  const rows: Row[] = []
  let sequence = 0
  try {
    for (let round = 1; round <= Number(args.rounds); round++) {
      for (const variant of VARIANTS) {
        const withRules = variant !== 'no rules'
        const label = `${variant} (round ${round})`
        const service = await startService({
          embedded: false,
          env: withRules
            ? {
                DELIVERY_RULES_FILE: rulesFile,
                DELIVERY_ALLOW_PRIVATE: 'true',
                DELIVERY_WORKER: String(variant === '2 rules, sending'),
              }
            : {},
        })
        try {
          const before = received
          const fire = (overallRate?: number) =>
            autocannon({
              url: service.base,
              connections: Number(args.connections),
              duration: Number(args.seconds),
              ...(overallRate ? { overallRate } : {}),
              requests: [
                {
                  setupRequest(request) {
                    sequence += 1
                    request.path = `/api/postback?tx_id=dl-${sequence}&offer_id=7&payout=3.50&user_id=u-${sequence % 500}&secret=${SECRET}`
                    return request
                  },
                },
              ],
            })
          process.stderr.write(`${label}: ${args.rate}/s offered for ${args.seconds} s...\n`)
          const paced = await fire(Number(args.rate))
          process.stderr.write(`${label}: unthrottled for ${args.seconds} s...\n`)
          const flat = await fire()
          const outbox = await outboxOf(service.databaseUrl ?? '')
          rows.push({
            label,
            p50: paced.latency.p50,
            p99: paced.latency.p99,
            max: paced.latency.max,
            rate: Math.round(flat['2xx'] / flat.duration),
            extra: withRules
              ? `${outbox} queued; receiver got ${received - before} during the run`
              : '-',
          })
          if (paced.non2xx + flat.non2xx > 0) process.exitCode = 1
        } finally {
          await service.stop()
        }
      }
    }
  } finally {
    receiver.close()
    await rm(dir, { recursive: true, force: true })
  }
  console.log(`
| run | p50 / p99 / max at ${args.rate}/s (ms) | unthrottled 200/s | deliveries |
| --- | --- | --- | --- |
${rows.map((r) => `| ${r.label} | ${r.p50} / ${r.p99} / ${r.max} | ${r.rate} | ${r.extra} |`).join('\n')}
`)
}

async function outboxOf(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const { rows } = await client.query<{ state: string; n: number }>(
      'SELECT state, count(*)::int AS n FROM deliveries GROUP BY state ORDER BY state',
    )
    return rows.map((r) => `${r.n} ${r.state}`).join(', ') || '0'
  } finally {
    await client.end()
  }
}

try {
  await main()
} finally {
  await cleanUpAll()
}
