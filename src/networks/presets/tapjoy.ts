import type { Preset } from './preset.js'

export const tapjoy: Preset = {
  title: 'Tapjoy (self-managed currency)',
  source: 'official',
  notes:
    'verifier = md5("id:snuid:currency:secret"); the colons come from Tapjoy\'s sample code. 403 stops retries. No reversal is documented.',
  setup:
    "Source: https://dev.tapjoy.com/en/support/Self-Managed-Currency. Tapjoy dashboard > Monetize > Virtual Currency > your self-managed currency: paste this bare URL as the callback URL (Tapjoy appends ?snuid=&currency=&mac_address=&id=&verifier= itself) and set the currency's secret key: that key is this profile's secret, and without it Tapjoy sends neither id nor verifier.",
  appends: ['snuid', 'currency', 'mac_address', 'id', 'verifier'],
  profile: {
    urlQuery: '',
    params: { tx_id: 'id', user_id: 'snuid', reward: 'currency' },
    required: ['tx_id', 'user_id', 'reward'],
    signature: {
      kind: 'digest_template',
      alg: 'md5',
      param: 'verifier',
      template: '{id}:{snuid}:{currency}:{secret}',
    },
    pointsFrom: 'reward',
    answers: { refused: { status: 403 } },
  },
}
