import type { Preset } from './preset.js'

export const notik: Preset = {
  title: 'Notik',
  source: 'third-party',
  notes:
    'hash = hex(HMAC-SHA1(secret, the URL as received before "&hash=")), as BitLabs, from third-party handlers only: set PUBLIC_URL to the exact scheme and host Notik calls and put the hash last. A negative amount is a chargeback of the same txn_id (UNCONFIRMED; rewarded_txn_id was also seen and is not interpreted). Answers 1. The IP comes from a third-party comment.',
  suggestedIps: ['192.53.121.112'],
  profile: {
    params: {
      tx_id: 'txn_id',
      user_id: 'user_id',
      reward: 'amount',
      payout: 'payout',
      offer_id: 'offer_id',
      ip: 'conversion_ip',
      datetime: 'date',
    },
    required: ['tx_id', 'user_id', 'reward'],
    signature: { kind: 'hmac_url', alg: 'sha1', param: 'hash' },
    negativeAmountMeansReversal: true,
    pointsFrom: 'reward',
    answers: { success: { status: 200, body: '1' } },
  },
}
