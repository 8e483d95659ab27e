import { redactUrl } from '../../http/redact.js'
import { DEFAULT_NETWORK } from '../../networks/profile.js'
import {
  buildTestPostback,
  type TestPostback,
  TestPostbackError,
} from '../../operations/test-postback.js'
import { baseUrl } from '../../postbacks/postback-url.js'
import type { NetworkStatus } from '../../postbacks/transitions.js'
import { integerFlag, parseFlags, positionals, UsageError } from '../args.js'
import { type Command, print } from '../command.js'
import { loadNetworks } from '../context.js'
import { requireProfile } from './network.js'

const STATUSES: NetworkStatus[] = ['approved', 'pending', 'reversed']

export const sendTestCommand: Command = {
  summary: '[network]  send a correctly signed test postback to a running service',
  usage: `usage: postback-receiver send-test [network] [--url <base>] [--tx-id ID] [--offer-id ID]
         [--payout 0.01] [--reward N] [--user-id ID] [--status approved|pending|reversed]
         [--param name=value]... [--dup] [--dry-run] [--timeout-ms 5000]

Builds the postback the network would send (its parameter names, status values and way of
signalling a reversal), adds its secret or signature per its profile, sends it to a running
service and prints the answer and the outcome. The terminal's "Test Postback" button.

  --url <base>       where the service listens (default: PUBLIC_URL, else http://localhost:PORT)
  --tx-id ID         default: test-<time>-<random>; reuse one to reverse it: --status reversed
  --offer-id, --payout, --reward, --user-id   defaults: test-offer, 0.01, 1, test-user
  --status S         approved (default), pending or reversed
  --param name=value any further parameter, sent as given (repeatable)
  --dup              send it twice: the second answer must be "duplicate"
  --dry-run          print the request (with the secret or signature) and send nothing

The test user's balance really changes: use a test user id. Exit code: 0 when the service
accepted it (and, with --dup, answered duplicate the second time), 1 otherwise.`,
  async run(args) {
    const { values, positionals: given } = parseFlags(args, {
      url: { type: 'string' },
      'tx-id': { type: 'string' },
      'offer-id': { type: 'string' },
      payout: { type: 'string' },
      reward: { type: 'string' },
      'user-id': { type: 'string' },
      status: { type: 'string' },
      param: { type: 'string', multiple: true },
      dup: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      'timeout-ms': { type: 'string' },
    })
    const [network = DEFAULT_NETWORK] = positionals(given, ['network'], 0)
    const status = (values.status ?? 'approved') as NetworkStatus
    if (!STATUSES.includes(status))
      throw new UsageError(`--status expects one of ${STATUSES.join(', ')}`)
    if (values.url !== undefined && !/^https?:\/\/[^/?#\s]+$/.test(values.url))
      throw new UsageError('--url expects a scheme and host such as http://localhost:3000')
    const extra = (values.param ?? []).map((pair): [string, string] => {
      const eq = pair.indexOf('=')
      if (eq < 1) throw new UsageError(`--param expects name=value, got "${pair}"`)
      return [pair.slice(0, eq), pair.slice(eq + 1)]
    })
    const timeoutMs = integerFlag('timeout-ms', values['timeout-ms'], 100, 600_000) ?? 5000
    const { config, networks } = await loadNetworks()
    const profile = requireProfile(networks, network)
    const target = values.url ?? baseUrl(config)
    let request: TestPostback
    try {
      request = buildTestPostback(
        profile,
        {
          txId: values['tx-id'],
          offerId: values['offer-id'],
          payout: values.payout,
          reward: values.reward,
          userId: values['user-id'],
          status,
          extra,
        },
        target,
        config.PUBLIC_URL ?? target,
      )
    } catch (error) {
      if (error instanceof TestPostbackError) throw new UsageError(error.message)
      throw error
    }
    if (values['dry-run']) {
      print(describe(request))
      return 0
    }
    const first = await send(request, timeoutMs)
    if (!values.dup) return first.accepted ? 0 : 1
    const second = await send(request, timeoutMs)
    if (second.outcome !== 'duplicate')
      print(`expected the repeat to be a duplicate, got ${second.outcome}`)
    return first.accepted && second.outcome === 'duplicate' ? 0 : 1
  },
}

function describe(request: TestPostback): string {
  const lines = [`${request.method} ${request.url}`]
  for (const [name, value] of Object.entries(request.headers)) lines.push(`${name}: ${value}`)
  if (request.body !== null) lines.push('', request.body)
  return lines.join('\n')
}

async function send(request: TestPostback, timeoutMs: number) {
  print(`${request.method} ${redactedUrl(request.url)}  (tx ${request.txId})`)
  let response: Response
  try {
    response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal: AbortSignal.timeout(timeoutMs),
    })
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message
    print(`no answer: ${cause} (is the service running at that address? see --url)`)
    return { accepted: false, outcome: 'no answer' }
  }
  const body = (await response.text()).slice(0, 500)
  const outcome = response.headers.get('x-postback-outcome') ?? '-'
  print(`-> HTTP ${response.status}, outcome ${outcome}: ${body.trim()}`)
  return { accepted: response.ok, outcome }
}

/** The answer line is for screens and logs: the secret stays out of it (--dry-run shows it). */
function redactedUrl(url: string): string {
  const parsed = new URL(url)
  return `${parsed.origin}${redactUrl(`${parsed.pathname}${parsed.search}`)}`
}
