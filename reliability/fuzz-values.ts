import type { Expectation, Framing, Header } from './fuzz-wire.js'

// The raw material of the fuzzing scenario: hostile values, boundary payouts, broken encodings,
// odd paths, protocol tricks and JSON of the wrong shape.

export const KNOWN_TX = 'fuzz-known-tx'
export const KNOWN_USER = 'fuzz-known-user'
export const KNOWN_OFFER = 'fuzz-known-offer'
/** Wrong secrets are distinctive, so a leak of any of them can be searched for. */
export const wrongSecret = (n: number) => `wrong-secret-${n}-xyz`

export const FIELD_ALIASES = {
  tx_id: ['tx_id', 'transaction_id', 'txid'],
  offer_id: ['offer_id'],
  payout: ['payout'],
  user_id: ['user_id'],
  status: ['status'],
} as const
export const OPTIONAL_FIELDS = [
  'click_id',
  'sub1',
  'sub2',
  'sub3',
  'sub4',
  'sub5',
  'ip',
  'datetime',
  'currency',
  'reward',
]
export const RESERVED_NAMES = new Set<string>([
  ...Object.values(FIELD_ALIASES).flat(),
  ...OPTIONAL_FIELDS,
  'secret',
  'network',
])

/** Payouts docs/POSTBACKS.md rules out (sign, exponent, comma, NaN, Infinity, > 6 places, not digits). */
export const BOUNDARY_PAYOUTS = [
  '1e309',
  '-0',
  'NaN',
  'Infinity',
  '-Infinity',
  '1'.repeat(30),
  '0x10',
  '٣',
  '３',
  '𝟑',
  '1,5',
  ' 3',
  '3 ',
  '3.1234567',
  '-1',
  '+1',
  '1e3',
  '1E-7',
  '3.5\u0000',
  '3\n',
  '3.50€',
  '$3',
  '3.5.1',
  '½',
  '{payout}',
  '',
]
export const VALID_STATUSES = [
  'approved',
  'pending',
  'reversed',
  'chargeback',
  '1',
  '2',
  ' APPROVED ',
  'Sale',
]
export const INVALID_STATUSES = [
  "approved'; DROP TABLE conversions; --",
  '3',
  '-1',
  'constructor',
  '__proto__',
  'toString',
  'hasOwnProperty',
  'approvedd',
  'apprоved', // Cyrillic о
  '１',
  'pending\u0000',
  'ok',
  'null',
  '{status}',
]
export const CONTROL_CHARS = [
  '\u0000',
  '\r',
  '\n',
  '\r\n',
  '\t',
  '\u0001',
  '\u001b',
  '\u007f',
  '\u0085',
]
export const SQL = [
  "' OR '1'='1",
  "' OR 1=1 --",
  "'; DROP TABLE conversions; --",
  '1; UPDATE balances SET points = points + 1000000 --',
  '" OR ""="',
  "') OR ('a'='a",
  "1' UNION SELECT value FROM settings --",
  '$1',
  "'; SELECT pg_sleep(3); --",
  '$$; SELECT pg_sleep(3); $$',
  "\\'; DELETE FROM ledger_entries; --",
  "admin'--",
  '%27%20OR%201%3D1',
  '1 AND 1=CAST((SELECT value FROM settings) AS int)',
  "' || (SELECT string_agg(value, ',') FROM settings) || '",
  "E'\\x00'",
]
export const MACROS = [
  '{tx_id}',
  '{{user_id}}',
  '[CLICK_ID]',
  '[[sub1]]',
  '[%SUB1%]',
  '#payout#',
  '$offer_id$',
  '%status%',
  '{ user_id }',
  '{}',
]
export const ODD_UNICODE = [
  '٣',
  '３',
  '𝟑',
  '١٢٣',
  'Ⅻ',
  '½',
  'ﬁ',
  'İ',
  'ß',
  '\u202e',
  '\u200b',
  '\ud800',
  '\udfff',
  '😀',
  'e\u0301',
  '中文',
  'עברית',
  '\uffff',
  '\u2028',
]
/** Percent sequences that are invalid UTF-8 or not percent-encoding at all (plus %00). */
export const BROKEN_PERCENT = [
  '%ZZ',
  '%',
  '%%',
  '%2',
  '%C3%28',
  '%FF',
  '%FE%FF',
  '%E2%82',
  '%ED%A0%80',
  '%C0%AF',
  '%F4%90%80%80',
  '%u0041',
  '%00',
  '%0D%0A',
]
export const JUNK_PARAMS = [
  '%ZZ=1',
  '%=%',
  'a=%C3%28',
  '%FF=%FF',
  '=',
  '&&&',
  'x',
  '%00=%00',
  'a[b]=c',
  '__proto__=x',
  'constructor=y',
  'a=%E2%82',
  '%u0041=1',
  ';',
  'network',
  'a=1=2',
  '==',
]

export const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`
export const deepArray = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`

/** JSON bodies of the wrong shape; none names a postback field. */
export const JSON_SHAPES: { body: string; expect?: Expectation }[] = [
  { body: deepObject(1000), expect: { statuses: [400], code: 'INVALID_BODY' } },
  { body: deepObject(1300), expect: { statuses: [400], code: 'INVALID_BODY' } },
  { body: deepArray(1000), expect: { statuses: [400], code: 'INVALID_BODY' } },
  { body: deepArray(4000), expect: { statuses: [400], code: 'INVALID_BODY' } },
  { body: deepArray(5000), expect: { statuses: [413], code: 'BODY_TOO_LARGE' } },
  { body: deepObject(2000), expect: { statuses: [413], code: 'BODY_TOO_LARGE' } },
  { body: '[]', expect: { statuses: [400], code: 'INVALID_BODY' } },
  { body: '[{"a":"b"},{"c":"d"}]', expect: { statuses: [400], code: 'INVALID_BODY' } },
  { body: '"a=1&b=2"', expect: { statuses: [400], code: 'INVALID_BODY' } },
  { body: '42', expect: { statuses: [400], code: 'INVALID_BODY' } },
  { body: '-0', expect: { statuses: [400], code: 'INVALID_BODY' } },
  { body: '1e309', expect: { statuses: [400], code: 'INVALID_BODY' } },
  { body: 'true', expect: { statuses: [400], code: 'INVALID_BODY' } },
  { body: 'NaN', expect: { statuses: [400], code: 'INVALID_BODY' } },
  { body: 'Infinity', expect: { statuses: [400], code: 'INVALID_BODY' } },
  { body: '0x10', expect: { statuses: [400], code: 'INVALID_BODY' } },
  { body: '{"a":1,}', expect: { statuses: [400], code: 'INVALID_BODY' } },
  { body: "{'a':1}", expect: { statuses: [400], code: 'INVALID_BODY' } },
  { body: '{"a":', expect: { statuses: [400], code: 'INVALID_BODY' } },
  { body: '\u0000', expect: { statuses: [400], code: 'INVALID_BODY' } },
  { body: '{"a":{"$gt":""}}', expect: { statuses: [400], code: 'INVALID_BODY' } },
  { body: '{"a":[1,[2]]}', expect: { statuses: [400], code: 'INVALID_BODY' } },
  { body: '{"__proto__":{"isAdmin":true}}', expect: { statuses: [400], code: 'INVALID_BODY' } },
  {
    body: '{"constructor":{"prototype":{"isAdmin":true}}}',
    expect: { statuses: [400], code: 'INVALID_BODY' },
  },
  { body: 'null' },
  { body: '{}' },
  { body: '{"a":1e309,"b":-0,"c":null,"d":"\\ud800","e":"\\u0000"}' },
  { body: '\ufeff{"a":1}' },
]

export const UNSUPPORTED_TYPES = [
  'text/plain',
  'application/xml',
  'multipart/form-data; boundary=fuzz',
  'application/octet-stream',
  'text/html',
  'image/png',
  ';;;',
  'application/json, text/plain',
]
export const ODD_TYPES = [
  'APPLICATION/JSON',
  'application/json; charset=latin1',
  'application/x-www-form-urlencoded; charset=utf-16',
  'application/json;;',
  'application/x-www-form-urlencoded ; foo=bar',
]

export const TRAVERSALS = [
  '..%2F..%2Fetc%2Fpasswd',
  '%2e%2e',
  '%2E%2E%2F%2E%2E%2Fetc%2Fpasswd',
  '..%5C..%5Cwindows%5Cwin.ini',
  '..',
  '%2e',
  '....%2F%2F',
  'default%00',
  '%00',
  'default%2F..',
  'n'.repeat(99),
  'n'.repeat(101),
  'n'.repeat(300),
  'n'.repeat(5000),
  '%252e%252e%252f',
  '..%c0%af..%c0%afetc',
  '%ZZ',
  '%C3%28',
  '%FF',
  '%7Bnetwork%7D',
  "'%20OR%201%3D1--",
  'admin',
  '..%2F..%2Fadmin%2Fusers%2Fx',
]

export type Protocol = {
  name: string
  method?: string
  version?: string
  targetPrefix?: string
  host?: null
  headers?: Header[]
  framing?: Framing
  rawTarget?: string
}
export const PROTOCOL: Protocol[] = [
  { name: 'lowercase-method', method: 'get' },
  { name: 'unknown-method', method: 'FOO' },
  { name: 'put', method: 'PUT' },
  { name: 'delete', method: 'DELETE' },
  { name: 'patch', method: 'PATCH' },
  { name: 'options', method: 'OPTIONS' },
  { name: 'trace', method: 'TRACE' },
  { name: 'http10', version: 'HTTP/1.0' },
  { name: 'http12', version: 'HTTP/1.2' },
  { name: 'http20', version: 'HTTP/2.0' },
  { name: 'absolute-target', targetPrefix: 'http://evil.example' },
  { name: 'no-host', host: null },
  { name: 'two-hosts', headers: [['Host', 'evil.example']] },
  { name: 'bad-chunked', framing: 'bad-chunked' },
  { name: 'truncated-body', framing: 'truncated' },
  { name: 'two-lengths', framing: 'two-lengths' },
  { name: 'length-and-chunked', framing: 'length-and-chunked' },
  { name: 'negative-length', framing: 'negative-length' },
  { name: 'chunked', framing: 'chunked' },
  { name: 'expect-continue', headers: [['Expect', '100-continue']] },
  { name: 'expect-unknown', headers: [['Expect', 'telepathy']] },
  { name: 'crlf-in-header', headers: [['X-Fuzz', 'a\r\nX-Injected: 1']] },
  { name: 'nul-in-header', headers: [['User-Agent', 'a\u0000b']] },
  { name: 'obs-fold', headers: [['X-Fuzz', 'a\r\n  folded']] },
  { name: 'bare-lf', headers: [['X-Fuzz', 'a\nX-Other: b']] },
  { name: 'space-in-name', headers: [['X Fuzz', '1']] },
  { name: 'high-bytes-in-header', headers: [['User-Agent', '\u00ff\u00fe\u00c3']] },
  { name: 'content-encoding', headers: [['Content-Encoding', 'gzip']] },
  { name: 'te-identity', headers: [['Transfer-Encoding', 'identity']] },
  { name: 'crlf-in-target', rawTarget: '/api/postback?tx_id=a\r\nX-Injected: 1' },
  { name: 'nul-in-target', rawTarget: '/api/postback?tx_id=a\u0000b' },
  { name: 'space-in-target', rawTarget: '/api/postback?tx_id=a b' },
  {
    name: 'high-bytes-in-target',
    rawTarget: '/api/postback?tx_id=\u00ff\u00fe\u00c3&payout=\u00d9\u00a3',
  },
  { name: 'star-target', rawTarget: '*' },
  { name: 'no-slash-target', rawTarget: 'api/postback' },
]
