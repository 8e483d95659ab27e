import type { Preset } from './preset.js'

export const torox: Preset = {
  title: 'Torox (OfferToro)',
  source: 'official',
  notes:
    'sig = md5(oid + "-" + user_id + "-" + app placement key), from the OfferToro docs; whether Torox changed it after the rebrand is UNCONFIRMED. Use the custom parameter postback with lower-case names (id, oid, user_id, amount, payout, sig); the minimal one sends OID and Amount. The signature covers neither amount nor id: set allowedIps and maxPayout. Reversal: UNCONFIRMED (none). The 1/0 answers and the IP come from third-party code.',
  suggestedIps: ['54.175.173.245'],
  setup:
    "Source: https://www.offertoro.com/docs/postback. Torox (OfferToro) > App Placements > your placement: choose the Custom Parameter Postback and paste this URL; the placement's KEY is this profile's secret. Put the suggested IP in allowedIps.",
  profile: {
    urlQuery: 'id={id}&oid={oid}&user_id={user_id}&amount={amount}&sig={sig}',
    params: {
      tx_id: 'id',
      offer_id: 'oid',
      user_id: 'user_id',
      reward: 'amount',
      payout: 'payout',
      ip: 'ip_address',
      sub1: 'subid1',
      sub2: 'subid2',
      sub3: 'subid3',
    },
    required: ['tx_id', 'offer_id', 'user_id', 'reward'],
    signature: {
      kind: 'digest_template',
      alg: 'md5',
      param: 'sig',
      template: '{oid}-{user_id}-{secret}',
    },
    pointsFrom: 'reward',
    answers: { success: { status: 200, body: '1' }, refused: { body: '0' } },
  },
}
