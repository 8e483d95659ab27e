import { encodePair, otherBody } from './fuzz-encoding.js'
import {
  BOUNDARY_PAYOUTS,
  deepArray,
  deepObject,
  KNOWN_OFFER,
  KNOWN_TX,
  KNOWN_USER,
  wrongSecret,
} from './fuzz-values.js'
import type { Expectation, FuzzCase, Header, Pair } from './fuzz-wire.js'
import { SECRET } from './harness.js'

// Targeted cases: the boundary inputs of the brief, each with the answer docs/POSTBACKS.md promises.

function fixedCase(kind: string, partial: Partial<FuzzCase> & { target: string }): FuzzCase {
  return {
    kind,
    transport: 'raw',
    method: 'GET',
    version: 'HTTP/1.1',
    host: '127.0.0.1',
    headers: [],
    body: null,
    framing: 'length',
    slow: false,
    brokenBody: false,
    carriesSecret: false,
    wrongSecrets: [],
    ...partial,
  }
}

const query = (pairs: Pair[]) => pairs.map((pair) => encodePair(pair, 'pct', 0)).join('&')
const FORM = ['Content-Type', 'application/x-www-form-urlencoded'] as const
const JSON_TYPE = ['Content-Type', 'application/json'] as const

/** Boundary inputs from the brief, each with the answer docs/POSTBACKS.md promises. */
export function specialCases(): FuzzCase[] {
  const cases: FuzzCase[] = []
  const valid = (tx: string): Pair[] => [
    ['tx_id', tx],
    ['offer_id', KNOWN_OFFER],
    ['user_id', KNOWN_USER],
  ]
  const right = ['secret', SECRET] as const

  // Each boundary payout, with everything else valid and the correct secret: refused.
  BOUNDARY_PAYOUTS.forEach((payout, i) => {
    const code =
      payout === '' ? 'MISSING_FIELD' : payout === '{payout}' ? 'UNREPLACED_MACRO' : 'INVALID_FIELD'
    const expect = { statuses: [400], code }
    const pairs: Pair[] = [...valid(`special-payout-${i}`), ['payout', payout], right]
    cases.push(
      fixedCase('special-payout-get', {
        target: `/api/postback?${query(pairs)}`,
        carriesSecret: true,
        expect,
      }),
    )
    cases.push(
      fixedCase('special-payout-form', {
        method: 'POST',
        target: '/api/postback',
        headers: [FORM],
        body: Buffer.from(query(pairs)),
        carriesSecret: true,
        expect,
      }),
    )
    cases.push(
      fixedCase('special-payout-json', {
        method: 'POST',
        target: '/api/postback',
        headers: [JSON_TYPE],
        body: Buffer.from(JSON.stringify(Object.fromEntries(pairs))),
        carriesSecret: true,
        expect,
      }),
    )
  })
  // A JSON number that is no decimal either.
  for (const literal of ['1e309', '1e21', '1e-7', '-1']) {
    cases.push(
      fixedCase('special-payout-json-number', {
        method: 'POST',
        target: '/api/postback',
        headers: [JSON_TYPE],
        body: Buffer.from(
          `{"tx_id":"special-json-${literal}","offer_id":"o","secret":"${SECRET}","payout":${literal}}`,
        ),
        carriesSecret: true,
        expect: { statuses: [400], code: 'INVALID_FIELD' },
      }),
    )
  }

  // Ambiguous repeated tx_id: in the query, across aliases, query against body.
  const ambiguous = { statuses: [400], code: 'AMBIGUOUS_PARAM' }
  const rest: Pair[] = [
    ['offer_id', KNOWN_OFFER],
    ['payout', '1.50'],
    ['user_id', KNOWN_USER],
    right,
  ]
  cases.push(
    fixedCase('special-ambiguous', {
      target: `/api/postback?${query([['tx_id', 'amb-a'], ['tx_id', 'amb-b'], ...rest])}`,
      carriesSecret: true,
      expect: ambiguous,
    }),
    fixedCase('special-ambiguous', {
      target: `/api/postback?${query([['tx_id', KNOWN_TX], ['transaction_id', 'amb-c'], ...rest])}`,
      carriesSecret: true,
      expect: ambiguous,
    }),
    fixedCase('special-ambiguous', {
      method: 'POST',
      target: `/api/postback?${query([['tx_id', 'amb-d'], ...rest])}`,
      headers: [FORM],
      body: Buffer.from(query([['tx_id', 'amb-e']])),
      carriesSecret: true,
      expect: ambiguous,
    }),
    fixedCase('special-ambiguous', {
      method: 'POST',
      target: `/api/postback?${query([['tx_id', 'amb-f'], ...rest])}`,
      headers: [JSON_TYPE],
      body: Buffer.from('{"tx_id":"amb-g"}'),
      carriesSecret: true,
      expect: ambiguous,
    }),
    fixedCase('special-ambiguous', {
      method: 'POST',
      target: `/api/postback?${query(rest)}`,
      headers: [JSON_TYPE],
      body: Buffer.from('{"tx_id":["amb-h","amb-i"]}'),
      carriesSecret: true,
      expect: ambiguous,
    }),
  )

  // Control characters (NUL, CR/LF) and SQL in the fields, with an invalid payout as well.
  const dirty = ['a\u0000b', 'a\r\nb', '\u0000', "'; DROP TABLE conversions; --", "' OR 1=1 --"]
  dirty.forEach((text, i) => {
    for (const field of ['tx_id', 'offer_id', 'user_id', 'status'] as const) {
      const pairs: Pair[] = [...valid(`special-dirty-${i}`), ['payout', 'NaN'], right]
      const replaced = pairs.map(([n, v]): Pair => (n === field ? [n, text] : [n, v]))
      if (field === 'status') replaced.push(['status', text])
      cases.push(
        fixedCase('special-dirty-field', {
          target: `/api/postback?${query(replaced)}`,
          carriesSecret: true,
          expect: { statuses: [400] },
        }),
      )
    }
  })

  // The known conversion reversed, or paid again, by a request with a poison: nothing moves.
  cases.push(
    fixedCase('special-known-reversal', {
      target: `/api/postback?${query([['tx_id', KNOWN_TX], ['offer_id', KNOWN_OFFER], ['payout', '1.5e0'], ['status', 'reversed'], ['user_id', KNOWN_USER], right])}`,
      carriesSecret: true,
      expect: { statuses: [400], code: 'INVALID_FIELD' },
    }),
    fixedCase('special-known-reversal', {
      target: `/api/postback?${query([
        ['tx_id', KNOWN_TX],
        ['offer_id', KNOWN_OFFER],
        ['payout', '1.50'],
        ['status', 'chargeback'],
        ['user_id', KNOWN_USER],
        ['secret', 'wrong-secret-900001-xyz'],
      ])}`,
      wrongSecrets: ['wrong-secret-900001-xyz'],
      expect: { statuses: [403], code: 'BAD_SECRET' },
    }),
  )

  // Wrong and missing secrets on an otherwise valid postback.
  const validPostback: Pair[] = [...valid('special-secret'), ['payout', '1.50']]
  const wrongs = [900002, 900003, 900004, 900005, 900006].map(wrongSecret)
  const badSecret = { statuses: [403], code: 'BAD_SECRET' }
  cases.push(
    fixedCase('special-secret', {
      target: `/api/postback?${query(validPostback)}`,
      expect: badSecret,
    }),
    fixedCase('special-secret', {
      target: `/api/postback?${query([...validPostback, ['secret', wrongs[0] ?? '']])}`,
      wrongSecrets: [wrongs[0] ?? ''],
      expect: badSecret,
    }),
    fixedCase('special-secret', {
      target: `/api/postback?${query(validPostback)}`,
      headers: [['X-Postback-Secret', wrongs[1] ?? '']],
      wrongSecrets: [wrongs[1] ?? ''],
      expect: badSecret,
    }),
    fixedCase('special-secret', {
      method: 'POST',
      target: '/api/postback',
      headers: [JSON_TYPE],
      body: Buffer.from(
        JSON.stringify({ ...Object.fromEntries(validPostback), secret: wrongs[2] }),
      ),
      wrongSecrets: [wrongs[2] ?? ''],
      expect: badSecret,
    }),
    fixedCase('special-secret', {
      method: 'POST',
      target: '/api/postback',
      headers: [FORM],
      body: Buffer.from(query([...validPostback, ['secret', wrongs[3] ?? '']])),
      wrongSecrets: [wrongs[3] ?? ''],
      expect: badSecret,
    }),
    fixedCase('special-secret', {
      target: `/api/postback?${query([...valid('special-secret'), ['payout', 'NaN'], right, ['secret', wrongs[4] ?? '']])}`,
      carriesSecret: true,
      wrongSecrets: [wrongs[4] ?? ''],
      expect: { statuses: [400, 403] },
    }),
  )

  // Path traversal and odd network names.
  const poisonedPostback: Pair[] = [...valid('special-poisoned'), ['payout', 'NaN'], right]
  const poisoned = query(poisonedPostback)
  for (const name of [
    '..%2F..%2Fetc%2Fpasswd',
    '%2e%2e',
    '%2E%2E%2F%2E%2E%2Fetc%2Fpasswd',
    'default%00',
    '..%5C..%5Cwin.ini',
  ]) {
    cases.push(
      fixedCase('special-traversal', {
        target: `/api/postback/${name}?${poisoned}`,
        carriesSecret: true,
        expect: { statuses: [404], code: 'UNKNOWN_NETWORK' },
      }),
    )
  }
  cases.push(
    fixedCase('special-traversal', {
      target: `/api/postback?network=..%2F..%2Fetc%2Fpasswd&${poisoned}`,
      carriesSecret: true,
      expect: { statuses: [404], code: 'UNKNOWN_NETWORK' },
    }),
    fixedCase('special-traversal', {
      target: `/api/postback/${'n'.repeat(5000)}?${poisoned}`,
      carriesSecret: true,
      expect: { statuses: [400, 404] },
    }),
    fixedCase('special-traversal', {
      target: `/api/postback/%2e%2e/%2e%2e/admin/users/${KNOWN_USER}`,
      expect: { statuses: [400, 404] },
    }),
  )

  // Enormous requests.
  cases.push(
    fixedCase('special-huge-query', {
      target: `/api/postback?${poisoned}&pad=${'a'.repeat(20 * 1024)}`,
      carriesSecret: true,
      expect: { statuses: [400, 414, 431] },
    }),
    fixedCase('special-huge-header', {
      target: `/api/postback?${poisoned}`,
      headers: [['X-Huge', 'h'.repeat(20 * 1024)]],
      carriesSecret: true,
      expect: { statuses: [400, 431] },
    }),
    fixedCase('special-header-flood', {
      target: `/api/postback?${poisoned}`,
      headers: Array.from({ length: 300 }, (_, i): Header => [`X-Flood-${i}`, 'v']),
      carriesSecret: true,
      expect: { statuses: [400], code: 'INVALID_FIELD' },
    }),
    fixedCase('special-header-flood', {
      target: `/api/postback?${poisoned}`,
      headers: Array.from({ length: 1500 }, (_, i): Header => [`X-Flood-${i}`, 'value']),
      carriesSecret: true,
      expect: { statuses: [431] },
    }),
  )

  // Deep JSON, JSON of the wrong shape, bodies that are not form or JSON.
  const invalidBody = { statuses: [400], code: 'INVALID_BODY' }
  const jsonBodies: [string, Expectation][] = [
    [deepObject(1000), invalidBody],
    [deepArray(3000), invalidBody],
    [deepArray(6000), { statuses: [413], code: 'BODY_TOO_LARGE' }],
    [JSON.stringify([{ ...Object.fromEntries(validPostback), secret: SECRET }]), invalidBody],
    [JSON.stringify(`tx_id=x&secret=${SECRET}`), invalidBody],
    ['42', invalidBody],
    [`{"tx_id":{"$ne":null},"offer_id":"o","payout":"1","secret":"${SECRET}"}`, invalidBody],
  ]
  for (const [text, expect] of jsonBodies) {
    cases.push(
      fixedCase('special-json-body', {
        method: 'POST',
        target: '/api/postback',
        headers: [JSON_TYPE],
        body: Buffer.from(text),
        carriesSecret: true,
        expect,
      }),
    )
  }
  for (const type of ['text/plain', 'application/xml', 'multipart/form-data; boundary=fuzz']) {
    cases.push(
      fixedCase('special-content-type', {
        method: 'POST',
        target: `/api/postback?${query([['payout', 'NaN'], right])}`,
        headers: [['Content-Type', type]],
        body: Buffer.from(otherBody(type, validPostback)),
        carriesSecret: true,
        expect: { statuses: [415], code: 'UNSUPPORTED_MEDIA_TYPE' },
      }),
    )
  }

  // Slow bodies: sent in pieces over about a second, then answered as usual.
  for (let i = 0; i < 6; i++) {
    const wrong = wrongSecret(900100 + i)
    const withRight = i % 2 === 0
    const pairs: Pair[] = [
      ...valid('special-slow'),
      ['payout', 'NaN'],
      ['secret', withRight ? SECRET : wrong],
    ]
    cases.push(
      fixedCase('special-slow-body', {
        method: 'POST',
        target: '/api/postback',
        headers: [i < 3 ? FORM : JSON_TYPE],
        body: Buffer.from(i < 3 ? query(pairs) : JSON.stringify(Object.fromEntries(pairs))),
        framing: i === 1 || i === 4 ? 'chunked' : 'length',
        slow: true,
        carriesSecret: withRight,
        wrongSecrets: withRight ? [] : [wrong],
        expect: withRight
          ? { statuses: [400], code: 'INVALID_FIELD' }
          : { statuses: [403], code: 'BAD_SECRET' },
      }),
    )
  }

  // Unreplaced macros in every syntax networks use, where they decide a credit: refused. The
  // last is double-encoded on the wire (%257B... arrives decoded once as %7B...).
  const macros = ['%%USER%%', '$' + '{user_id}', '<USER_ID>', '<%USER_ID%>', '%7Buser_id%7D']
  for (const [i, macro] of macros.entries()) {
    for (const field of ['user_id', 'tx_id']) {
      const pairs: Pair[] = [
        ...valid(`special-macro-${i}`).filter(([name]) => name !== field),
        ['payout', '1.50'],
        [field, macro],
        right,
      ]
      cases.push(
        fixedCase('special-macro', {
          target: `/api/postback?${query(pairs)}`,
          carriesSecret: true,
          expect: { statuses: [400], code: 'UNREPLACED_MACRO' },
        }),
        fixedCase('special-macro-json', {
          method: 'POST',
          target: '/api/postback',
          headers: [JSON_TYPE],
          body: Buffer.from(JSON.stringify(Object.fromEntries(pairs))),
          carriesSecret: true,
          expect: { statuses: [400], code: 'UNREPLACED_MACRO' },
        }),
      )
    }
  }
  return cases
}
