import type { Preset } from './preset.js'

export const ironsource: Preset = {
  title: 'ironSource / Unity LevelPlay (server-to-server callback)',
  source: 'official',
  notes:
    'signature = md5(timestamp + eventId + applicationUserId + rewards + private key), as in the official PHP sample, which reads the user from applicationUserId: build the URL as ?applicationUserId=[USER_ID]&rewards=[REWARDS]&eventId=[EVENT_ID]&itemName=[ITEM_NAME] (the doc example names it appUserId; if yours does, override params.user_id and signature.template together). The user id is signed as decoded; the doc says it is sent URL-encoded, so whether the signed form is encoded is UNCONFIRMED: test a user id with @ or spaces. Answers "<eventId>:OK". Negative callbacks (an option in the S2S callback settings, for a transaction the advertiser finally denies: developers.ironsrc.com server-to-server-callback-setting) are read as a negative [REWARDS] that reverses the conversion with the same eventId (the format is UNCONFIRMED: the page section was cut; a negative callback under a new eventId is recorded, not linked). Retries and IPs: UNCONFIRMED.',
  setup:
    "Source: https://docs.unity.com/grow/levelplay/platform/settings/server-to-server-callback and .../event-handlers (official PHP sample). LevelPlay > Apps > your app > Set S2S callback: paste as the callback URL (these are ironSource's placeholders [USER_ID] [REWARDS] [EVENT_ID] [ITEM_NAME]) and add a private key: it is this profile's secret; ironSource then adds timestamp and signature itself.",
  appends: ['timestamp', 'signature'],
  profile: {
    urlQuery:
      'applicationUserId=[USER_ID]&rewards=[REWARDS]&eventId=[EVENT_ID]&itemName=[ITEM_NAME]',
    params: {
      tx_id: 'eventId',
      user_id: 'applicationUserId',
      reward: 'rewards',
      datetime: 'timestamp',
    },
    required: ['tx_id', 'user_id', 'reward'],
    signature: {
      kind: 'digest_template',
      alg: 'md5',
      param: 'signature',
      template: '{timestamp}{eventId}{applicationUserId}{rewards}{secret}',
    },
    pointsFrom: 'reward',
    negativeAmountMeansReversal: true,
    answers: { success: { status: 200, body: '{tx_id}:OK' } },
    macroStyle: '[X]',
  },
}
