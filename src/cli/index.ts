#!/usr/bin/env node
import { UsageError } from './args.js'
import type { Command } from './command.js'
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

// `npx postback-receiver <command>` (or `npm run cli -- <command>`). Shares the service's
// configuration (.env, environment) and database; no HTTP round trip where the database does.
// Exit codes: 0 ok, 1 failure or violations found, 2 usage error.
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

const [name, ...args] = process.argv.slice(2)
if (!name || name === '--help' || name === '-h' || (name === 'help' && args.length === 0)) {
  process.stdout.write(usage())
} else {
  const commandName = name === 'help' ? (args[0] ?? '') : name
  const command = COMMANDS[commandName]
  if (!command) {
    process.stderr.write(`unknown command "${commandName}"\n\n${usage()}`)
    process.exitCode = 2
  } else if (name === 'help' || wantsHelp(args)) {
    process.stdout.write(`${command.usage}\n`)
  } else {
    try {
      process.exitCode = await command.run(args)
    } catch (error) {
      if (error instanceof UsageError) {
        process.stderr.write(`${commandName}: ${error.message}\n\n${command.usage}\n`)
        process.exitCode = 2
      } else {
        process.stderr.write(`${commandName} failed: ${(error as Error).message}\n`)
        process.exitCode = 1
      }
    }
  }
}
