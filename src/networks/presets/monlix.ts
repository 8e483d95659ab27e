import type { Preset } from './preset.js'

export const monlix: Preset = {
  title: 'Monlix',
  source: 'official',
  notes:
    "Monlix does not sign postbacks: its {{secretKey}} macro sends your site secret key as it is, so the preset checks it as a static token (secretKey = this profile's secret, printed in the URL). rewardValue is the conversion value times your currency multiplier (points, pointsPerUnit 1); payout is USD. status 1 = valid, 2 = invalid (chargeback): a chargeback reverses the conversion with the same transactionId (that the chargeback repeats the id is UNCONFIRMED). The expected answer, retries and IPs are not documented: any 200 is assumed.",
  setup:
    "Source: https://docs.monlix.com/docs/postback. Monlix publisher dashboard > your site/app > postback URL: paste this URL (Monlix fills the {{x}} macros). The secretKey in it must be the site's secret key from the same page, which is this profile's secret: keep the URL private.",
  profile: {
    urlQuery:
      'transactionId={{transactionId}}&userId={{userId}}&rewardValue={{rewardValue}}&payout={{payout}}&status={{status}}&subId={{subId}}&userIp={{userIp}}&rewardCurrency={{rewardCurrency}}',
    params: {
      tx_id: 'transactionId',
      user_id: 'userId',
      reward: 'rewardValue',
      payout: 'payout',
      status: 'status',
      sub1: 'subId',
      ip: 'userIp',
      currency: 'rewardCurrency',
    },
    required: ['tx_id', 'user_id', 'reward'],
    signature: { kind: 'static_token', param: 'secretKey' },
    statuses: { approved: ['1'], reversed: ['2'] },
    pointsFrom: 'reward',
  },
}
