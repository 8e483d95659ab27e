import type { Preset } from './preset.js'

export const ayetstudios: Preset = {
  title: 'ayeT-Studios',
  source: 'official',
  notes:
    'X-Ayetstudios-Security-Hash = hex(HMAC-SHA256(API key, parameters sorted by name as a query string)). Reversal callbacks: transaction_id prefixed r-, is_chargeback=1, negative currency_amount.',
  setup:
    "Source: https://docs.ayetstudios.com/v/product-docs/callbacks-and-testing/callbacks/offerwall-callbacks and .../callback-verification/hmac-security-hash-optional. ayeT publisher dashboard > your placement: paste as the callback URL; enable Reversal Callbacks on the placement to receive chargebacks. The X-Ayetstudios-Security-Hash header is keyed with your publisher API key (dashboard > settings): that is this profile's secret.",
  profile: {
    urlQuery:
      'transaction_id={transaction_id}&external_identifier={external_identifier}&currency_amount={currency_amount}&payout_usd={payout_usd}&is_chargeback={is_chargeback}',
    params: {
      tx_id: 'transaction_id',
      user_id: 'external_identifier',
      reward: 'currency_amount',
      payout: 'payout_usd',
      status: 'is_chargeback',
      offer_id: 'offer_id',
    },
    required: ['tx_id', 'user_id', 'reward'],
    signature: {
      kind: 'hmac_sorted_params',
      alg: 'sha256',
      header: 'x-ayetstudios-security-hash',
    },
    statuses: { approved: ['0'], reversed: ['1'] },
    negativeAmountMeansReversal: true,
    reversalTxIdPrefix: 'r-',
    pointsFrom: 'reward',
  },
}
