import type { LogContext, Postback } from '../../src/postbacks/postback.js'

// Postbacks as the writer takes them (verified and parsed), for tests of the writer itself.

/** A verified GET on the postback route, as the log records it. */
export const logContext = (network: string): LogContext => ({
  network,
  method: 'GET',
  path: '/api/postback',
  query: null,
  body: null,
  headers: {},
  sourceIp: '127.0.0.1',
  callerVerified: true,
})

/** An approval with nothing but what `fields` names (payout in whole cents of test data). */
export function approvalOf(
  fields: Pick<Postback, 'network' | 'txId'> & Partial<Postback>,
): Postback {
  return {
    offerId: null,
    payout: '1.25',
    points: 125n,
    status: 'approved',
    networkStatus: 'approved',
    userId: null,
    clickId: null,
    currency: null,
    subs: [null, null, null, null, null],
    ip: null,
    datetime: null,
    reward: null,
    test: false,
    ...fields,
  }
}
