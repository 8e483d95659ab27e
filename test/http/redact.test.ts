import assert from 'node:assert/strict'
import { test } from 'node:test'
import { redactPath, redactQueryString, redactUrl, redactValues } from '../../src/http/redact.js'

// What the request log and postback_log keep of a URL, a body or a header: never a secret,
// however it was encoded, and every other byte as received.
const SECRET = 'tok en/é+1'

test('when a secret appears raw, percent-encoded in either hex case or with + for a space, then every form is redacted', () => {
  const encoded = encodeURIComponent(SECRET) // tok%20en%2F%C3%A9%2B1
  const text = `a ${SECRET} b ${encoded} c ${encoded.toLowerCase()} d ${encoded.replace(/%20/g, '+')}`
  assert.equal(redactValues(text, [SECRET]), 'a [REDACTED] b [REDACTED] c [REDACTED] d [REDACTED]')
})

test('when the list of secrets is changed in place, then its new secret is redacted too', () => {
  const secrets = ['first-secret-0123']
  assert.equal(
    redactValues('x first-secret-0123 second-secret-4567', secrets),
    'x [REDACTED] second-secret-4567',
  )
  secrets.push('second-secret-4567')
  assert.equal(
    redactValues('x first-secret-0123 second-secret-4567', secrets),
    'x [REDACTED] [REDACTED]',
  )
  // The same URL redacted again after the change (the log line and the stored request do).
  const url = '/api/postback?a=second-secret-4567&b=1'
  secrets.pop()
  assert.equal(redactUrl(url, secrets), url)
  secrets.push('second-secret-4567')
  assert.equal(redactUrl(url, secrets), '/api/postback?a=[REDACTED]&b=1')
  secrets.splice(0, 2, 'third-secret-8901')
  assert.equal(
    redactValues('first-secret-0123 third-secret-8901', secrets),
    'first-secret-0123 [REDACTED]',
  )
})

test('when a query string carries a secret by name or by value, however encoded, then only those values are replaced', () => {
  const query = `tx_id=1&secret=abc&sub1=${encodeURIComponent(SECRET).toLowerCase()}&sub2=tok+en%2f%C3%A9%2b1&note=a%2Bb&bad=%E2%82`
  assert.equal(
    redactQueryString(query, [SECRET]),
    'tx_id=1&secret=[REDACTED]&sub1=[REDACTED]&sub2=[REDACTED]&note=a%2Bb&bad=%E2%82',
  )
  // A name that holds the secret loses the whole pair; nothing to redact leaves the text as is.
  assert.equal(redactQueryString(`${encodeURIComponent(SECRET)}=1&a=2`, [SECRET]), '[REDACTED]&a=2')
  assert.equal(redactQueryString('a=1&&b&c=%zz', [SECRET]), 'a=1&&b&c=%zz')
})

test('when a path segment holds a secret once decoded, then that segment is replaced', () => {
  assert.equal(
    redactPath('/api/postback/s3cr3t-token', ['s3cr3t-token']),
    '/api/postback/[REDACTED]',
  )
  assert.equal(redactPath('/api/%73%33cr3t-token/x', ['s3cr3t-token']), '/api/[REDACTED]/x')
  assert.equal(redactPath('/api/postback', ['s3cr3t-token']), '/api/postback')
  assert.equal(
    redactUrl('/api/postback/s3cr3t-token?token=x&a=s3cr3t-token', ['s3cr3t-token']),
    '/api/postback/[REDACTED]?token=[REDACTED]&a=[REDACTED]',
  )
})
