import type { Preset } from './preset.js'

export const fyber: Preset = {
  title: 'Fyber / Digital Turbine Offer Wall (server-side rewarding)',
  source: 'official',
  notes:
    'sid = sha1(security token + uid + amount + _trans_id_ + pub0 + ... + pub9), plain concatenation, absent values as "" (UNCONFIRMED for absent pubX). Enable _trans_id_ in the dashboard: it is the transaction id. payout_net (optional, USD) is not signed. DT answers anything but 200 as a failure and re-sends up to 10 times. No reversal is documented. The suggested IP range is old and third-party (UNCONFIRMED); DT publishes an allowlist step whose list we could not read.',
  suggestedIps: ['146.0.239.0/24'],
  setup:
    "Source: https://docs.digitalturbine.com/dt-offer-wall/publishers/task-specific-guides/rewarding-your-users/server-side-rewarding. DT (Fyber) console > your app > Offer Wall > reward handling: choose server-side rewarding, paste this bare URL as the callback URL (DT appends ?uid=&amount=&currency_name=&currency_id=&_trans_id_=&sid= and any pub0..pub9 itself), set the security token (this profile's secret) and enable the transaction id (_trans_id_) parameter: it is the transaction id.",
  appends: [
    'uid',
    'amount',
    'currency_name',
    'currency_id',
    '_trans_id_',
    'sid',
    'pub0',
    'pub1',
    'pub2',
    'pub3',
    'pub4',
    'pub5',
    'pub6',
    'pub7',
    'pub8',
    'pub9',
    'payout_net',
  ],
  profile: {
    urlQuery: '',
    params: {
      tx_id: '_trans_id_',
      user_id: 'uid',
      reward: 'amount',
      payout: 'payout_net',
      sub1: 'pub0',
      sub2: 'pub1',
      sub3: 'pub2',
      sub4: 'pub3',
      sub5: 'pub4',
    },
    required: ['tx_id', 'user_id', 'reward'],
    signature: {
      kind: 'digest_template',
      alg: 'sha1',
      param: 'sid',
      template:
        '{secret}{uid}{amount}{_trans_id_}{pub0}{pub1}{pub2}{pub3}{pub4}{pub5}{pub6}{pub7}{pub8}{pub9}',
    },
    pointsFrom: 'reward',
  },
}
