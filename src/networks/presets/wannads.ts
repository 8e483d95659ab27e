import type { Preset } from './preset.js'

export const wannads: Preset = {
  title: 'Wannads (legacy postback)',
  source: 'official',
  notes:
    'signature = md5(subId + transId + reward + secret); amounts are always absolute; status 1 adds, 2 subtracts. transId is the transaction (one per conversion); uuid is the click. "If an offer is rejected a new transaction will be generated with a different transId", carrying the uuid of the original positive one: a status=2 postback reverses the conversion of the same user with that uuid (the earliest with the same reward, else the earliest: a retried rejection finds the same one; two rejections for equal-reward conversions of the same click both land on the first), and its own transId only if none is found. The new "Reward App" postback is not this preset (its signature is UNCONFIRMED). Answer and IPs: UNCONFIRMED.',
  setup:
    'Source: https://affiliates.wannads.com/documentation/postback_notifications (legacy postback). Wannads dashboard > your app > postback URL: paste this bare URL; Wannads attaches subId, transId, reward, payout, signature, status, userIp, campaign_id, uuid ... itself. The app\'s secret is this profile\'s secret. The new "Reward App" postback is not this preset.',
  appends: [
    'subId',
    'transId',
    'reward',
    'payout',
    'signature',
    'status',
    'userIp',
    'campaign_id',
    'campaign_name',
    'country',
    'uuid',
    'subId2',
  ],
  profile: {
    urlQuery: '',
    params: {
      tx_id: 'transId',
      click_id: 'uuid',
      user_id: 'subId',
      reward: 'reward',
      payout: 'payout',
      offer_id: 'campaign_id',
      status: 'status',
      ip: 'userIp',
      sub2: 'subId2',
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
    reversalLink: 'click_id',
  },
}
