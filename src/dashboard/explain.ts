import { findPastedUrlProblems, storedRequestParams } from '../postbacks/pasted-url.js'

// Plain-language explanations of postback outcome codes: what happened, and what to do.
// `message` is the stored, already-redacted message; field problems are listed one per line.

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

export function explainOutcome(entry: Entry): Explanation {
  const network = entry.network ?? 'default'
  const message = entry.message ?? ''
  const accepted = ACCEPTED[entry.outcome]
  if (entry.statusCode < 400) {
    return { summary: accepted ?? `accepted (${entry.outcome})`, details: [message], fix: null }
  }
  const parts = message.split('; ').filter(Boolean)
  if (
    (entry.outcome === 'BAD_SECRET' || entry.outcome === 'BAD_SIGNATURE') &&
    pastedUrlIsWrong(entry)
  ) {
    return {
      summary: `the URL in network ${network}'s panel is not the one printed for it: it still has macros, or parameters the network appends itself`,
      details: [message],
      fix: `Paste the URL that \`npm run cli -- url ${network}\` prints (also on the Networks page) into the network's panel, replacing the one there; the secret is not the problem.`,
    }
  }
  switch (entry.outcome) {
    case 'BAD_SECRET':
      return {
        summary: message.startsWith('no secret')
          ? `no secret was sent for network ${network}`
          : `the secret did not match any active secret for network ${network}`,
        details: [message],
        fix:
          network === 'default'
            ? 'Copy the postback URL from the Networks page into the network again, or add the old secret to POSTBACK_SECRET (comma-separated) while you rotate.'
            : `Copy network ${network}'s postback URL from the Networks page into the network again, or add the secret the network uses to its profile's secrets.`,
      }
    case 'BAD_SIGNATURE':
      return {
        summary: `the signature did not verify for network ${network}`,
        details: [message],
        fix: `Check that network ${network}'s secret in NETWORKS_FILE matches the one in the network's dashboard, and that PUBLIC_URL is the address the network calls (URL signatures cover it).`,
      }
    case 'UNSIGNED_PARAMS':
      return {
        summary: `parameters arrived that network ${network}'s URL signature does not cover`,
        details: [message],
        fix: `A genuine callback has its signature parameter last and no body. If the network really sends this, check its postback URL; otherwise someone appended parameters to a signed URL (do not replay it).`,
      }
    case 'SECRET_IN_FIELD':
      return {
        summary: 'a field held an active secret, so the postback was refused rather than stored',
        details: parts.map((part) => `parameter ${part}`),
        fix: "Fix the postback URL in the network's dashboard so the secret is only in its own parameter; if the secret leaked, rotate it.",
      }
    case 'IP_NOT_ALLOWED':
      return {
        summary: `the request came from an address not allowed for network ${network}`,
        details: [message],
        fix: 'If the network added servers, add their addresses; behind a proxy, set TRUST_PROXY so the real client address is used.',
      }
    case 'HTTPS_REQUIRED':
      return {
        summary: 'the request arrived over plain HTTP while REQUIRE_HTTPS is on',
        details: [message],
        fix: 'Give the network the https:// postback URL (behind a proxy, set TRUST_PROXY so X-Forwarded-Proto counts).',
      }
    case 'UNKNOWN_NETWORK':
      return {
        summary: 'the postback named a network that is not configured',
        details: [message],
        fix: 'Add the network to NETWORKS_FILE and reload (SIGHUP). Its secret was never checked, so ask the network to resend it, or Replay it only if you know the network really sent it.',
      }
    case 'MISSING_FIELD':
    case 'UNREPLACED_MACRO':
    case 'INVALID_FIELD':
    case 'AMBIGUOUS_PARAM':
      return {
        summary: fieldSummary(entry.outcome, network),
        details: parts.map((part) => `parameter ${part}`),
        fix: fieldFix(entry.outcome, network),
      }
    case 'REDACTED_FIELD':
      return {
        summary: 'a field was redacted when the request was stored, so it cannot be replayed',
        details: [message],
        fix: 'Ask the network to resend this postback.',
      }
    case 'INVALID_BODY':
    case 'BODY_TOO_LARGE':
    case 'UNSUPPORTED_MEDIA_TYPE':
    case 'BAD_URL':
      return {
        summary: 'the request itself could not be read',
        details: [message],
        fix: 'Postbacks must be a GET with a query string, or a POST of a form or JSON (at most 8 KB).',
      }
    case 'DATABASE_UNAVAILABLE':
      return {
        summary: 'the database was unavailable; the network was asked to retry',
        details: [message],
        fix: 'Networks retry on 503; if this one does not, Replay it.',
      }
    default:
      return { summary: `refused (${entry.outcome})`, details: [message], fix: null }
  }
}

function pastedUrlIsWrong(entry: Entry): boolean {
  if (entry.query === undefined && entry.body === undefined) return false
  const problems = findPastedUrlProblems(
    storedRequestParams(entry.query ?? null, entry.body ?? null),
  )
  return problems.macros.length > 0 || problems.repeated.length > 0
}

function fieldSummary(code: string, network: string): string {
  switch (code) {
    case 'MISSING_FIELD':
      return `a required parameter was missing under every name network ${network} reads`
    case 'UNREPLACED_MACRO':
      return 'a parameter still holds a macro placeholder: the network did not fill it in'
    case 'AMBIGUOUS_PARAM':
      return 'a parameter arrived twice with different values'
    default:
      return `a parameter's value is not what network ${network} expects`
  }
}

function fieldFix(code: string, network: string): string {
  switch (code) {
    case 'MISSING_FIELD':
      return `If the network sends it under another name, add that name to network ${network}'s params in NETWORKS_FILE, reload (SIGHUP), then Replay.`
    case 'UNREPLACED_MACRO':
      return "Fix the postback URL in the network's dashboard: use the network's own macro for that parameter (the Networks page shows the URL in its syntax)."
    case 'AMBIGUOUS_PARAM':
      return 'Remove the duplicate parameter from the postback URL in the network.'
    default:
      return `If the value is legitimate (a new status word, say), add it to network ${network}'s profile, reload (SIGHUP), then Replay.`
  }
}

/** Whether a stored refusal can be replayed, and if it needs the operator's word first. */
export function replayable(entry: {
  statusCode: number
  outcome: string
  callerVerified: boolean
}) {
  if (entry.statusCode < 400 || entry.outcome === 'RATE_LIMITED') return null
  return { unauthorized: !entry.callerVerified }
}
