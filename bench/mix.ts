// A realistic postback mix against the running service: ~83% unique approvals, ~10% repeats of
// earlier approvals, ~5% reversals of earlier approvals, ~2% wrong secrets; users drawn from
// 1,000 with ~10% of the traffic on 10 hot users. Each response is counted per kind and status.
import autocannon from 'autocannon'
import { SECRET } from './service.js'

export type Kind = 'approval' | 'duplicate' | 'reversal' | 'bad-secret'
export const USERS = 1000
const HOT_USERS = 10

type Context = { kind?: Kind; txId?: string }

export type MixResult = {
  result: autocannon.Result
  /** kind -> status code -> responses */
  statuses: Record<Kind, Record<number, number>>
}

/** `base`: one instance, or several that share the connections round-robin. */
export async function driveMix(base: string | string[], connections: number, seconds: number) {
  const statuses: MixResult['statuses'] = {
    approval: {},
    duplicate: {},
    reversal: {},
    'bad-secret': {},
  }
  const approved: string[] = [] // tx ids whose approval was answered 200
  const reversible: string[] = [] // of those, not yet picked for a reversal
  let sequence = 0

  const pickKind = (): Kind => {
    const r = Math.random()
    if (approved.length > 0 && r < 0.1) return 'duplicate'
    if (reversible.length > 0 && r < 0.15) return 'reversal'
    if (r >= 0.98) return 'bad-secret'
    return 'approval'
  }
  const pickUser = () =>
    Math.random() < 0.1 ? Math.floor(Math.random() * HOT_USERS) : Math.floor(Math.random() * USERS)

  const result = await autocannon({
    // autocannon spreads connections over an array of URLs; its types only know one.
    url: base as string,
    connections,
    duration: seconds,
    requests: [
      {
        setupRequest(request, context) {
          const kind = pickKind()
          let txId: string
          let status = 'approved'
          let secret = SECRET
          if (kind === 'duplicate') {
            txId = approved[Math.floor(Math.random() * approved.length)] as string
          } else if (kind === 'reversal') {
            const i = Math.floor(Math.random() * reversible.length)
            txId = reversible[i] as string
            reversible[i] = reversible[reversible.length - 1] as string
            reversible.pop()
            status = 'reversed'
          } else {
            sequence += 1
            txId = `${sequence}`
            if (kind === 'bad-secret') secret = 'wrong-secret-0123456789'
          }
          // The user rides in the tx id so a repeat or reversal names the same user.
          const user =
            kind === 'approval' || kind === 'bad-secret' ? pickUser() : txId.split('-')[1]
          const id = kind === 'approval' || kind === 'bad-secret' ? `mix-${user}-${txId}` : txId
          const ctx = context as Context
          ctx.kind = kind
          ctx.txId = id
          request.path = `/api/postback?tx_id=${id}&offer_id=7&payout=3.50&user_id=user-${user}&status=${status}&secret=${secret}`
          return request
        },
        onResponse(status, _body, context) {
          // One request in flight per connection: its context names the request just answered.
          const { kind, txId } = context as Required<Context>
          const counts = statuses[kind]
          counts[status] = (counts[status] ?? 0) + 1
          if (kind === 'approval' && status === 200) {
            approved.push(txId)
            reversible.push(txId)
          }
        },
      },
    ],
  })
  return { result, statuses } satisfies MixResult
}

/** "200: 1234, 403: 56" for one kind, or "none". */
export function describeStatuses(counts: Record<number, number>) {
  const parts = Object.entries(counts).map(([status, n]) => `${status}: ${n}`)
  return parts.length > 0 ? parts.join(', ') : 'none'
}

/** Statuses a correct service never gives under this mix. */
export function unexpectedStatuses(statuses: MixResult['statuses']): string[] {
  const problems: string[] = []
  for (const [kind, counts] of Object.entries(statuses) as [Kind, Record<number, number>][]) {
    for (const [code, n] of Object.entries(counts)) {
      const status = Number(code)
      if (kind === 'bad-secret' ? status !== 403 : status === 403 || status === 400) {
        problems.push(`${n} ${kind} answered ${status}`)
      }
    }
  }
  return problems
}
