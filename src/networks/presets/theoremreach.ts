import type { Preset } from './preset.js'

export const theoremreach: Preset = {
  title: 'TheoremReach',
  source: 'third-party',
  notes:
    'hash = base64url without padding of HMAC-SHA1(secret, the callback URL without hash), from third-party handlers only: set PUBLIC_URL to the exact scheme and host TheoremReach calls. Only the hash pair is removed, so parameters after it stay signed. reversal=true reverses the same tx_id (UNCONFIRMED that the id is the same); debug=true callbacks are tests. payout is the USD value TheoremReach sends as currency. Answer and IPs: UNCONFIRMED.',
  setup:
    "Source (third-party handlers citing https://theoremreach.com/docs/server2server): TheoremReach dashboard > your app > server-to-server callback: paste this bare URL (TheoremReach appends user_id, reward, currency, tx_id, reversal, debug and hash itself); the app's secret key is this profile's secret.",
  appends: [
    'user_id',
    'reward',
    'currency',
    'tx_id',
    'hash',
    'reversal',
    'debug',
    'offer',
    'offer_name',
    'placement_id',
  ],
  profile: {
    urlQuery: '',
    params: {
      tx_id: 'tx_id',
      user_id: 'user_id',
      reward: 'reward',
      payout: 'currency',
      status: 'reversal',
      test: 'debug',
    },
    required: ['tx_id', 'user_id', 'reward'],
    signature: {
      kind: 'hmac_url',
      alg: 'sha1',
      param: 'hash',
      strip: 'remove_param',
      encoding: 'base64url',
    },
    statuses: { approved: ['false'], reversed: ['true'] },
    pointsFrom: 'reward',
  },
}
