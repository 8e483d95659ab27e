import type { Preset } from './preset.js'

export const tapjoy: Preset = {
  title: 'Tapjoy (self-managed currency)',
  source: 'official',
  notes:
    'verifier = md5("id:snuid:currency:secret"); the colons come from Tapjoy\'s sample code. 403 stops retries. No reversal is documented.',
  profile: {
    params: { tx_id: 'id', user_id: 'snuid', reward: 'currency' },
    required: ['tx_id', 'user_id', 'reward'],
    signature: {
      kind: 'digest_template',
      alg: 'md5',
      param: 'verifier',
      template: '{id}:{snuid}:{currency}:{secret}',
    },
    pointsFrom: 'reward',
    answers: { refused: { status: 403 } },
  },
}
