import type { Preset } from './preset.js'

export const revlum: Preset = {
  title: 'Revlum',
  source: 'official',
  notes:
    'signature = md5(subId + transId + reward + secret). Sent as a POST body or GET query (both accepted). reward and payout are always absolute: status=2 reverses (UNCONFIRMED that it carries the original transId). payout is not signed. debug=1 is a test. Answers ok, as the official example.',
  suggestedIps: ['209.159.156.198'],
  setup:
    "Source: https://revlum.com/documentation/postback and https://developer.revlum.com/docs/post-postback. Revlum publisher dashboard > your app > postback: paste this bare URL; Revlum POSTs subId, transId, reward, payout, status, signature ... in the body. The app's secret key is this profile's secret. Put 209.159.156.198 in allowedIps.",
  appends: [
    'subId',
    'sub1',
    'sub2',
    'transId',
    'offerName',
    'offerId',
    'event_id',
    'event_name',
    'reward',
    'reward_name',
    'payout',
    'userIp',
    'country',
    'status',
    'debug',
    'signature',
  ],
  profile: {
    urlQuery: '',
    params: {
      tx_id: 'transId',
      user_id: 'subId',
      reward: 'reward',
      payout: 'payout',
      offer_id: 'offerId',
      status: 'status',
      ip: 'userIp',
      test: 'debug',
    },
    required: ['tx_id', 'user_id', 'reward'],
    signature: {
      kind: 'digest_template',
      alg: 'md5',
      param: 'signature',
      template: '{subId}{transId}{reward}{secret}',
    },
    statuses: { approved: ['1'], reversed: ['2'] },
    pointsFrom: 'reward',
    answers: { success: { status: 200, body: 'ok' } },
  },
}
