import type { ProfileInput } from './profile.js'

// Built-in network presets, from ../shared/reference/networks.md. `source` says how sure we
// are: "official" rests on the vendor's own documentation or published code; "third-party"
// only on independent implementations. A profile names one with "preset" and adds its secret;
// any field can be overridden. Suggested IPs are published by the vendor (or seen in
// third-party code) and are not applied unless the profile sets allowedIps.

export type Preset = {
  title: string
  source: 'official' | 'third-party'
  notes: string
  suggestedIps?: string[]
  profile: ProfileInput
}

export const PRESETS: Record<string, Preset> = {
  tapjoy: {
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
  },
  bitlabs: {
    title: 'BitLabs',
    source: 'official',
    notes:
      'hash = hex(HMAC-SHA1(app secret, the URL as received before "&hash=")): set PUBLIC_URL to the exact scheme and host BitLabs calls. Put the hash last. A reconciliation (TYPE=RECONCILIATION) reverses the transaction named by ref=[%REF%]. Tester callbacks carry debug=true.',
    profile: {
      params: {
        tx_id: 'tx',
        user_id: 'uid',
        reward: 'val',
        payout: 'raw',
        offer_id: 'offer_id',
        status: 'type',
        test: 'debug',
      },
      required: ['tx_id', 'user_id', 'reward'],
      signature: { kind: 'hmac_url', alg: 'sha1', param: 'hash' },
      statuses: {
        approved: ['complete', 'screenout', 'start_bonus'],
        reversed: ['reconciliation'],
      },
      reversalTxIdParam: 'ref',
      pointsFrom: 'reward',
      macroStyle: '[%X%]',
    },
  },
  ayetstudios: {
    title: 'ayeT-Studios',
    source: 'official',
    notes:
      'X-Ayetstudios-Security-Hash = hex(HMAC-SHA256(API key, parameters sorted by name as a query string)). Reversal callbacks: transaction_id prefixed r-, is_chargeback=1, negative currency_amount.',
    profile: {
      params: {
        tx_id: 'transaction_id',
        user_id: 'external_identifier',
        reward: 'currency_amount',
        payout: 'payout_usd',
        status: 'is_chargeback',
        offer_id: 'offer_id',
      },
      required: ['tx_id', 'user_id', 'reward'],
      signature: {
        kind: 'hmac_sorted_params',
        alg: 'sha256',
        header: 'x-ayetstudios-security-hash',
      },
      statuses: { approved: ['0'], reversed: ['1'] },
      negativeAmountMeansReversal: true,
      reversalTxIdPrefix: 'r-',
      pointsFrom: 'reward',
    },
  },
  kiwiwall: {
    title: 'Kiwiwall',
    source: 'official',
    notes:
      'signature = md5("sub_id:amount:secret"), over the amount as sent (negative on chargebacks). Answers 1 / 0.',
    suggestedIps: ['34.193.235.172'],
    profile: {
      params: {
        tx_id: 'trans_id',
        user_id: 'sub_id',
        reward: 'amount',
        payout: 'gross',
        offer_id: 'offer_id',
        status: 'status',
      },
      required: ['tx_id', 'user_id', 'reward'],
      signature: {
        kind: 'digest_template',
        alg: 'md5',
        param: 'signature',
        template: '{sub_id}:{amount}:{secret}',
      },
      statuses: { approved: ['1'], reversed: ['2'] },
      negativeAmountMeansReversal: true,
      pointsFrom: 'reward',
      answers: { success: { status: 200, body: '1' }, refused: { body: '0' } },
    },
  },
}
