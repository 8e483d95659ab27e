import type { Preset } from './preset.js'

export const adgate: Preset = {
  title: 'AdGate Media',
  source: 'official',
  notes:
    'AdGate does not sign postbacks; it relies on a URL unique to it and its IP. The preset makes the URL unique with your own secret in a token parameter (static_token): ?token=<secret>&conversion_id={conversion_id}&user_id={s1}&point_value={points}&usd_value={payout}&state={state}. Put state in the URL or chargebacks are not sent; state=rejected reverses the same conversion_id (the doc says a previous conversion "was reversed"; that the id is the same is UNCONFIRMED), pending waits for approved. Leave {event_id} out (informational events pay 0). Non-200 answers are retried 5 times, 5 minutes apart.',
  suggestedIps: ['52.42.57.125'],
  setup:
    "Source: https://docs.adgatemedia.com/postbacks/postback-information. AdGate dashboard > Postbacks: paste as the postback URL; keep {state} in it, or AdGate sends no chargebacks. The token in it is this profile's secret: keep the URL private and put 52.42.57.125 in allowedIps.",
  profile: {
    urlQuery:
      'conversion_id={conversion_id}&user_id={s1}&point_value={points}&usd_value={payout}&state={state}',
    params: {
      tx_id: 'conversion_id',
      user_id: 'user_id',
      reward: 'point_value',
      payout: 'usd_value',
      status: 'state',
    },
    required: ['tx_id', 'user_id', 'reward'],
    signature: { kind: 'static_token', param: 'token' },
    statuses: { approved: ['approved'], pending: ['pending'], reversed: ['rejected'] },
    pointsFrom: 'reward',
  },
}
