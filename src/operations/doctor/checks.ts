import { codeSpec, type ErrorCode, forNetwork } from '../../http/codes.js'
import { refusedForNoCredential } from '../../postbacks/verify.js'
import type { DoctorSubject, Finding, ReadRow } from './diagnose.js'

// The doctor's checks, each over the rows read (newest first). A row explained by one check
// (macros, repeated parameters) is not counted again as a signature mismatch or refusal.
// Rows are matched by their code; what to do about other codes is the registry's advice.

const refusedAs =
  (...codes: ErrorCode[]) =>
  (row: ReadRow) =>
    (codes as string[]).includes(row.outcome)
const SIGNATURE_CODES: ErrorCode[] = ['BAD_SIGNATURE', 'BAD_SECRET']
const SHOWN = 4

const ids = (rows: readonly ReadRow[]) => rows.slice(0, SHOWN).map((row) => row.id)
const list = (items: Iterable<string>) => {
  const all = [...new Set(items)]
  const shown = all.slice(0, SHOWN).join(', ')
  return all.length > SHOWN ? `${shown} and ${all.length - SHOWN} more` : shown
}
const pasteAdvice = (network: string) =>
  `paste the URL that \`npm run cli -- url ${network}\` prints into the network's panel, replacing the one there`
const explainedByUrl = (row: ReadRow) => row.macros.length > 0 || row.repeated.length > 0

export function checkPastedUrl(subject: DoctorSubject, rows: readonly ReadRow[]): Finding[] {
  const findings: Finding[] = []
  const withMacros = rows.filter((row) => row.macros.length > 0)
  if (withMacros.length > 0) {
    const refused = withMacros.some((row) => row.refused)
    findings.push({
      code: 'UNREPLACED_MACROS',
      severity: refused ? 'problem' : 'warning',
      message: `${withMacros.length} of the last ${rows.length} postbacks still carry macros the network did not fill (${list(withMacros.flatMap((row) => row.macros))})${refused ? ', and were refused' : ''}: the URL in the network's panel uses macros this network does not have; ${pasteAdvice(subject.network)}`,
      logIds: ids(withMacros),
    })
  }
  const repeated = rows.filter((row) => row.repeated.length > 0)
  if (repeated.length > 0) {
    findings.push({
      code: 'DUPLICATE_PARAMS',
      severity: repeated.some((row) => row.refused) ? 'problem' : 'warning',
      message: `${repeated.length} of the last ${rows.length} postbacks had parameters that arrived twice (${list(repeated.flatMap((row) => row.repeated))}): the network appends its own parameters to the URL in its panel, which already has them; ${pasteAdvice(subject.network)}`,
      logIds: ids(repeated),
    })
  }
  return findings
}

/** URL signatures cover scheme, host and path: PUBLIC_URL must be the address the network calls. */
export function checkPublicUrl(subject: DoctorSubject, rows: readonly ReadRow[]): Finding[] {
  if (subject.signatureKind !== 'hmac_url') return []
  const failing = rows.filter((row) => refusedAs('BAD_SIGNATURE')(row) && !explainedByUrl(row))
  if (failing.length === 0) return []
  const called = (row: ReadRow) => {
    const host = row.headers['x-forwarded-host'] ?? row.headers.host
    const proto = row.headers['x-forwarded-proto']
    return host ? `${proto ? `${proto}://` : ''}${host}` : null
  }
  const addresses = failing.map(called).filter((address): address is string => address !== null)
  if (subject.publicUrl === undefined) {
    return [
      {
        code: 'WRONG_PUBLIC_URL',
        severity: 'problem',
        message: `PUBLIC_URL is not set, and ${failing.length} postbacks failed network ${subject.network}'s URL signature (${subject.signatureKind}), which covers the address the network called${addresses.length ? ` (${list(addresses)})` : ''}: set PUBLIC_URL to exactly that scheme and host`,
        logIds: ids(failing),
      },
    ]
  }
  const publicUrl = new URL(subject.publicUrl)
  const scheme = publicUrl.protocol.replace(':', '')
  const differs = failing.filter((row) => {
    const host = row.headers['x-forwarded-host'] ?? row.headers.host
    const proto = row.headers['x-forwarded-proto']
    const prefix = publicUrl.pathname.replace(/\/+$/, '')
    return (
      (host !== undefined && host.toLowerCase() !== publicUrl.host.toLowerCase()) ||
      (proto !== undefined && proto !== scheme) ||
      (prefix !== '' && row.path.startsWith(`${prefix}/`))
    )
  })
  if (differs.length === 0) return []
  return [
    {
      code: 'WRONG_PUBLIC_URL',
      severity: 'problem',
      message: `${differs.length} postbacks failed network ${subject.network}'s URL signature, which covers the address: the network called ${list(differs.map((row) => `${called(row) ?? '?'}${row.path}`))} but PUBLIC_URL is ${subject.publicUrl}: set PUBLIC_URL to the scheme and host the network calls (behind a proxy that strips a path prefix, include the prefix)`,
      logIds: ids(differs),
    },
  ]
}

export function checkSignatures(subject: DoctorSubject, rows: readonly ReadRow[]): Finding[] {
  const failing = rows.filter((row) => refusedAs(...SIGNATURE_CODES)(row) && !explainedByUrl(row))
  if (failing.length === 0) return []
  const what = subject.signatureKind === 'static_token' ? 'secret' : 'signature'
  const missing = failing.filter((row) => refusedForNoCredential(row.message))
  const findings: Finding[] = []
  if (missing.length > 0) {
    findings.push({
      code: 'SIGNATURE_MISMATCH',
      severity: 'problem',
      message: `${missing.length} postbacks arrived without any ${what} (${missing[0]?.message}): the URL in the network's panel lacks it, or the network's signing is not enabled; ${pasteAdvice(subject.network)}`,
      logIds: ids(missing),
    })
  }
  const mismatched = failing.filter((row) => !missing.includes(row))
  if (mismatched.length === 0) return findings
  const accepted = rows.filter((row) => !row.refused)
  const newestAccepted = accepted[0]
  const urlSigned =
    subject.signatureKind === 'hmac_url'
      ? ', or PUBLIC_URL differs from the address the network calls'
      : ''
  let message: string
  if (!newestAccepted) {
    message = `every ${what} checked failed (${mismatched.length} postbacks, none accepted): the secret in network ${subject.network}'s profile (NETWORKS_FILE "secrets") is not the one in the network's panel${urlSigned}`
  } else if (mismatched.every((row) => BigInt(row.id) > BigInt(newestAccepted.id))) {
    message = `postbacks were accepted until ${newestAccepted.receivedAt.toISOString()}, and every one since (${mismatched.length}) fails the ${what}: the secret was changed in the network's panel (or here); add the new one to network ${subject.network}'s secrets, keeping the old one until nothing uses it`
  } else {
    const good = new Set(accepted.map((row) => row.sourceIp))
    const strangers = mismatched
      .filter((row) => !good.has(row.sourceIp))
      .map((row) => row.sourceIp ?? '?')
    message =
      strangers.length === mismatched.length
        ? `${mismatched.length} postbacks failed the ${what} while others passed; every failing one came from an address no accepted one came from (${list(strangers)}): probably not the network; set allowedIps to the network's addresses`
        : `${mismatched.length} of the last ${rows.length} postbacks failed the ${what} while others from the same addresses passed: compare a failing one with an accepted one in the postback log (values the network encodes differently, or a second account with another secret)`
  }
  findings.push({
    code: 'SIGNATURE_MISMATCH',
    severity: 'problem',
    message,
    logIds: ids(mismatched),
  })
  return findings
}

const PRIVATE =
  /^(10\.|127\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|::1$|f[cd]|::ffff:(10|127|192\.168)\.)/i

export function checkIps(subject: DoctorSubject, rows: readonly ReadRow[]): Finding[] {
  const refused = rows.filter(refusedAs('IP_NOT_ALLOWED'))
  if (refused.length === 0) return []
  const counts = new Map<string, number>()
  for (const row of refused)
    counts.set(row.sourceIp ?? '?', (counts.get(row.sourceIp ?? '?') ?? 0) + 1)
  const sources = [...counts].map(([ip, count]) => `${ip} ×${count}`)
  const allowed = subject.allowedIps.entries.join(', ')
  const behindProxy = [...counts.keys()].every((ip) => PRIVATE.test(ip))
  const documented = subject.suggestedIps.length
    ? ` (the network documents ${subject.suggestedIps.join(', ')})`
    : ''
  return [
    {
      code: 'IP_NOT_ALLOWED',
      severity: 'problem',
      message: behindProxy
        ? `${refused.length} postbacks were refused for their source address, and every one is private (${list(sources)}): this service is behind a proxy; set TRUST_PROXY so the network's real address is checked against allowedIps (${allowed})`
        : `${refused.length} postbacks came from addresses outside network ${subject.network}'s allowedIps (${allowed}): ${list(sources)}; if they are the network's servers${documented}, add them to allowedIps`,
      logIds: ids(refused),
    },
  ]
}

const covered = refusedAs(...SIGNATURE_CODES, 'IP_NOT_ALLOWED')

/** Refusals the checks above do not explain, by code, each with the registry's advice. */
export function checkRefusals(subject: DoctorSubject, rows: readonly ReadRow[]): Finding[] {
  const other = rows.filter((row) => row.refused && !covered(row) && !explainedByUrl(row))
  if (other.length === 0) return []
  const byCode = new Map<string, ReadRow[]>()
  for (const row of other) byCode.set(row.outcome, [...(byCode.get(row.outcome) ?? []), row])
  const parts = [...byCode].map(([code, coded]) => {
    const message = coded[0]?.message ? ` (${coded[0].message})` : ''
    const spec = codeSpec(code)
    const action = spec
      ? forNetwork(spec.action, subject.network)
      : 'fix the profile or the URL, then replay them (`npm run cli -- replay`)'
    return `${code} ×${coded.length}${message}: ${action}`
  })
  return [
    {
      code: 'OTHER_REFUSALS',
      severity: 'problem',
      message: `${other.length} of the last ${rows.length} postbacks were refused: ${parts.join(' ')}`,
      logIds: ids(other),
    },
  ]
}
