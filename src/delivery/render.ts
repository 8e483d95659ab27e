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

/** The request a rule makes for a job: macros filled in, body built, signature added. */
export function renderDelivery(rule: DeliveryRule, job: DeliveryJob): OutgoingRequest {
  const values = macroValues(rule, job)
  const url = fill(rule.url, values, encodeURIComponent)
  const headers: Record<string, string> = {
    'user-agent': USER_AGENT,
    // Stable across attempts: the receiver dedupes on it (we deliver at least once).
    'x-delivery-id': job.id,
    'x-delivery-attempt': String(job.attempt),
    'x-delivery-event': job.event,
  }
  for (const [name, value] of Object.entries(rule.headers)) {
    headers[name.toLowerCase()] = fill(value, values, stripLineBreaks)
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

// A header value cannot span lines; a hostile sub1 must not add headers.
function stripLineBreaks(value: string): string {
  return value.replace(/[\r\n]+/g, ' ')
}
