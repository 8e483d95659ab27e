import type { Preset } from './preset.js'

export const kiwiwall: Preset = {
  title: 'Kiwiwall',
  source: 'official',
  notes:
    'signature = md5("sub_id:amount:secret"), over the amount as sent (negative on chargebacks). A chargeback (status=2, negative amount) may come under its own trans_id ("unique for each transaction"): it reverses that trans_id if it was credited, else the same user\'s conversion of the same offer_id (the earliest with the same amount, else the earliest; a retried chargeback finds the same one). Answers 1 / 0.',
  suggestedIps: ['34.193.235.172'],
  setup:
    'Source: https://www.kiwiwall.com/postback-documentation. Kiwiwall publisher panel > your app: paste as the postback URL; the app\'s "Secret Key" button shows this profile\'s secret. Put 34.193.235.172 in allowedIps.',
  profile: {
    urlQuery:
      'status={status}&trans_id={trans_id}&sub_id={sub_id}&amount={amount}&gross={gross}&offer_id={offer_id}&signature={signature}',
    params: {
      tx_id: 'trans_id',
      user_id: 'sub_id',
      reward: 'amount',
      payout: 'gross',
      offer_id: 'offer_id',
      status: 'status',
    },
    required: ['tx_id', 'user_id', 'reward'],
    signature: {
      kind: 'digest_template',
      alg: 'md5',
      param: 'signature',
      template: '{sub_id}:{amount}:{secret}',
    },
    statuses: { approved: ['1'], reversed: ['2'] },
    negativeAmountMeansReversal: true,
    reversalLink: 'offer_id',
    pointsFrom: 'reward',
    answers: { success: { status: 200, body: '1' }, refused: { body: '0' } },
  },
}
