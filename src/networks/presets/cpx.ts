import type { Preset } from './preset.js'

export const cpx: Preset = {
  title: 'CPX Research',
  source: 'third-party',
  notes:
    'secure_hash = md5(trans_id + "-" + app secure hash), from third-party consensus (the official page was not retrieved). It covers only trans_id: user_id and amount_local are not signed, so set allowedIps and maxPayout. status=2 reverses the same trans_id; amounts are absolute. type (out/complete/bonus) is not interpreted. The 1/0 answers follow third-party samples (UNCONFIRMED). IPs copied from the CPX dashboard by two setup guides.',
  suggestedIps: ['188.40.3.73', '157.90.97.92', '2a01:4f8:d0a:30ff::2'],
  setup:
    'Source (third-party setup guides; the official page was not retrieved): CPX publisher dashboard > your app > postback settings: paste as the postback URL (also for the screen-out, bonus and canceled "expert" postbacks); the app\'s secure hash is this profile\'s secret. Put the suggested IPs in allowedIps.',
  profile: {
    urlQuery:
      'status={status}&trans_id={trans_id}&user_id={user_id}&amount_local={amount_local}&amount_usd={amount_usd}&offer_ID={offer_ID}&ip_click={ip_click}&secure_hash={secure_hash}',
    params: {
      tx_id: 'trans_id',
      user_id: 'user_id',
      reward: 'amount_local',
      payout: 'amount_usd',
      offer_id: 'offer_ID',
      status: 'status',
      ip: 'ip_click',
      sub1: 'subid_1',
      sub2: 'subid_2',
    },
    required: ['tx_id', 'user_id', 'reward'],
    signature: {
      kind: 'digest_template',
      alg: 'md5',
      param: 'secure_hash',
      template: '{trans_id}-{secret}',
    },
    statuses: { approved: ['1'], reversed: ['2'] },
    pointsFrom: 'reward',
    answers: { success: { status: 200, body: '1' }, refused: { body: '0' } },
  },
}
