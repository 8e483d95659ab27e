import type { Preset } from './preset.js'

export const adgem: Preset = {
  title: 'AdGem (v2 GET postback)',
  source: 'official',
  notes:
    "verifier = hex(HMAC-SHA256(postback key, scheme://host/path?query without verifier)): set PUBLIC_URL to the exact scheme and host AdGem calls. AdGem re-serialises the query with RFC 3986 encoding; we hash the query as received minus the verifier pair, which is the same while every value in the URL (yours included) is rawurlencode()d. The transaction id macro name was not retrieved: transaction_id is assumed (UNCONFIRMED, check a real callback). No reversal is documented. Install postbacks (docs.adgem.com postback-options; only when AdGem enables them) append nonpayable_install_goal=true: they are logged, never credited. Multi-reward offers send one postback per goal ({goal_id}, docs.adgem.com): the transaction id is extended with goal_id (transaction_id:goal_id), so one click's goals never collapse into one conversion. The OK answer and 403 refusals follow the official sample (which answers 422 on a bad verifier); AdGem's required answer is UNCONFIRMED. AdGem gives each account one whitelist IP: put it in allowedIps. v3 (POST JSON, Signature header) is not this preset.",
  setup:
    "Source: https://docs.adgem.com/publisher-support/web-postback-setup (macros, Postback Hashing). AdGem dashboard > Properties & Apps > Edit > Postback Options: choose Server Postback, copy the Postback Key (shown once: this profile's secret), paste this URL as the Postback URL; AdGem appends verifier itself. Keep the default GET method (POST JSON is v3, another preset). Put the whitelist IP AdGem gives you in allowedIps.",
  appends: ['verifier', 'nonpayable_install_goal'],
  profile: {
    urlQuery:
      'player_id={player_id}&transaction_id={transaction_id}&amount={amount}&payout={payout}&campaign_id={campaign_id}&goal_id={goal_id}',
    params: {
      tx_id: 'transaction_id',
      user_id: 'player_id',
      reward: 'amount',
      payout: 'payout',
      offer_id: 'campaign_id',
      datetime: 'conversion_datetime',
      // Install postbacks (enabled on request) end in &nonpayable_install_goal=true: not payable.
      test: 'nonpayable_install_goal',
    },
    required: ['tx_id', 'user_id', 'reward'],
    signature: { kind: 'hmac_url', alg: 'sha256', param: 'verifier', strip: 'remove_param' },
    pointsFrom: 'reward',
    txIdSuffixParams: ['goal_id'],
  },
}
