import type { Preset } from './preset.js'

export const admost: Preset = {
  title: 'AdMost (server-to-server rewarded callback)',
  source: 'official',
  notes:
    'verifier = md5(app_id + app_user_id + currency + event_id + network + reward + created_at + S2S verification token), lowercase hex, no separators. AdMost calls the endpoint you give it with its own parameters (a bare URL): app_id, app_user_id, created_at (epoch), currency (the in-game currency name), reward (the in-game amount: points, pointsPerUnit 1), custom_data, event_id (unique per callback: the transaction), network (the ad network that showed the ad, signed; it does not route, the path names this network), verifier, activity_kind. Rewarded videos carry no payout and no reversal. The expected answer and retries are not in the retrieved page (UNCONFIRMED): 200 OK is given. No IPs are published.',
  setup:
    "Source: https://admost.github.io/amrapi/server-to-server. AdMost dashboard > My Apps > Edit App: enable S2S, paste this bare URL as the endpoint and generate the customer S2S verification token (this profile's secret); then edit the rewarded zone and activate S2S there. app_user_id is the user id your app sets in the AdMost SDK.",
  appends: [
    'app_id',
    'app_user_id',
    'created_at',
    'currency',
    'reward',
    'custom_data',
    'event_id',
    'network',
    'verifier',
    'activity_kind',
  ],
  profile: {
    urlQuery: '',
    params: {
      tx_id: 'event_id',
      user_id: 'app_user_id',
      reward: 'reward',
      currency: 'currency',
      offer_id: 'app_id',
      datetime: 'created_at',
    },
    required: ['tx_id', 'user_id', 'reward'],
    signature: {
      kind: 'digest_template',
      alg: 'md5',
      param: 'verifier',
      template: '{app_id}{app_user_id}{currency}{event_id}{network}{reward}{created_at}{secret}',
    },
    pointsFrom: 'reward',
  },
}
