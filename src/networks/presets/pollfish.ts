import type { Preset } from './preset.js'

export const pollfish: Preset = {
  title: 'Pollfish (server-to-server survey callback)',
  source: 'official',
  notes:
    'signature = base64(HMAC-SHA1(secret key, the values of the placeholders sorted by placeholder name, joined by ":")). Name each URL parameter after its placeholder (cpa=[[cpa]]&device_id=[[device_id]]&request_uuid=[[request_uuid]]&reward_name=[[reward_name]]&reward_value=[[reward_value]]&timestamp=[[timestamp]]&tx_id=[[tx_id]]&signature=[[signature]]) and add no parameters of your own: every parameter but signature and debug is signed. An empty term_reason is signed (trailing ":"), as documented; an empty request_uuid would be skipped by Pollfish, which this preset cannot express (it is the user id and required anyway). Whether click_id is signed is UNCONFIRMED (the doc contradicts itself): leave it out. cpa is in USD cents: mapped to payout with payoutScale 0.01. status=noteligible (screen-out) is recorded as pending, never credited. debug=true (developer mode) is a test. Answer, retries and IPs: UNCONFIRMED.',
  setup:
    'Source: https://github.com/pollfish/docs/blob/master/s2s.md. Pollfish dashboard > your app > server-to-server callbacks: paste as the callback URL and add no parameters of your own (every placeholder is signed); the account\'s secret key is this profile\'s secret. Enable "Notify me when the user is not eligible" if you want screen-outs recorded (never credited).',
  appends: ['debug'],
  profile: {
    urlQuery:
      'tx_id=[[tx_id]]&request_uuid=[[request_uuid]]&device_id=[[device_id]]&cpa=[[cpa]]&reward_name=[[reward_name]]&reward_value=[[reward_value]]&status=[[status]]&term_reason=[[term_reason]]&timestamp=[[timestamp]]&signature=[[signature]]',
    params: {
      tx_id: 'tx_id',
      user_id: 'request_uuid',
      reward: 'reward_value',
      payout: 'cpa',
      status: 'status',
      datetime: 'timestamp',
      test: 'debug',
    },
    required: ['tx_id', 'user_id', 'reward'],
    signature: {
      kind: 'hmac_sorted_params',
      alg: 'sha1',
      param: 'signature',
      join: 'values_colon',
      exclude: ['debug'],
      encoding: 'base64',
    },
    statuses: { approved: ['eligible'], pending: ['noteligible'] },
    creditPending: false,
    pointsFrom: 'reward',
    payoutScale: '0.01',
    macroStyle: '[[x]]',
  },
}
