import { createHmac } from 'node:crypto'
import { multiplyDecimals, normalizeDecimal } from '../ledger/decimal.js'
import { type DeliveryRule, MACROS } from './rules.js'

export type DeliveryJob = {
  id: string
  event: string
  attempt: number
  /** The conversion snapshot taken when the event committed. */
  data: Record<string, string | null>
}

export type OutgoingRequest = {
  method: 'GET' | 'POST'
  url: string
  headers: Record<string, string>
  body: string | undefined
}

const USER_AGENT = 'postback-receiver-delivery/1'

/** A request this rule cannot make for this job, whatever the attempt: the delivery is dead. */
export class DeliveryRenderError extends Error {
  override name = 'DeliveryRenderError'
}

/**
 * The request a rule makes for a job: macros filled in, body built, signature added. Throws
 * DeliveryRenderError (with a reason for the attempt log) when it cannot be built.
 */
export function renderDelivery(rule: DeliveryRule, job: DeliveryJob): OutgoingRequest {
  try {
    return buildRequest(rule, job)
  } catch (error) {
    if (error instanceof DeliveryRenderError) throw error
    throw new DeliveryRenderError(`cannot build the request: ${(error as Error).message}`)
  }
}

function buildRequest(rule: DeliveryRule, job: DeliveryJob): OutgoingRequest {
  const values = macroValues(rule, job)
  const url = fill(rule.url, values, encodeURIComponent)
  checkUrl(url, rule.url, values)
  const headers: Record<string, string> = {
    'user-agent': USER_AGENT,
    // Stable across attempts: the receiver dedupes on it (we deliver at least once).
    'x-delivery-id': job.id,
    'x-delivery-attempt': String(job.attempt),
    'x-delivery-event': job.event,
  }
  for (const [name, value] of Object.entries(rule.headers)) {
    headers[name.toLowerCase()] = fill(value, values, headerSafe)
  }
  let body: string | undefined
  if (rule.method === 'POST') {
    const fields = Object.fromEntries(
      Object.entries(rule.fields ?? Object.fromEntries(MACROS.map((m) => [m, `{${m}}`]))).map(
        ([name, value]) => [name, fill(value, values, (v) => v)],
      ),
    )
    if (rule.body === 'form') {
      body = new URLSearchParams(fields).toString()
      headers['content-type'] = 'application/x-www-form-urlencoded'
    } else {
      body = JSON.stringify(fields)
      headers['content-type'] = 'application/json'
    }
  }
  if (rule.signingSecret) {
    const signed = body ?? url
    const digest = createHmac('sha256', rule.signingSecret).update(signed).digest('hex')
    headers[rule.signatureHeader.toLowerCase()] = `sha256=${digest}`
  }
  return { method: rule.method, url, headers, body }
}

function macroValues(rule: DeliveryRule, job: DeliveryJob): Record<string, string> {
  const values: Record<string, string> = {}
  for (const [name, value] of Object.entries(job.data)) values[name] = value ?? ''
  const payout = job.data.payout
  if (payout) {
    values.full_payout = normalizeDecimal(payout)
    values.payout = rule.payoutShare
      ? normalizeDecimal(multiplyDecimals(payout, rule.payoutShare))
      : values.full_payout
  }
  values.event = job.event
  values.delivery_id = job.id
  return values
}

function fill(
  template: string,
  values: Record<string, string>,
  encode: (value: string) => string,
): string {
  return template.replace(/\{([a-z0-9_]+)\}/g, (_, name: string) => encode(values[name] ?? ''))
}

// A header value cannot span lines (a hostile sub1 must not add headers) nor carry other
// control characters or anything beyond Latin-1: those become spaces and percent-encoded UTF-8.
function headerSafe(value: string): string {
  return value
    .replace(/\p{Cc}+/gu, ' ')
    .replace(/\p{Cs}/gu, '\ufffd') // a lone surrogate has no UTF-8
    .replace(/[^\u0020-\u00ff]+/gu, encodeURIComponent)
}

/**
 * A template whose macros render to something that is not an http(s) URL (an empty {sub1} as
 * the host) can never be sent. The reason names the macros, never the URL (it may hold secrets).
 */
function checkUrl(url: string, template: string, values: Record<string, string>) {
  let parsed: URL | undefined
  try {
    parsed = new URL(url)
  } catch {}
  if (parsed && (parsed.protocol === 'http:' || parsed.protocol === 'https:')) return
  const authority = /^[a-z]+:\/\/([^/?#]*)/i.exec(template)?.[1] ?? template
  const inHost = [...authority.matchAll(/\{([a-z0-9_]+)\}/g)].map((m) => m[1] ?? '')
  const empty = inHost.filter((name) => !values[name])
  const hint =
    empty.length > 0
      ? `${empty.map((name) => `{${name}}`).join(', ')} ${empty.length > 1 ? 'are' : 'is'} empty`
      : inHost.length > 0
        ? `check ${inHost.map((name) => `{${name}}`).join(', ')} in its host`
        : 'check the template'
  throw new DeliveryRenderError(
    `cannot build the request: the URL template renders to an invalid URL for this conversion (${hint})`,
  )
}
