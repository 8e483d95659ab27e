import type { Preset } from './preset.js'

export const bitlabs: Preset = {
  title: 'BitLabs',
  source: 'official',
  notes:
    'hash = hex(HMAC-SHA1(app secret, the URL as received before "&hash=")): set PUBLIC_URL to the exact scheme and host BitLabs calls. Put the hash last. A reconciliation reverses the transaction named by ref=[%REF%]: a survey one says TYPE=RECONCILIATION; an offer one (stateful offer callbacks off) comes with an "or" transaction id, negative VAL/RAW and no TYPE (developer.bitlabs.ai/docs/offer-callbacks), so a negative amount, or a REF naming another transaction with no TYPE, is a reversal too. Tester callbacks carry debug=true.',
  setup:
    "Source: https://developer.bitlabs.ai/docs/callback-parameters, /docs/securing-callbacks-through-hashing, /docs/offer-callbacks. BitLabs Publisher Dashboard > Apps > your app > Integration > Reward Callback: paste as the callback URL (host, then these parameters); BitLabs appends &hash= itself, keyed with the app secret (this profile's secret). Add no custom parameters after it.",
  appends: ['hash', 'debug'],
  profile: {
    urlQuery: 'uid=[%UID%]&tx=[%TX%]&val=[%VAL%]&raw=[%RAW%]&type=[%TYPE%]&ref=[%REF%]',
    params: {
      tx_id: 'tx',
      user_id: 'uid',
      reward: 'val',
      payout: 'raw',
      offer_id: 'offer_id',
      status: 'type',
      test: 'debug',
    },
    required: ['tx_id', 'user_id', 'reward'],
    signature: { kind: 'hmac_url', alg: 'sha1', param: 'hash' },
    statuses: {
      approved: ['complete', 'screenout', 'start_bonus'],
      reversed: ['reconciliation'],
    },
    reversalTxIdParam: 'ref',
    reversalTxIdParamMeansReversal: true,
    negativeAmountMeansReversal: true,
    pointsFrom: 'reward',
    macroStyle: '[%X%]',
  },
}
