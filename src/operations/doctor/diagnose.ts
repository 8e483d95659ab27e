import type { IpList } from '../../http/ip-list.js'
import type { LogEntry } from '../../postback-log/rows.js'
import { findPastedUrlProblems, storedRequestParams } from '../../postbacks/pasted-url.js'
import {
  checkIps,
  checkPastedUrl,
  checkPublicUrl,
  checkRefusals,
  checkSignatures,
} from './checks.js'

// `doctor <network>`: what is wrong with a network's postbacks, in plain words, from the last
// rows of the postback log. A pure function over rows, so the CLI, the admin API and the
// dashboard say the same thing and tests need no clock or server.

/** Every finding's code, in the order they are reported. */
export const DOCTOR_CODES = [
  'NEVER_ARRIVED',
  'UNREPLACED_MACROS',
  'DUPLICATE_PARAMS',
  'WRONG_PUBLIC_URL',
  'SIGNATURE_MISMATCH',
  'IP_NOT_ALLOWED',
  'OTHER_REFUSALS',
  'ANY_SOURCE',
  'ACCEPTING',
] as const
export type DoctorCode = (typeof DOCTOR_CODES)[number]

/** problem: postbacks are lost until it is fixed (exit 1); warning: worth a look; ok: fine. */
export type Severity = 'problem' | 'warning' | 'ok'

export type Finding = {
  code: DoctorCode
  severity: Severity
  message: string
  /** Log rows it rests on (newest first, at most a few), to look up in the postback log. */
  logIds: string[]
}

/** A postback_log row as the doctor reads it (secrets already redacted). */
export type DoctorRow = Pick<
  LogEntry,
  | 'id'
  | 'receivedAt'
  | 'path'
  | 'query'
  | 'body'
  | 'headers'
  | 'sourceIp'
  | 'statusCode'
  | 'outcome'
  | 'message'
>

/** What the doctor knows of the network and the service. */
export type DoctorSubject = {
  network: string
  signatureKind: string
  allowedIps: IpList
  /** Addresses the network's preset documents, suggested for allowedIps. */
  suggestedIps: readonly string[]
  /** PUBLIC_URL as configured (undefined: not set). */
  publicUrl: string | undefined
}

export type Diagnosis = {
  network: string
  /** How many of the newest rows were read. */
  checked: number
  accepted: number
  lastAcceptedAt: string | null
  /** Whether any finding is a problem. */
  healthy: boolean
  findings: Finding[]
}

/** A log row with its parameters parsed and its pasted-URL problems found, once. */
export type ReadRow = DoctorRow & {
  params: Map<string, string[]>
  macros: string[]
  repeated: string[]
  refused: boolean
}

/** Rows newest first, as `loadDoctorRows` gives them. */
export function diagnoseNetwork(subject: DoctorSubject, rows: readonly DoctorRow[]): Diagnosis {
  const read: ReadRow[] = rows.map((row) => {
    const params = storedRequestParams(row.query, row.body)
    return { ...row, params, ...findPastedUrlProblems(params), refused: row.statusCode >= 400 }
  })
  const accepted = read.filter((row) => !row.refused)
  const findings: Finding[] =
    read.length === 0
      ? [neverArrived(subject)]
      : [
          ...checkPastedUrl(subject, read),
          ...checkPublicUrl(subject, read),
          ...checkSignatures(subject, read),
          ...checkIps(subject, read),
          ...checkRefusals(subject, read),
        ]
  if (subject.allowedIps.entries.length === 0) {
    const suggested = subject.suggestedIps.length
      ? `; the network documents ${subject.suggestedIps.join(', ')}: put them in allowedIps`
      : ''
    findings.push({
      code: 'ANY_SOURCE',
      severity: 'warning',
      message: `any address may post for network ${subject.network} (no allowedIps)${suggested}`,
      logIds: [],
    })
  }
  const newest = accepted[0]
  if (newest) {
    findings.push({
      code: 'ACCEPTING',
      severity: 'ok',
      message: `${accepted.length} of the last ${read.length} postbacks were accepted, the newest at ${newest.receivedAt.toISOString()}`,
      logIds: [newest.id],
    })
  }
  findings.sort((a, b) => DOCTOR_CODES.indexOf(a.code) - DOCTOR_CODES.indexOf(b.code))
  return {
    network: subject.network,
    checked: read.length,
    accepted: accepted.length,
    lastAcceptedAt: newest ? newest.receivedAt.toISOString() : null,
    healthy: !findings.some((finding) => finding.severity === 'problem'),
    findings,
  }
}

function neverArrived(subject: DoctorSubject): Finding {
  return {
    code: 'NEVER_ARRIVED',
    severity: 'problem',
    message: `no postback for network ${subject.network} has arrived: paste the URL that \`npm run cli -- url ${subject.network}\` prints into the network's panel, check that the network can reach ${subject.publicUrl ?? 'this service (PUBLIC_URL is not set)'}, and send a test from the network's panel`,
    logIds: [],
  }
}
