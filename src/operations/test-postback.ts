import { randomBytes } from 'node:crypto'
import type { NetworkProfile } from '../networks/profile.js'
import { expectedSignature, type SignedRequest } from '../networks/signature.js'
import type { NetworkStatus } from '../postbacks/transitions.js'

// A test postback as the network itself would send it: its parameter names, a status value it
// uses, its way of saying "reversed", and its signature (from the profile's signature spec).

export type TestPostbackFields = {
  txId?: string
  offerId?: string
  payout?: string
  reward?: string
  userId?: string
  status: NetworkStatus
  /** Further parameters, name=value, sent as given (they override the built ones). */
  extra: [string, string][]
}

export type TestPostback = {
  method: 'GET' | 'POST'
  /** The full URL, secret or signature included. */
  url: string
  headers: Record<string, string>
  body: string | null
  txId: string
}

export class TestPostbackError extends Error {}

/**
 * Builds the request for `target` (scheme://host[:port] the CLI sends to). `signedBase` is the
 * scheme and host the service checks URL signatures against (its PUBLIC_URL).
 */
export function buildTestPostback(
  profile: NetworkProfile,
  fields: TestPostbackFields,
  target: string,
  signedBase: string,
): TestPostback {
  const txId = fields.txId ?? `test-${Date.now()}-${randomBytes(3).toString('hex')}`
  const pairs = new Map<string, string>()
  const set = (field: keyof NetworkProfile['params'], value: string | undefined) => {
    const name = profile.params[field][0]
    if (value === undefined) return
    if (!name) throw new TestPostbackError(`network ${profile.name} has no ${field} parameter`)
    pairs.set(name, value)
  }
  const reversed = fields.status === 'reversed'
  const negate = (amount: string) =>
    reversed && profile.negativeAmountMeansReversal ? `-${amount}` : amount
  set(
    'tx_id',
    reversed && profile.reversalTxIdPrefix ? `${profile.reversalTxIdPrefix}${txId}` : txId,
  )
  if (profile.params.offer_id[0]) set('offer_id', fields.offerId ?? 'test-offer')
  const payout = fields.payout ?? (profile.pointsFrom === 'payout' ? '0.01' : undefined)
  if (payout !== undefined) set('payout', negate(payout))
  const reward = fields.reward ?? (profile.pointsFrom === 'reward' ? '1' : undefined)
  if (reward !== undefined) set('reward', negate(reward))
  set(profile.params.user_id[0] ? 'user_id' : 'sub1', fields.userId ?? 'test-user')
  setStatus(profile, fields.status, (value) => set('status', value))
  if (reversed && profile.reversalTxIdParam) pairs.set(profile.reversalTxIdParam, txId)
  for (const [name, value] of fields.extra) pairs.set(name, value)
  return sign(profile, [...pairs], target, signedBase, txId)
}

function setStatus(profile: NetworkProfile, wanted: NetworkStatus, set: (value: string) => void) {
  const value = [...profile.statuses].find(([, status]) => status === wanted)?.[0]
  if (value !== undefined && profile.params.status[0]) return set(value)
  if (wanted === 'approved') return // no status at all means approved
  const other =
    wanted === 'reversed' && (profile.negativeAmountMeansReversal || profile.reversalTxIdPrefix)
  if (!other) {
    throw new TestPostbackError(`network ${profile.name} has no status value for ${wanted}`)
  }
}

function sign(
  profile: NetworkProfile,
  pairs: [string, string][],
  target: string,
  signedBase: string,
  txId: string,
): TestPostback {
  const spec = profile.signature
  const secret = profile.secrets[0] ?? ''
  const path = profile.name === 'default' ? '/api/postback' : `/api/postback/${profile.name}`
  const headers: Record<string, string> = {}
  // Networks that sign the raw body POST a form; the others send everything in the query.
  const method = spec.kind === 'hmac_body' ? 'POST' : 'GET'
  let query = method === 'GET' ? new URLSearchParams(pairs).toString() : ''
  const body = method === 'POST' ? new URLSearchParams(pairs).toString() : null
  if (body !== null) headers['content-type'] = 'application/x-www-form-urlencoded'
  const place = (name: string | undefined, header: string | undefined, value: string) => {
    const pair = new URLSearchParams([[name ?? '', value]]).toString()
    if (name) query = query ? `${query}&${pair}` : pair
    else if (header) headers[header] = value
  }
  if (spec.kind === 'static_token') place(spec.param, spec.header, secret)
  else if (spec.kind !== 'none') {
    const request: SignedRequest = {
      publicBaseUrl: signedBase,
      rawUrl: query ? `${path}?${query}` : path,
      params: new Map(pairs.map(([name, value]) => [name, [value]])),
      rawBody: body,
      headers: {},
    }
    const signature = expectedSignature(spec, request, secret)
    // Appended last: an hmac_url signature covers everything before it.
    place(spec.param, 'header' in spec ? spec.header : undefined, signature)
  }
  return { method, url: `${target}${path}${query ? `?${query}` : ''}`, headers, body, txId }
}
