import { codeSpec, type ErrorCode, forNetwork } from '../http/codes.js'
import { findPastedUrlProblems, storedRequestParams } from '../postbacks/pasted-url.js'

// Plain-language explanations of postback outcome codes: what happened, and what to do (a
// refusal's title and action are the code registry's, src/http/codes.ts). `message` is the
// stored, already-redacted message; field problems are listed one per line.

export type Explanation = { summary: string; details: string[]; fix: string | null }

type Entry = {
  outcome: string
  network: string | null
  message: string | null
  statusCode: number
  /** The stored request: macros or repeated parameters in it explain a failed signature. */
  query?: string | null
  body?: string | null
}

const ACCEPTED: Record<string, string> = {
  credited: 'accepted and the user was credited',
  recorded: 'accepted and recorded; no points moved (pending, no user known, or reversed early)',
  held: 'accepted but held for review: nothing is credited until someone approves it',
  reversed: 'accepted as a reversal: the credited points (if any) were taken back',
  duplicate: 'the same postback arrived before: answered OK, nothing changed',
  ignored: 'accepted but it cannot change this conversion any more (e.g. it is final)',
  test: 'the network flagged it as a test: logged, not credited',
  rejected: 'rejected by an operator',
}

// A wrong credential that the stored request explains better (macros, repeated parameters).
const CREDENTIAL_CODES: string[] = ['BAD_SECRET', 'BAD_SIGNATURE'] satisfies ErrorCode[]

export function explainOutcome(entry: Entry): Explanation {
  const network = entry.network ?? 'default'
  const message = entry.message ?? ''
  const accepted = ACCEPTED[entry.outcome]
  if (entry.statusCode < 400) {
    return { summary: accepted ?? `accepted (${entry.outcome})`, details: [message], fix: null }
  }
  const parts = message.split('; ').filter(Boolean)
  if (CREDENTIAL_CODES.includes(entry.outcome) && pastedUrlIsWrong(entry)) {
    return {
      summary: `the URL in network ${network}'s panel is not the one printed for it: it still has macros, or parameters the network appends itself`,
      details: [message],
      fix: `Paste the URL that \`npm run cli -- url ${network}\` prints (also on the Networks page) into the network's panel, replacing the one there; the secret is not the problem.`,
    }
  }
  const spec = codeSpec(entry.outcome)
  if (!spec) return { summary: `refused (${entry.outcome})`, details: [message], fix: null }
  return {
    summary: forNetwork(spec.title, network),
    details: spec.listsFields ? parts.map((part) => `parameter ${part}`) : [message],
    fix: forNetwork(spec.action, network),
  }
}

function pastedUrlIsWrong(entry: Entry): boolean {
  if (entry.query === undefined && entry.body === undefined) return false
  const problems = findPastedUrlProblems(
    storedRequestParams(entry.query ?? null, entry.body ?? null),
  )
  return problems.macros.length > 0 || problems.repeated.length > 0
}

/** Whether a stored refusal can be replayed, and if it needs the operator's word first. */
export function replayable(entry: {
  statusCode: number
  outcome: string
  callerVerified: boolean
}) {
  if (entry.statusCode < 400 || entry.outcome === ('RATE_LIMITED' satisfies ErrorCode)) return null
  return { unauthorized: !entry.callerVerified }
}
