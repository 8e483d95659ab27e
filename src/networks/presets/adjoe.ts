import type { Preset } from './preset.js'

export const adjoe: Preset = {
  title: 'adjoe Playtime (server-to-server payout)',
  source: 'official',
  notes:
    'sid = sha1(trans_uuid + user_uuid + currency + coin_amount + device_id + sdk_app_id + S2S token), lowercase hex, no separators: device_id and sdk_app_id are signed, so they stay in the URL. coin_amount is the virtual currency to credit (points, pointsPerUnit 1); currency is its name. adjoe sends no USD payout and no reversal. Deduplicate on trans_uuid: anything but HTTP 200 is retried after 10 minutes, 10 more, then every 2 hours for about 12 hours. adjoe asks for values without special characters ([ ] . =): keep user ids plain. No IPs are published.',
  setup:
    "Source: https://docs.adjoe.io/adjoe-playtime-supply-documentation/android/playtime-sdk-for-android/server-to-server-payouts (parameters, retries) and https://docs.adjoe.io/adjoe-sdk/1.5.1/android/using-the-sdk/payout (the sid formula). adjoe Publisher Dashboard > your SDK app > S2S API URL: paste this URL (adjoe fills the {x} macros; keep the parameter names). The S2S token adjoe gives you is this profile's secret. The user_uuid is the user id your app set when initialising the SDK.",
  profile: {
    urlQuery:
      'trans_uuid={trans_uuid}&user_uuid={user_uuid}&currency={currency}&coin_amount={coin_amount}&device_id={device_id}&sdk_app_id={sdk_app_id}&app_id={app_id}&reward_type={reward_type}&sid={sid}',
    params: {
      tx_id: 'trans_uuid',
      user_id: 'user_uuid',
      reward: 'coin_amount',
      currency: 'currency',
      offer_id: 'app_id',
    },
    required: ['tx_id', 'user_id', 'reward'],
    signature: {
      kind: 'digest_template',
      alg: 'sha1',
      param: 'sid',
      template: '{trans_uuid}{user_uuid}{currency}{coin_amount}{device_id}{sdk_app_id}{secret}',
    },
    pointsFrom: 'reward',
  },
}
