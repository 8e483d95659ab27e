import { ConfigError } from '../config.js'
import { UsageError } from './args.js'
import type { Command } from './command.js'
import { accountsCommand } from './commands/accounts.js'
import { adjustCommand } from './commands/adjust.js'
import { doctorCommand } from './commands/doctor.js'
import { migrateCommand } from './commands/migrate.js'
import { offersCommand } from './commands/offers.js'
import { reconcileCommand } from './commands/reconcile.js'
import { replayCommand } from './commands/replay.js'
import { retentionCommand } from './commands/retention.js'
import { sendTestCommand } from './commands/send-test.js'
import { urlCommand } from './commands/url.js'
import { verifyLedgerCommand } from './commands/verify-ledger.js'
import { type CliIO, PROCESS_IO, withIO } from './io.js'

// Exit codes: 0 ok, 1 failure or violations found, 2 usage error (or a bad setting).
const COMMANDS: Record<string, Command> = {
  url: urlCommand,
  'send-test': sendTestCommand,
  doctor: doctorCommand,
  replay: replayCommand,
  reconcile: reconcileCommand,
  'verify-ledger': verifyLedgerCommand,
  retention: retentionCommand,
  offers: offersCommand,
  adjust: adjustCommand,
  accounts: accountsCommand,
  migrate: migrateCommand,
}

function usage(): string {
  const lines = Object.entries(COMMANDS).map(
    ([name, command]) => `  ${name.padEnd(14)} ${command.summary}`,
  )
  return [
    'usage: postback-receiver <command> [arguments]',
    '',
    'commands:',
    ...lines,
    '',
    'postback-receiver <command> --help   shows what a command does and its flags.',
    'Settings come from the environment and .env, as for the service (DATABASE_URL, ...).',
    '',
  ].join('\n')
}

const wantsHelp = (args: string[]) => args.some((arg) => arg === '--help' || arg === '-h')

/** `postback-receiver <argv>`: runs the command with `io`, resolves to the exit code. */
export function main(argv: string[], io: CliIO = PROCESS_IO): Promise<number> {
  return withIO(io, () => run(argv, io))
}

async function run([name, ...args]: string[], io: CliIO): Promise<number> {
  if (!name || name === '--help' || name === '-h' || (name === 'help' && args.length === 0)) {
    io.stdout.write(usage())
    return 0
  }
  const commandName = name === 'help' ? (args[0] ?? '') : name
  const command = COMMANDS[commandName]
  if (!command) {
    io.stderr.write(`unknown command "${commandName}"\n\n${usage()}`)
    return 2
  }
  if (name === 'help' || wantsHelp(args)) {
    io.stdout.write(`${command.usage}\n`)
    return 0
  }
  try {
    return await command.run(args)
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const problem of error.problems) io.stderr.write(`config error: ${problem}\n`)
      return 2
    }
    if (error instanceof UsageError) {
      io.stderr.write(`${commandName}: ${error.message}\n\n${command.usage}\n`)
      return 2
    }
    io.stderr.write(`${commandName} failed: ${(error as Error).message}\n`)
    return 1
  }
}
