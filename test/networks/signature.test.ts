import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  type SignatureSpec,
  type SignedRequest,
  signatureSpecSchema,
  verifySignature,
} from '../../src/networks/signature.js'

// Vectors from ../shared/reference/networks.md: "vendor" ones are published by the network
// (BitLabs) or computed by its own library (Lootably); the rest are computed from the
// documented formula with the secret "s3cr3t".

function request(rawUrl: string, extra: Partial<SignedRequest> = {}): SignedRequest {
  const params = new Map<string, string[]>()
  const query = rawUrl.includes('?') ? rawUrl.slice(rawUrl.indexOf('?') + 1) : ''
  for (const [name, value] of new URLSearchParams(query))
    params.set(name, [...(params.get(name) ?? []), value])
  return {
    publicBaseUrl: 'https://example.com',
    rawUrl,
    params,
    rawBody: null,
    headers: {},
    ...extra,
  }
}

function spec(input: unknown): SignatureSpec {
  return signatureSpecSchema.parse(input)
}

const cases: {
  name: string
  spec: unknown
  secret: string
  good: SignedRequest
  tampered: SignedRequest
}[] = [
  {
    name: 'BitLabs (vendor-published): HMAC-SHA1 hex of the URL before &hash=',
    spec: { kind: 'hmac_url', alg: 'sha1', param: 'hash' },
    secret: 'JLOIAUNMHFli7ZJOQVEzm98rzqnm9',
    good: request(
      '/complete?uid=8cc877ee-af19-488d-b28d-216fb866b996&val=500&hash=dbcd6bb8ca677344592842a52b4fca9bec36cd4b',
      {
        publicBaseUrl: 'https://publisher.com',
      },
    ),
    tampered: request(
      '/complete?uid=8cc877ee-af19-488d-b28d-216fb866b996&val=5000&hash=dbcd6bb8ca677344592842a52b4fca9bec36cd4b',
      {
        publicBaseUrl: 'https://publisher.com',
      },
    ),
  },
  {
    name: "Lootably (its npm library's output): sha256 of userID ip revenue currencyReward secret",
    spec: {
      kind: 'digest_template',
      alg: 'sha256',
      param: 'hash',
      template: '{userID}{ip}{revenue}{currencyReward}{secret}',
    },
    secret: 'j28eh8ahjsd2hjq8ashd829qyha8sdh2qha8sdhy',
    good: request(
      '/cb?userID=some%20userID&ip=1.1.1.&revenue=0.01&currencyReward=1&hash=192be178a21dc60858a372784d260f31400b385033fac53de74fa91a8ce380eb',
    ),
    tampered: request(
      '/cb?userID=some%20userID&ip=1.1.1.&revenue=0.02&currencyReward=1&hash=192be178a21dc60858a372784d260f31400b385033fac53de74fa91a8ce380eb',
    ),
  },
  {
    name: 'Tapjoy: md5 verifier of id:snuid:currency:secret',
    spec: {
      kind: 'digest_template',
      alg: 'md5',
      param: 'verifier',
      template: '{id}:{snuid}:{currency}:{secret}',
    },
    secret: 's3cr3t',
    good: request(
      '/tj?id=a1b2c3&snuid=user42&currency=50&verifier=d5db0278cbf1b9f123ac77dc0060514e',
    ),
    tampered: request(
      '/tj?id=a1b2c3&snuid=user43&currency=50&verifier=d5db0278cbf1b9f123ac77dc0060514e',
    ),
  },
  {
    name: 'Kiwiwall chargeback: md5 of sub_id:amount:secret with the negative amount as sent',
    spec: {
      kind: 'digest_template',
      alg: 'md5',
      param: 'signature',
      template: '{sub_id}:{amount}:{secret}',
    },
    secret: 's3cr3t',
    good: request('/kw?sub_id=user42&amount=-150&signature=c8d6d2b84a3e70c83d1981381f2cddc9'),
    tampered: request('/kw?sub_id=user42&amount=150&signature=c8d6d2b84a3e70c83d1981381f2cddc9'),
  },
  {
    name: 'ayeT: HMAC-SHA256 of the sorted query in a header',
    spec: { kind: 'hmac_sorted_params', alg: 'sha256', header: 'x-ayetstudios-security-hash' },
    secret: '9f2228fea0d8e7ce10b2ac36053db14c',
    good: request(
      '/ayet?user_id=testuser123456&transaction_id=8ee08f32ae611231b0a49d1bd66e9bf193132561&payout=1.50&click_id=1234abcd5678021&amount=0.10',
      {
        headers: {
          'x-ayetstudios-security-hash':
            '3191f052846df1beee6c1d42030fee7448ff8fc47a417bf714c2e0a1308fc010',
        },
      },
    ),
    tampered: request(
      '/ayet?user_id=testuser123456&transaction_id=8ee08f32ae611231b0a49d1bd66e9bf193132561&payout=1.50&click_id=1234abcd5678021&amount=0.1',
      {
        headers: {
          'x-ayetstudios-security-hash':
            '3191f052846df1beee6c1d42030fee7448ff8fc47a417bf714c2e0a1308fc010',
        },
      },
    ),
  },
  {
    name: 'TheoremReach: HMAC-SHA1 base64url (no padding) of the URL without hash',
    spec: { kind: 'hmac_url', alg: 'sha1', param: 'hash', encoding: 'base64url' },
    secret: 's3cr3t',
    good: request('/cb?user_id=user42&reward=100&tx_id=abc&hash=bxdZqdkLFenOnwDVDe19IIjx2bs'),
    tampered: request('/cb?user_id=user42&reward=900&tx_id=abc&hash=bxdZqdkLFenOnwDVDe19IIjx2bs'),
  },
  {
    name: 'Notik: HMAC-SHA1 hex of the URL without hash',
    spec: { kind: 'hmac_url', alg: 'sha1', param: 'hash' },
    secret: 's3cr3t',
    good: request(
      '/cb?user_id=user42&reward=100&tx_id=abc&hash=6f1759a9d90b15e9ce9f00d50ded7d2088f1d9bb',
    ),
    tampered: request(
      '/cb?user_id=user42&reward=100&tx_id=abd&hash=6f1759a9d90b15e9ce9f00d50ded7d2088f1d9bb',
    ),
  },
  {
    name: 'AdGem v2: HMAC-SHA256 hex of the URL with the verifier parameter removed',
    spec: { kind: 'hmac_url', alg: 'sha256', param: 'verifier', strip: 'remove_param' },
    secret: 's3cr3t',
    good: request(
      '/adgem?player_id=user42&verifier=a3abdf45e6485b4d8dc8108741e4660fc79949982602982a0fd82c494cffbf0d&amount=100&transaction_id=t1',
    ),
    tampered: request(
      '/adgem?player_id=user42&verifier=a3abdf45e6485b4d8dc8108741e4660fc79949982602982a0fd82c494cffbf0d&amount=101&transaction_id=t1',
    ),
  },
  {
    name: 'AdGem v3: HMAC-SHA256 hex of the raw JSON body in the Signature header',
    spec: { kind: 'hmac_body', alg: 'sha256', header: 'signature' },
    secret: 's3cr3t',
    good: request('/adgem3', {
      rawBody:
        '{"request_id":"r1","timestamp":1700000000,"data":{"player_id":"user42","amount":35}}',
      headers: { signature: '72933b54b0be9a48b3e1a338dd8a207ae0314db54acce03c473be73e06ed3a98' },
    }),
    tampered: request('/adgem3', {
      rawBody:
        '{"request_id":"r1","timestamp":1700000000,"data":{"player_id":"user42","amount":350}}',
      headers: { signature: '72933b54b0be9a48b3e1a338dd8a207ae0314db54acce03c473be73e06ed3a98' },
    }),
  },
  {
    name: 'Pollfish: HMAC-SHA1 base64 of the values sorted by name, colon-joined',
    spec: {
      kind: 'hmac_sorted_params',
      alg: 'sha1',
      param: 'signature',
      join: 'values_colon',
      include: ['cpa', 'device_id', 'timestamp', 'tx_id'],
      encoding: 'base64',
    },
    secret: 's3cr3t',
    good: request(
      '/pf?device_id=my-device-id&cpa=30&timestamp=1463152452308&tx_id=08f31d41d800cc7a0beb7eb4897639a8ba7fd7db&signature=XO0NB%2F1thJiiBqPoq4%2Bi8x1CWSo%3D',
    ),
    tampered: request(
      '/pf?device_id=my-device-id&cpa=300&timestamp=1463152452308&tx_id=08f31d41d800cc7a0beb7eb4897639a8ba7fd7db&signature=XO0NB%2F1thJiiBqPoq4%2Bi8x1CWSo%3D',
    ),
  },
]

for (const c of cases) {
  test(`${c.name}: the signed request passes, the tampered one fails`, () => {
    assert.deepEqual(verifySignature(spec(c.spec), c.good, [c.secret]), { ok: true })
    const tampered = verifySignature(spec(c.spec), c.tampered, [c.secret])
    assert.equal(tampered.ok, false)
    assert.deepEqual(verifySignature(spec(c.spec), c.good, ['another-secret']).ok, false)
  })
}

test('during rotation, a signature made with any active secret passes', () => {
  const tapjoy = spec({
    kind: 'digest_template',
    alg: 'md5',
    param: 'verifier',
    template: '{id}:{snuid}:{currency}:{secret}',
  })
  const signed = request(
    '/tj?id=a1b2c3&snuid=user42&currency=50&verifier=d5db0278cbf1b9f123ac77dc0060514e',
  )
  assert.deepEqual(verifySignature(tapjoy, signed, ['new-secret', 's3cr3t']), { ok: true })
})

test('hex signatures compare case-insensitively; a missing signature is named', () => {
  const tapjoy = spec({
    kind: 'digest_template',
    alg: 'md5',
    param: 'verifier',
    template: '{id}:{snuid}:{currency}:{secret}',
  })
  assert.deepEqual(
    verifySignature(
      tapjoy,
      request('/tj?id=a1b2c3&snuid=user42&currency=50&verifier=D5DB0278CBF1B9F123AC77DC0060514E'),
      ['s3cr3t'],
    ),
    {
      ok: true,
    },
  )
  assert.deepEqual(
    verifySignature(tapjoy, request('/tj?id=a1b2c3&snuid=user42&currency=50'), ['s3cr3t']),
    {
      ok: false,
      missing: true,
      reason: 'no signature: expected signature parameter verifier',
    },
  )
})

test('a static token is compared with the secrets', () => {
  const token = spec({ kind: 'static_token', param: 'token' })
  assert.deepEqual(verifySignature(token, request('/x?token=s3cr3t'), ['s3cr3t']), { ok: true })
  assert.equal(verifySignature(token, request('/x?token=s3cr3'), ['s3cr3t']).ok, false)
})

test('a spec with an unknown kind or algorithm is refused when loaded', () => {
  assert.throws(() => spec({ kind: 'rot13' }))
  assert.throws(() => spec({ kind: 'digest_template', alg: 'crc32', template: '{a}' }))
})
