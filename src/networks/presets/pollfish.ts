import type { Preset } from './preset.js'

export const pollfish: Preset = {
  title: 'Pollfish (server-to-server survey callback)',
  source: 'official',
  notes:
    'signature = base64(HMAC-SHA1(secret key, the values of the placeholders sorted by placeholder name, joined by ":")). Name each URL parameter after its placeholder (cpa=[[cpa]]&device_id=[[device_id]]&request_uuid=[[request_uuid]]&reward_name=[[reward_name]]&reward_value=[[reward_value]]&timestamp=[[timestamp]]&tx_id=[[tx_id]]&signature=[[signature]]) and add no parameters of your own: every parameter but signature and debug is signed. An empty term_reason is signed (trailing ":"), as documented; an empty request_uuid would be skipped by Pollfish, which this preset cannot express (it is the user id and required anyway). Whether click_id is signed is UNCONFIRMED (the doc contradicts itself): leave it out. cpa is in USD cents: mapped to payout with payoutScale 0.01. status=noteligible (screen-out) is recorded as pending, never credited. debug=true (developer mode) is a test. Answer, retries and IPs: UNCONFIRMED.',
  profile: {
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
