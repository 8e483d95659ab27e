import type { Preset } from './preset.js'

export const lootably: Preset = {
  title: 'Lootably (GET postback)',
  source: 'official',
  notes:
    "hash = sha256(userID + ip + revenue + currencyReward + postback secret), plain SHA-256, no separators, over the strings as sent (Lootably's npm library lootably-postback-hash). The hash macro name is UNCONFIRMED: {hash} is assumed in a hash parameter. The hash does not cover transactionID: a captured callback replayed under a new transactionID passes it, so set allowedIps (ask Lootably) and maxPayout. Answer, retries and postback reversals: UNCONFIRMED (rejections come as separate conversion webhooks, not handled here).",
  setup:
    "Source: https://documentation.lootably.com/docs/postbacks and the npm package lootably-postback-hash. Lootably dashboard > Placements > your placement > Postback: paste as the postback URL; the postback secret on the placement's Edit page is this profile's secret. The hash covers userID, ip, revenue and currencyReward: all four must stay in the URL.",
  profile: {
    urlQuery:
      'userID={userID}&transactionID={transactionID}&ip={ip}&revenue={revenue}&currencyReward={currencyReward}&offerID={offerID}&hash={hash}',
    params: {
      tx_id: 'transactionID',
      user_id: 'userID',
      reward: 'currencyReward',
      payout: 'revenue',
      offer_id: 'offerID',
      ip: 'ip',
    },
    required: ['tx_id', 'user_id', 'reward'],
    signature: {
      kind: 'digest_template',
      alg: 'sha256',
      param: 'hash',
      template: '{userID}{ip}{revenue}{currencyReward}{secret}',
    },
    pointsFrom: 'reward',
  },
}
