import type { Diagnosis } from '../../operations/doctor/diagnose.js'
import { DOCTOR_DEFAULT_ROWS, DOCTOR_MAX_ROWS, runDoctor } from '../../operations/doctor/run.js'
import { integerFlag, parseFlags, positionals } from '../args.js'
import { type Command, print } from '../command.js'
import { withContext } from '../context.js'
import { requireProfile } from './network.js'

export const doctorCommand: Command = {
  summary: "<network>  what is wrong with a network's postbacks, from the postback log",
  usage: `usage: postback-receiver doctor <network> [--rows N] [--json]

Reads the network's newest postbacks in the postback log (default ${DOCTOR_DEFAULT_ROWS}, at most
${DOCTOR_MAX_ROWS}; operator replays are left out) and says in plain words what is wrong: none
ever arrived, macros the network did not fill, parameters that arrived twice (the network
appends its own), the pattern of signature failures (never matched, failing since a moment,
only from some addresses), PUBLIC_URL differing from the address a URL-signing network calls,
and source addresses outside allowedIps. The same check is GET /admin/networks/:network/doctor
and the "Diagnose" button on the dashboard's Networks page.

Exit code: 0 when nothing is a problem (warnings may remain), 1 when something is.`,
  async run(args) {
    const { values, positionals: given } = parseFlags(args, {
      rows: { type: 'string' },
      json: { type: 'boolean' },
    })
    const [network = ''] = positionals(given, ['network'])
    const limit = integerFlag('rows', values.rows, 1, DOCTOR_MAX_ROWS) ?? DOCTOR_DEFAULT_ROWS
    const diagnosis = await withContext(async (context) => {
      const profile = requireProfile(await context.networks(), network)
      return runDoctor(context.db.pool, context.config, profile, limit)
    })
    print(values.json ? JSON.stringify(diagnosis, null, 2) : formatDiagnosis(diagnosis))
    return diagnosis.healthy ? 0 : 1
  },
}

const LABEL = { problem: 'PROBLEM', warning: 'warning', ok: 'ok' } as const

export function formatDiagnosis(diagnosis: Diagnosis): string {
  const lines = [
    `doctor ${diagnosis.network}: ${diagnosis.checked} newest postbacks read, ${diagnosis.accepted} accepted`,
  ]
  for (const finding of diagnosis.findings) {
    lines.push(`${LABEL[finding.severity].padEnd(8)} ${finding.code}: ${finding.message}`)
    if (finding.logIds.length > 0) lines.push(`         log ids: ${finding.logIds.join(', ')}`)
  }
  lines.push(diagnosis.healthy ? 'no problems found' : 'problems found')
  return lines.join('\n')
}
