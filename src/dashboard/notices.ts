import type { Notice } from './layout.js'

// After a POST the browser is redirected (so a reload repeats nothing) with ?notice=<code>;
// only these fixed texts can appear, whatever a link says.
const NOTICES: Record<string, Notice> = {
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
  retried: { kind: 'ok', text: 'Queued again: the worker sends it with a fresh set of attempts.' },
  'not-dead': {
    kind: 'warn',
    text: 'Only dead deliveries can be retried; this one is still being attempted or was delivered.',
  },
}

export function noticeOf(query: unknown): Notice | undefined {
  const code = (query as { notice?: unknown } | undefined)?.notice
  return typeof code === 'string' ? NOTICES[code] : undefined
}
