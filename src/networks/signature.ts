import { createHash, createHmac, hash, timingSafeEqual } from 'node:crypto'
import { z } from 'zod'

// Network signatures as data: each kind below covers a family of real schemes (see
// docs/NETWORKS.md and ../shared/reference/networks.md); a preset only fills in the blanks.

const ALGORITHMS = ['md5', 'sha1', 'sha256', 'sha512'] as const
const ENCODINGS = ['hex', 'HEX', 'base64', 'base64url'] as const
type Algorithm = (typeof ALGORITHMS)[number]
type Encoding = (typeof ENCODINGS)[number]

/** Where the received signature travels: a parameter or a header (lower-case name). */
const location = { param: z.string().min(1).optional(), header: z.string().min(1).optional() }
const coding = { alg: z.enum(ALGORITHMS), encoding: z.enum(ENCODINGS).default('hex') }

export const signatureSpecSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }),
  // The operator's own token in the URL (or a header), compared with the profile's secrets.
  z.object({ kind: z.literal('static_token'), ...location }),
  // hash(template) where the template names parameters and {secret}: "{id}:{snuid}:{secret}".
  z.object({
    kind: z.literal('digest_template'),
    ...coding,
    ...location,
    template: z.string().min(1),
  }),
  // HMAC(key = secret, message = template).
  z.object({
    kind: z.literal('hmac_template'),
    ...coding,
    ...location,
    template: z.string().min(1),
  }),
  // HMAC over the URL as received (public base + path + query) without the signature parameter.
  z.object({
    kind: z.literal('hmac_url'),
    ...coding,
    param: z.string().min(1),
    strip: z.enum(['trailing_param', 'remove_param']).default('trailing_param'),
  }),
  // HMAC over the parameters sorted by name: "a=1&b=2" (PHP http_build_query) or "1:2" (values).
  z.object({
    kind: z.literal('hmac_sorted_params'),
    ...coding,
    ...location,
    join: z.enum(['query', 'values_colon']).default('query'),
    include: z.array(z.string()).optional(),
    exclude: z.array(z.string()).default([]),
    skipEmpty: z.boolean().default(false),
  }),
  // HMAC over the raw request body.
  z.object({ kind: z.literal('hmac_body'), ...coding, ...location }),
])

export type SignatureSpec = z.output<typeof signatureSpecSchema>

/** What a signature may cover, exactly as it arrived. */
export type SignedRequest = {
  /** scheme://host[:port] the network called, e.g. PUBLIC_URL (proxies rewrite the real one). */
  publicBaseUrl: string
  /** Path and query string as received, not re-encoded. */
  rawUrl: string
  /** Decoded values per parameter name (query and body). */
  params: Map<string, string[]>
  rawBody: string | null
  headers: Record<string, string | string[] | undefined>
}

/** `missing`: the request carried no signature at all (the answer says so, the doctor counts it). */
export type SignatureCheck = { ok: true } | { ok: false; missing: boolean; reason: string }

/** Checks the request against the spec with each active secret, in constant time per comparison. */
export function verifySignature(
  spec: SignatureSpec,
  request: SignedRequest,
  secrets: readonly string[],
): SignatureCheck {
  if (spec.kind === 'none') return { ok: true }
  const received = receivedSignature(spec, request)
  if (received === undefined)
    return { ok: false, missing: true, reason: `no signature: expected ${describeLocation(spec)}` }
  let match = false
  for (const secret of secrets) {
    const expected =
      spec.kind === 'static_token' ? secret : expectedSignature(spec, request, secret)
    match =
      sameSignature(
        received,
        expected,
        'encoding' in spec ? spec.encoding : undefined,
        spec.kind === 'static_token',
      ) || match
  }
  return match
    ? { ok: true }
    : { ok: false, missing: false, reason: `the ${describeLocation(spec)} does not match` }
}

function receivedSignature(
  spec: Exclude<SignatureSpec, { kind: 'none' }>,
  request: SignedRequest,
): string | undefined {
  if ('param' in spec && spec.param) {
    const values = new Set(request.params.get(spec.param)?.filter(Boolean))
    // Two different values: an attempt to slip a second signature past us; never matches.
    if (values.size > 1) return '\u0000ambiguous'
    const [value] = values
    if (value !== undefined) return value
  }
  if ('header' in spec && spec.header) {
    const value = request.headers[spec.header.toLowerCase()]
    return (Array.isArray(value) ? value[0] : value) || undefined
  }
  return undefined
}

function describeLocation(spec: SignatureSpec): string {
  const param = 'param' in spec && spec.param ? `signature parameter ${spec.param}` : undefined
  const header = 'header' in spec && spec.header ? `signature header ${spec.header}` : undefined
  return [param, header].filter(Boolean).join(' or ') || 'signature'
}

/** The signature a request should carry for `secret` (send-test signs with it). */
export function expectedSignature(
  spec: Exclude<SignatureSpec, { kind: 'none' | 'static_token' }>,
  request: SignedRequest,
  secret: string,
): string {
  switch (spec.kind) {
    case 'digest_template':
      return encode(
        createHash(spec.alg)
          .update(fillTemplate(spec.template, request.params, secret))
          .digest(),
        spec.encoding,
      )
    case 'hmac_template':
      return hmac(
        spec.alg,
        secret,
        fillTemplate(spec.template, request.params, secret),
        spec.encoding,
      )
    case 'hmac_url':
      return hmac(spec.alg, secret, urlWithoutParam(request, spec.param, spec.strip), spec.encoding)
    case 'hmac_sorted_params':
      return hmac(spec.alg, secret, sortedParams(spec, request.params), spec.encoding)
    case 'hmac_body':
      return hmac(spec.alg, secret, request.rawBody ?? '', spec.encoding)
  }
}

function hmac(alg: Algorithm, secret: string, message: string, encoding: Encoding): string {
  return encode(createHmac(alg, secret).update(message).digest(), encoding)
}

function encode(digest: Buffer, encoding: Encoding): string {
  if (encoding === 'hex') return digest.toString('hex')
  if (encoding === 'HEX') return digest.toString('hex').toUpperCase()
  return digest.toString(encoding) // base64url comes without padding
}

/**
 * {name} is the parameter's value as received (decoded; missing -> ""), {secret} the secret.
 * An empty repeat does not count: Fyber appends _trans_id_ to a URL that may already end in
 * "?_trans_id_=", and signs the value it appends (two different values are refused later).
 */
export function fillTemplate(
  template: string,
  params: Map<string, string[]>,
  secret: string,
): string {
  return template.replace(/\{([^{}]+)\}/g, (_, name: string) =>
    name === 'secret' ? secret : (params.get(name)?.find((value) => value !== '') ?? ''),
  )
}

function urlWithoutParam(
  request: SignedRequest,
  param: string,
  strip: 'trailing_param' | 'remove_param',
): string {
  const url = `${request.publicBaseUrl.replace(/\/+$/, '')}${request.rawUrl}`
  const mark = url.indexOf('?')
  if (mark === -1) return url
  const base = url.slice(0, mark)
  const pairs = url.slice(mark + 1).split('&')
  const isSignature = (pair: string) => pair === param || pair.startsWith(`${param}=`)
  if (strip === 'trailing_param') {
    // BitLabs, Notik: the signature is appended last; everything before "&hash=" is signed.
    const index = pairs.findIndex(isSignature)
    const kept = index === -1 ? pairs : pairs.slice(0, index)
    return kept.length > 0 ? `${base}?${kept.join('&')}` : base
  }
  const kept = pairs.filter((pair) => !isSignature(pair))
  return kept.length > 0 ? `${base}?${kept.join('&')}` : base
}

function sortedParams(
  spec: Extract<SignatureSpec, { kind: 'hmac_sorted_params' }>,
  params: Map<string, string[]>,
): string {
  const excluded = new Set([...spec.exclude, ...(spec.param ? [spec.param] : [])])
  const names = [...(spec.include ?? params.keys())].filter((name) => !excluded.has(name)).sort()
  const entries = names
    .map((name) => [name, params.get(name)?.[0] ?? ''] as const)
    .filter(([, value]) => !(spec.skipEmpty && value === ''))
  if (spec.join === 'values_colon') return entries.map(([, value]) => value).join(':')
  return entries.map(([name, value]) => `${phpUrlencode(name)}=${phpUrlencode(value)}`).join('&')
}

/** PHP's urlencode (RFC 1738): spaces as "+", everything but [A-Za-z0-9_.-] percent-encoded. */
function phpUrlencode(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+')
}

function sameSignature(
  received: string,
  expected: string,
  encoding: Encoding | undefined,
  /** `expected` is a secret itself (a static token): its digest is kept between requests. */
  expectedIsSecret: boolean,
): boolean {
  const normalize = (text: string) => {
    if (encoding === 'hex' || encoding === 'HEX') return text.trim().toLowerCase()
    if (encoding === 'base64url' || encoding === 'base64') return text.trim().replace(/=+$/, '')
    return text
  }
  // Digests of equal length, compared in constant time: the comparison tells nothing of where
  // the received value differs.
  const a = hash('sha256', normalize(received), 'buffer')
  const b = expectedIsSecret
    ? digestOf(normalize(expected))
    : hash('sha256', normalize(expected), 'buffer')
  return timingSafeEqual(a, b)
}

const tokenDigests = new Map<string, Buffer>()

/** The SHA-256 of a secret, worked out once. */
function digestOf(token: string): Buffer {
  let digest = tokenDigests.get(token)
  if (!digest) {
    // Secrets are few; a reload may retire some, so the map is bounded all the same.
    if (tokenDigests.size >= 1000) tokenDigests.clear()
    digest = hash('sha256', token, 'buffer')
    tokenDigests.set(token, digest)
  }
  return digest
}
