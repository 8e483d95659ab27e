import type { Preset } from './preset.js'

export const notik: Preset = {
  title: 'Notik',
  source: 'third-party',
  notes:
    'hash = hex(HMAC-SHA1(secret, the URL as received before "&hash=")), as BitLabs, from third-party handlers only: set PUBLIC_URL to the exact scheme and host Notik calls and put the hash last. A negative amount is a chargeback of the same txn_id (UNCONFIRMED; rewarded_txn_id was also seen and is not interpreted). Answers 1. The IP comes from a third-party comment.',
  suggestedIps: ['192.53.121.112'],
  setup:
    "Source (third-party handlers; the official notik.me docs were not retrieved): Notik publisher dashboard > your app > postback URL: paste it; Notik appends &hash= itself, keyed with the app secret (this profile's secret). Add nothing after it.",
  appends: ['hash'],
  profile: {
    urlQuery:
      'user_id={user_id}&txn_id={txn_id}&amount={amount}&payout={payout}&offer_id={offer_id}&conversion_ip={conversion_ip}',
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
