import type { Preset } from './preset.js'

export const adgem: Preset = {
  title: 'AdGem (v2 GET postback)',
  source: 'official',
  notes:
    "verifier = hex(HMAC-SHA256(postback key, scheme://host/path?query without verifier)): set PUBLIC_URL to the exact scheme and host AdGem calls. AdGem re-serialises the query with RFC 3986 encoding; we hash the query as received minus the verifier pair, which is the same while every value in the URL (yours included) is rawurlencode()d. The transaction id macro name was not retrieved: transaction_id is assumed (UNCONFIRMED, check a real callback). No reversal is documented. The OK answer and 403 refusals follow the official sample (which answers 422 on a bad verifier); AdGem's required answer is UNCONFIRMED. AdGem gives each account one whitelist IP: put it in allowedIps. v3 (POST JSON, Signature header) is not this preset.",
  profile: {
    params: {
      tx_id: 'transaction_id',
      user_id: 'player_id',
      reward: 'amount',
      payout: 'payout',
      offer_id: 'campaign_id',
      datetime: 'conversion_datetime',
    },
    required: ['tx_id', 'user_id', 'reward'],
    signature: { kind: 'hmac_url', alg: 'sha256', param: 'verifier', strip: 'remove_param' },
    pointsFrom: 'reward',
  },
}
