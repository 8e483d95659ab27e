import { z } from 'zod'
import type { Notice } from './layout.js'

// After a POST the browser is redirected (so a reload repeats nothing) with ?notice=<code>;
// only these fixed texts can appear, whatever a link says.
const NOTICES = {
  approved: { kind: 'ok', text: 'Approved: the conversion is credited (see the ledger below).' },
  rejected: { kind: 'ok', text: 'Rejected: nothing was credited.' },
  'not-held': {
    kind: 'warn',
    text: 'That conversion is no longer held for review: nothing changed.',
  },
  replayed: { kind: 'ok', text: 'Replayed: this is the new log entry, with today\u2019s outcome.' },
  'replay-accepted-before': {
    kind: 'warn',
    text: 'Already replayed and accepted: nothing was done.',
  },
  'replay-skipped': {
    kind: 'warn',
    text: 'Not replayed: only refused postbacks with their full request stored can be replayed.',
  },
  'replay-unauthorized': {
    kind: 'warn',
    text: 'Not replayed: its caller was never verified and the stored copy cannot be re-verified. Tick \u201cthe network really sent it\u201d only if you know that it did.',
  },
  'bulk-running': {
    kind: 'warn',
    text: 'A bulk run of this kind is already running: this is it. Start again once it is done (the next run takes only what is left).',
  },
  retried: { kind: 'ok', text: 'Queued again: the worker sends it with a fresh set of attempts.' },
  'not-dead': {
    kind: 'warn',
    text: 'Only dead deliveries can be retried; this one is still being attempted or was delivered.',
  },
  'account-created': { kind: 'ok', text: 'Account created: they can sign in now.' },
  'account-updated': { kind: 'ok', text: 'Account changed; its sessions were ended.' },
  'password-set': { kind: 'ok', text: 'Password set; the account\u2019s sessions were ended.' },
  'sessions-ended': { kind: 'ok', text: 'Sessions ended: they must sign in again.' },
  'token-revoked': { kind: 'ok', text: 'Token revoked: requests with it are refused from now on.' },
  adjusted: {
    kind: 'ok',
    text: 'Adjusted: the ledger entry is below and the balance has changed.',
  },
  'adjust-duplicate': {
    kind: 'warn',
    text: 'That adjustment form was sent before and applied then: nothing changed this time.',
  },
  'offer-saved': { kind: 'ok', text: 'Saved: payout review uses the new expected payout now.' },
  'network-added': {
    kind: 'ok',
    text: 'Network added: it takes postbacks now, on every instance within NETWORKS_RELOAD_INTERVAL. Paste its URL below into the network\u2019s panel.',
  },
  'network-saved': {
    kind: 'ok',
    text: 'Saved: applied now, on every instance within NETWORKS_RELOAD_INTERVAL.',
  },
} satisfies Record<string, Notice>

export type NoticeCode = keyof typeof NOTICES

/** `?notice=` in a page's querystring schema: any other value (a stale link) shows none. */
export const notice = z
  .enum(Object.keys(NOTICES) as [NoticeCode, ...NoticeCode[]])
  .optional()
  .catch(undefined)

/** The querystring of a page that takes no other parameter. */
export const noticeQuery = z.object({ notice })

export function noticeOf(query: { notice?: NoticeCode }): Notice | undefined {
  return query.notice ? NOTICES[query.notice] : undefined
}
