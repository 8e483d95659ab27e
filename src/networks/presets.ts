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
  fyber: {
    title: 'Fyber / Digital Turbine Offer Wall (server-side rewarding)',
    source: 'official',
    notes:
      'sid = sha1(security token + uid + amount + _trans_id_ + pub0 + ... + pub9), plain concatenation, absent values as "" (UNCONFIRMED for absent pubX). Enable _trans_id_ in the dashboard: it is the transaction id. payout_net (optional, USD) is not signed. DT answers anything but 200 as a failure and re-sends up to 10 times. No reversal is documented. The suggested IP range is old and third-party (UNCONFIRMED); DT publishes an allowlist step whose list we could not read.',
    suggestedIps: ['146.0.239.0/24'],
    profile: {
      params: {
        tx_id: '_trans_id_',
        user_id: 'uid',
        reward: 'amount',
        payout: 'payout_net',
        sub1: 'pub0',
        sub2: 'pub1',
        sub3: 'pub2',
        sub4: 'pub3',
        sub5: 'pub4',
      },
      required: ['tx_id', 'user_id', 'reward'],
      signature: {
        kind: 'digest_template',
        alg: 'sha1',
        param: 'sid',
        template:
          '{secret}{uid}{amount}{_trans_id_}{pub0}{pub1}{pub2}{pub3}{pub4}{pub5}{pub6}{pub7}{pub8}{pub9}',
      },
      pointsFrom: 'reward',
    },
  },
  ironsource: {
    title: 'ironSource / Unity LevelPlay (server-to-server callback)',
    source: 'official',
    notes:
      'signature = md5(timestamp + eventId + applicationUserId + rewards + private key), as in the official PHP sample, which reads the user from applicationUserId: build the URL as ?applicationUserId=[USER_ID]&rewards=[REWARDS]&eventId=[EVENT_ID]&itemName=[ITEM_NAME] (the doc example names it appUserId; if yours does, override params.user_id and signature.template together). The user id is signed as decoded; the doc says it is sent URL-encoded, so whether the signed form is encoded is UNCONFIRMED: test a user id with @ or spaces. Answers "<eventId>:OK". Retries, IPs and reversals: UNCONFIRMED (none documented).',
    profile: {
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
      answers: { success: { status: 200, body: '{tx_id}:OK' } },
      macroStyle: '[X]',
    },
  },
  adgem: {
    title: 'AdGem (v2 GET postback)',
    source: 'official',
    notes:
      'verifier = hex(HMAC-SHA256(postback key, scheme://host/path?query without verifier)): set PUBLIC_URL to the exact scheme and host AdGem calls. AdGem re-serialises the query with RFC 3986 encoding; we hash the query as received minus the verifier pair, which is the same while every value in the URL (yours included) is rawurlencode()d. The transaction id macro name was not retrieved: transaction_id is assumed (UNCONFIRMED, check a real callback). No reversal is documented. The OK answer and 403 refusals follow the official sample (which answers 422 on a bad verifier); AdGem\'s required answer is UNCONFIRMED. AdGem gives each account one whitelist IP: put it in allowedIps. v3 (POST JSON, Signature header) is not this preset.',
    profile: {
      params: {
        tx_id: 'transaction_id',
        user_id: 'player_id',
        reward: 'amount',
        payout: 'payout',
        offer_id: 'campaign_id',
        datetime: 'conversion_datetime',
      },
      required: ['tx_id', 'user_id', 'reward'],
      signature: { kind: 'hmac_url', alg: 'sha256', param: 'verifier', strip: 'remove_param' },
      pointsFrom: 'reward',
    },
  },
  lootably: {
    title: 'Lootably (GET postback)',
    source: 'official',
    notes:
      'hash = sha256(userID + ip + revenue + currencyReward + postback secret), plain SHA-256, no separators, over the strings as sent (Lootably\'s npm library lootably-postback-hash). The hash macro name is UNCONFIRMED: {hash} is assumed in a hash parameter. The hash does not cover transactionID: a captured callback replayed under a new transactionID passes it, so set allowedIps (ask Lootably) and maxPayout. Answer, retries and postback reversals: UNCONFIRMED (rejections come as separate conversion webhooks, not handled here).',
    profile: {
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
  },
  cpx: {
    title: 'CPX Research',
    source: 'third-party',
    notes:
      'secure_hash = md5(trans_id + "-" + app secure hash), from third-party consensus (the official page was not retrieved). It covers only trans_id: user_id and amount_local are not signed, so set allowedIps and maxPayout. status=2 reverses the same trans_id; amounts are absolute. type (out/complete/bonus) is not interpreted. The 1/0 answers follow third-party samples (UNCONFIRMED). IPs copied from the CPX dashboard by two setup guides.',
    suggestedIps: ['188.40.3.73', '157.90.97.92', '2a01:4f8:d0a:30ff::2'],
    profile: {
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
  },
  theoremreach: {
    title: 'TheoremReach',
    source: 'third-party',
    notes:
      'hash = base64url without padding of HMAC-SHA1(secret, the callback URL without hash), from third-party handlers only: set PUBLIC_URL to the exact scheme and host TheoremReach calls. Only the hash pair is removed, so parameters after it stay signed. reversal=true reverses the same tx_id (UNCONFIRMED that the id is the same); debug=true callbacks are tests. payout is the USD value TheoremReach sends as currency. Answer and IPs: UNCONFIRMED.',
    profile: {
      params: {
        tx_id: 'tx_id',
        user_id: 'user_id',
        reward: 'reward',
        payout: 'currency',
        status: 'reversal',
        test: 'debug',
      },
      required: ['tx_id', 'user_id', 'reward'],
      signature: {
        kind: 'hmac_url',
        alg: 'sha1',
        param: 'hash',
        strip: 'remove_param',
        encoding: 'base64url',
      },
      statuses: { approved: ['false'], reversed: ['true'] },
      pointsFrom: 'reward',
    },
  },
  pollfish: {
    title: 'Pollfish (server-to-server survey callback)',
    source: 'official',
    notes:
      'signature = base64(HMAC-SHA1(secret key, the values of the placeholders sorted by placeholder name, joined by ":")). Name each URL parameter after its placeholder (cpa=[[cpa]]&device_id=[[device_id]]&request_uuid=[[request_uuid]]&reward_name=[[reward_name]]&reward_value=[[reward_value]]&timestamp=[[timestamp]]&tx_id=[[tx_id]]&signature=[[signature]]) and add no parameters of your own: every parameter but signature and debug is signed. An empty term_reason is signed (trailing ":"), as documented; an empty request_uuid would be skipped by Pollfish, which this preset cannot express (it is the user id and required anyway). Whether click_id is signed is UNCONFIRMED (the doc contradicts itself): leave it out. cpa is in USD cents and is not mapped to payout. status=noteligible (screen-out) is recorded as pending, never credited. debug=true (developer mode) is a test. Answer, retries and IPs: UNCONFIRMED.',
    profile: {
      params: {
        tx_id: 'tx_id',
        user_id: 'request_uuid',
        reward: 'reward_value',
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
      macroStyle: '[[x]]',
    },
  },
  torox: {
    title: 'Torox (OfferToro)',
    source: 'official',
    notes:
      'sig = md5(oid + "-" + user_id + "-" + app placement key), from the OfferToro docs; whether Torox changed it after the rebrand is UNCONFIRMED. Use the custom parameter postback with lower-case names (id, oid, user_id, amount, payout, sig); the minimal one sends OID and Amount. The signature covers neither amount nor id: set allowedIps and maxPayout. Reversal: UNCONFIRMED (none). The 1/0 answers and the IP come from third-party code.',
    suggestedIps: ['54.175.173.245'],
    profile: {
      params: {
        tx_id: 'id',
        offer_id: 'oid',
        user_id: 'user_id',
        reward: 'amount',
        payout: 'payout',
        ip: 'ip_address',
        sub1: 'subid1',
        sub2: 'subid2',
        sub3: 'subid3',
      },
      required: ['tx_id', 'offer_id', 'user_id', 'reward'],
      signature: {
        kind: 'digest_template',
        alg: 'md5',
        param: 'sig',
        template: '{oid}-{user_id}-{secret}',
      },
      pointsFrom: 'reward',
      answers: { success: { status: 200, body: '1' }, refused: { body: '0' } },
    },
  },
  adgate: {
    title: 'AdGate Media',
    source: 'official',
    notes:
      'AdGate does not sign postbacks; it relies on a URL unique to it and its IP. The preset makes the URL unique with your own secret in a token parameter (static_token): ?token=<secret>&conversion_id={conversion_id}&user_id={s1}&point_value={points}&usd_value={payout}&state={state}. Put state in the URL or chargebacks are not sent; state=rejected reverses the same conversion_id (the doc says a previous conversion "was reversed"; that the id is the same is UNCONFIRMED), pending waits for approved. Leave {event_id} out (informational events pay 0). Non-200 answers are retried 5 times, 5 minutes apart.',
    suggestedIps: ['52.42.57.125'],
    profile: {
      params: {
        tx_id: 'conversion_id',
        user_id: 'user_id',
        reward: 'point_value',
        payout: 'usd_value',
        status: 'state',
      },
      required: ['tx_id', 'user_id', 'reward'],
      signature: { kind: 'static_token', param: 'token' },
      statuses: { approved: ['approved'], pending: ['pending'], reversed: ['rejected'] },
      pointsFrom: 'reward',
    },
  },
  revlum: {
    title: 'Revlum',
    source: 'official',
    notes:
      'signature = md5(subId + transId + reward + secret). Sent as a POST body or GET query (both accepted). reward and payout are always absolute: status=2 reverses (UNCONFIRMED that it carries the original transId). payout is not signed. debug=1 is a test. Answers ok, as the official example.',
    suggestedIps: ['209.159.156.198'],
    profile: {
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
  },
  wannads: {
    title: 'Wannads (legacy postback)',
    source: 'official',
    notes:
      'signature = md5(subId + transId + reward + secret); amounts are always absolute; status 1 adds, 2 subtracts. A rejection comes as a new transId carrying the uuid of the original, so uuid is the transaction id here (transId stays signed and in the log). If your uuid values repeat across conversions, set params.tx_id to transId: rejections are then recorded without taking points back. The new "Reward App" postback is not this preset (its signature is UNCONFIRMED). Answer and IPs: UNCONFIRMED.',
    profile: {
      params: {
        tx_id: 'uuid',
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
    },
  },
  notik: {
    title: 'Notik',
    source: 'third-party',
    notes:
      'hash = hex(HMAC-SHA1(secret, the URL as received before "&hash=")), as BitLabs, from third-party handlers only: set PUBLIC_URL to the exact scheme and host Notik calls and put the hash last. A negative amount is a chargeback of the same txn_id (UNCONFIRMED; rewarded_txn_id was also seen and is not interpreted). Answers 1. The IP comes from a third-party comment.',
    suggestedIps: ['192.53.121.112'],
    profile: {
      params: {
        tx_id: 'txn_id',
        user_id: 'user_id',
        reward: 'amount',
        payout: 'payout',
        offer_id: 'offer_id',
        ip: 'conversion_ip',
        datetime: 'date',
      },
      required: ['tx_id', 'user_id', 'reward'],
      signature: { kind: 'hmac_url', alg: 'sha1', param: 'hash' },
      negativeAmountMeansReversal: true,
      pointsFrom: 'reward',
      answers: { success: { status: 200, body: '1' } },
    },
  },
}
